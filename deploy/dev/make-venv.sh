#!/bin/sh
# Create a virtualenv with only Python and pip present: `python -m venv` needs Debian's python3-venv, so fall
# back to the `virtualenv` package from PyPI when it is missing.
set -eu
PYTHON="$1"; VENV="$2"
[ -x "$VENV/bin/python" ] && exit 0
if "$PYTHON" -m venv "$VENV" 2>/dev/null; then exit 0; fi
rm -rf "$VENV"
echo "python -m venv is unavailable here; using virtualenv from PyPI" >&2
"$PYTHON" -m pip install --quiet --user virtualenv 2>/dev/null \
  || "$PYTHON" -m pip install --quiet --user --break-system-packages virtualenv
"$PYTHON" -m virtualenv --quiet "$VENV"
