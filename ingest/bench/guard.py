"""Children that die with the benchmark, so that even a killed benchmark leaves no ingestor or broker behind.

    python -m ingest.bench.guard PARENT_PID module MODULE [ARGS...]    run MODULE as `python -m MODULE`
    python -m ingest.bench.guard PARENT_PID exec PROGRAM [ARGS...]     run PROGRAM as a child, pass SIGTERM on

Linux sends this process SIGTERM when PARENT_PID exits.  `exec` keeps a supervising process in between because a
program that changes its user on start (Mosquitto run as root does) loses the parent-death signal.
"""

from __future__ import annotations

import runpy
import signal
import subprocess
import sys
from types import FrameType

from ingest.bench.workers import die_with_parent

USAGE = "usage: python -m ingest.bench.guard PARENT_PID module|exec NAME [ARGS...]"


def main(argv: list[str]) -> None:
    if len(argv) < 3 or argv[1] not in ("module", "exec") or not argv[0].isdigit():
        raise SystemExit(USAGE)
    die_with_parent(int(argv[0]))
    mode, name, args = argv[1], argv[2], argv[3:]
    if mode == "module":
        sys.argv = [name, *args]
        runpy.run_module(name, run_name="__main__", alter_sys=True)
    else:
        supervise([name, *args])


def supervise(command: list[str]) -> None:
    child = subprocess.Popen(command)

    def forward(_signum: int, _frame: FrameType | None) -> None:
        child.terminate()

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    raise SystemExit(child.wait())


if __name__ == "__main__":
    main(sys.argv[1:])
