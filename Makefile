# The two commands of the README: `make demo` and `make test`.  Both create .venv and install into it first.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: demo test lint bench install clean

$(BIN)/.installed: pyproject.toml
	sh deploy/dev/make-venv.sh "$(PYTHON)" "$(VENV)"
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

demo: $(BIN)/.installed
	$(BIN)/assetpulse demo

test: $(BIN)/.installed
	sh deploy/dev/ensure-mosquitto.sh
	$(BIN)/python -m pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(BIN)/.installed
	$(BIN)/assetpulse bench ingest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
