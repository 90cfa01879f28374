"""Child process: the `assetpulse` command line, started by module name (`python -m simulators.soak.entry detect
run ...`) so that the soak's process guard can run it in its own process and the PID the soak watches is the
command's own."""

from __future__ import annotations

from service_core.cli import app

if __name__ == "__main__":
    app(prog_name="assetpulse")
