"""A VRPTW solution as routes of customer numbers, and the SINTEF solution text format:

    Instance name : c1_2_1
    Authors       : AssetPulse
    Date          : 2026-11-22
    Reference     : pyvrp
    Solution
    Route 1 : 12 45 3
    Route 2 : 7 9

Routes list customers in visiting order, depot (0) left out; header lines are optional when reading.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from service_core.scheduling.routing.errors import RoutingInputError

ROUTE_LINE = re.compile(r"^Route\s+(\d+)\s*:(.*)$", re.IGNORECASE)
HEADER_LINE = re.compile(r"^(Instance name|Authors|Date|Reference)\s*:(.*)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class RoutingSolution:
    """Routes of customer numbers in visiting order; each route starts and ends at the depot (not listed)."""

    routes: tuple[tuple[int, ...], ...]

    @classmethod
    def of(cls, routes: list[list[int]] | tuple[tuple[int, ...], ...]) -> RoutingSolution:
        """Build from any nested sequence, dropping empty routes."""
        return cls(tuple(tuple(route) for route in routes if route))

    @property
    def vehicles(self) -> int:
        return sum(1 for route in self.routes if route)


def format_sintef(
    solution: RoutingSolution, *, instance: str, authors: str = "AssetPulse", reference: str = "", date: str = ""
) -> str:
    header = [
        f"Instance name : {instance}",
        f"Authors       : {authors}",
        f"Date          : {date or dt.date.today().isoformat()}",
        f"Reference     : {reference}",
        "Solution",
    ]
    routes = [f"Route {index} : {' '.join(map(str, route))}" for index, route in enumerate(solution.routes, 1)]
    return "\n".join(header + routes) + "\n"


def write_sintef(path: Path, solution: RoutingSolution, *, instance: str, reference: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(format_sintef(solution, instance=instance, reference=reference), encoding="utf-8")


def parse_sintef(text: str, *, source: str = "<solution>") -> RoutingSolution:
    """Read the routes of a SINTEF solution; anything else but the header lines and `Solution` is an error."""
    routes: list[tuple[int, ...]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.lower() == "solution" or HEADER_LINE.match(line):
            continue
        match = ROUTE_LINE.match(line)
        if match is None:
            raise RoutingInputError(source, number, f"expected 'Route N : customers', got {line!r}")
        if int(match.group(1)) != len(routes) + 1:
            raise RoutingInputError(source, number, f"route {match.group(1)} out of order: expected {len(routes) + 1}")
        try:
            routes.append(tuple(int(token) for token in match.group(2).split()))
        except ValueError as exc:
            raise RoutingInputError(source, number, f"customers must be whole numbers: {exc}") from exc
    return RoutingSolution(tuple(routes))


def read_sintef(path: Path) -> RoutingSolution:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RoutingInputError(path, None, f"cannot read the solution: {exc}") from exc
    return parse_sintef(text, source=str(path))
