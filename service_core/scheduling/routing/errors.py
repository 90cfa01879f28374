"""The routing core's errors: malformed input files and solutions that cannot be read."""

from __future__ import annotations

from pathlib import Path

from service_core.exceptions import InvalidInput


class RoutingInputError(InvalidInput):
    """An instance, a best-known table or a solution file is malformed; the message names the file and line."""

    def __init__(self, source: str | Path, line: int | None, problem: str) -> None:
        where = f"{source}:{line}" if line is not None else str(source)
        super().__init__(f"{where}: {problem}")
        self.source = str(source)
        self.line = line
        self.problem = problem
