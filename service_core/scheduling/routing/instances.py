"""VRPTW instances in the Solomon/SINTEF text format, and tables of best-known results (`best_known.csv`).

An instance names itself on its first line, gives the fleet under `VEHICLE` (number, capacity) and one row per
site under `CUSTOMER`: number, x, y, demand, ready time, due date, service time.  Site 0 is the depot and the
customers are numbered 1..n in order.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from service_core.scheduling.routing.errors import RoutingInputError

SITE_FIELDS = 7


@dataclass(frozen=True, slots=True)
class Site:
    """The depot (number 0) or a customer."""

    number: int
    x: float
    y: float
    demand: int
    ready_time: float
    due_time: float
    service_time: float


@dataclass(frozen=True, slots=True)
class VrptwInstance:
    name: str
    vehicle_limit: int
    capacity: int
    depot: Site
    customers: tuple[Site, ...]

    @property
    def sites(self) -> tuple[Site, ...]:
        """The depot followed by the customers: `sites[k].number == k`."""
        return (self.depot, *self.customers)


@dataclass(frozen=True, slots=True)
class BestKnown:
    instance: str
    vehicles: int
    distance: float


def read_instance(path: Path) -> VrptwInstance:
    """Read one instance file; a malformed one raises `RoutingInputError` naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RoutingInputError(path, None, f"cannot read the instance: {exc}") from exc
    return parse_instance(text, source=str(path))


def parse_instance(text: str, *, source: str = "<instance>") -> VrptwInstance:
    lines = [(number, line.strip()) for number, line in enumerate(text.splitlines(), start=1)]
    content = [(number, line) for number, line in lines if line]
    if not content:
        raise RoutingInputError(source, None, "the file is empty")
    name = content[0][1]
    rows = iter(content[1:])
    vehicle_limit, capacity = _fleet(rows, source)
    sites = _sites(rows, source)
    if not sites or sites[0].number != 0:
        raise RoutingInputError(source, None, "no depot: the first site row must be number 0")
    return VrptwInstance(name, vehicle_limit, capacity, sites[0], tuple(sites[1:]))


def _fleet(rows: Iterator[tuple[int, str]], source: str) -> tuple[int, int]:
    _skip_to(rows, "VEHICLE", source)
    for number, line in rows:
        fields = line.split()
        if not _all_numeric(fields):
            continue  # the "NUMBER CAPACITY" header
        if len(fields) != 2:
            raise RoutingInputError(source, number, f"expected 'vehicles capacity', got {line!r}")
        vehicles, capacity = (_integer(field, source, number) for field in fields)
        if vehicles < 1 or capacity < 1:
            raise RoutingInputError(source, number, "vehicle number and capacity must be positive")
        return vehicles, capacity
    raise RoutingInputError(source, None, "the VEHICLE section has no 'number capacity' row")


def _sites(rows: Iterator[tuple[int, str]], source: str) -> list[Site]:
    _skip_to(rows, "CUSTOMER", source)
    sites: list[Site] = []
    for number, line in rows:
        fields = line.split()
        if not sites and not _all_numeric(fields):
            continue  # the column header
        sites.append(_site(fields, source, number, expected_number=len(sites)))
    return sites


def _site(fields: list[str], source: str, line: int, *, expected_number: int) -> Site:
    if len(fields) != SITE_FIELDS or not _all_numeric(fields):
        raise RoutingInputError(source, line, f"expected {SITE_FIELDS} numbers per site, got {' '.join(fields)!r}")
    number, demand = _integer(fields[0], source, line), _integer(fields[3], source, line)
    x, y, ready, due, service = (float(fields[k]) for k in (1, 2, 4, 5, 6))
    if number != expected_number:
        raise RoutingInputError(source, line, f"site number {number} out of order: expected {expected_number}")
    if demand < 0 or service < 0:
        raise RoutingInputError(source, line, "demand and service time must not be negative")
    if ready > due:
        raise RoutingInputError(source, line, f"ready time {ready:g} is after due date {due:g}")
    if not all(math.isfinite(value) for value in (x, y, ready, due, service)):
        raise RoutingInputError(source, line, "coordinates and times must be finite")
    return Site(number, x, y, demand, ready, due, service)


def _skip_to(rows: Iterator[tuple[int, str]], heading: str, source: str) -> None:
    for _number, line in rows:
        if line.upper() == heading:
            return
    raise RoutingInputError(source, None, f"no {heading} section")


def _all_numeric(fields: list[str]) -> bool:
    try:
        [float(field) for field in fields]
    except ValueError:
        return False
    return bool(fields)


def _integer(field: str, source: str, line: int) -> int:
    value = float(field)
    if not value.is_integer():
        raise RoutingInputError(source, line, f"expected a whole number, got {field!r}")
    return int(value)


def read_best_known(path: Path) -> dict[str, BestKnown]:
    """Read `best_known.csv` (columns `instance`, `routes`, `distance`, others ignored) keyed by instance name."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            return _best_known_rows(csv.DictReader(handle), str(path))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise RoutingInputError(path, None, f"cannot read the best-known table: {exc}") from exc


def _best_known_rows(reader: csv.DictReader[str], source: str) -> dict[str, BestKnown]:
    missing = {"instance", "routes", "distance"} - set(reader.fieldnames or ())
    if missing:
        raise RoutingInputError(source, 1, f"missing column(s): {', '.join(sorted(missing))}")
    table: dict[str, BestKnown] = {}
    for row in reader:
        line = reader.line_num
        try:
            entry = BestKnown(row["instance"].strip(), int(row["routes"]), float(row["distance"]))
        except (ValueError, AttributeError) as exc:
            raise RoutingInputError(source, line, f"bad routes or distance: {exc}") from exc
        if not entry.instance or entry.vehicles < 1 or not math.isfinite(entry.distance) or entry.distance <= 0:
            raise RoutingInputError(source, line, "instance name, positive routes and distance are required")
        table[entry.instance] = entry
    return table
