"""An independent VRPTW feasibility checker, written from the problem definition alone (it shares no code with
the solver adapter or the baseline).

Each route leaves the depot at the depot's ready time and returns to it.  Travel time equals the Euclidean
distance (floats, not rounded).  A vehicle that arrives before a customer's ready time waits; service must
start no later than the customer's due date; the route must be back at the depot by the depot's due date.  The
load of a route must not exceed the capacity, every customer is visited exactly once, at most `vehicle_limit`
routes are used.  Times are compared with a tolerance of `TIME_TOLERANCE` for floating-point sums.
"""

from __future__ import annotations

import enum
import math
from collections import Counter
from dataclasses import dataclass

from service_core.scheduling.routing.instances import Site, VrptwInstance
from service_core.scheduling.routing.solution import RoutingSolution

TIME_TOLERANCE = 1e-6
DISTANCE_TOLERANCE = 1e-3


class ViolationKind(enum.StrEnum):
    CAPACITY = "capacity"
    LATE_ARRIVAL = "late_arrival"
    LATE_RETURN = "late_return"
    MISSING_CUSTOMER = "missing_customer"
    DUPLICATE_CUSTOMER = "duplicate_customer"
    UNKNOWN_CUSTOMER = "unknown_customer"
    TOO_MANY_VEHICLES = "too_many_vehicles"
    WRONG_DISTANCE = "wrong_distance"


@dataclass(frozen=True, slots=True)
class Violation:
    kind: ViolationKind
    detail: str
    route: int | None = None  # 1-based, as in the SINTEF format
    customer: int | None = None


@dataclass(frozen=True, slots=True)
class CheckReport:
    vehicles: int
    distance: float  # recomputed from the coordinates
    violations: tuple[Violation, ...]

    @property
    def feasible(self) -> bool:
        return not self.violations


def check_solution(
    instance: VrptwInstance, solution: RoutingSolution, *, claimed_distance: float | None = None
) -> CheckReport:
    """Check every constraint; `claimed_distance`, when given, must match the recomputed total distance."""
    violations = _coverage_violations(instance, solution)
    routes = [route for route in solution.routes if route]
    if len(routes) > instance.vehicle_limit:
        detail = f"{len(routes)} routes but only {instance.vehicle_limit} vehicles"
        violations.append(Violation(ViolationKind.TOO_MANY_VEHICLES, detail))
    total = 0.0
    for index, route in enumerate(solution.routes, start=1):
        if not route or any(not 1 <= number <= len(instance.customers) for number in route):
            continue  # unknown customers are reported by the coverage check; the route cannot be timed
        distance, route_violations = _check_route(instance, route, index)
        total += distance
        violations.extend(route_violations)
    if claimed_distance is not None and abs(claimed_distance - total) > DISTANCE_TOLERANCE:
        detail = f"claimed distance {claimed_distance:.4f} but the routes measure {total:.4f}"
        violations.append(Violation(ViolationKind.WRONG_DISTANCE, detail))
    return CheckReport(vehicles=len(routes), distance=total, violations=tuple(violations))


def _coverage_violations(instance: VrptwInstance, solution: RoutingSolution) -> list[Violation]:
    visits = Counter(number for route in solution.routes for number in route)
    known = {customer.number for customer in instance.customers}
    violations = [
        Violation(ViolationKind.UNKNOWN_CUSTOMER, f"customer {number} is not in the instance", customer=number)
        for number in sorted(set(visits) - known)
    ]
    for number in sorted(known):
        if visits[number] == 0:
            violations.append(Violation(ViolationKind.MISSING_CUSTOMER, "never visited", customer=number))
        elif visits[number] > 1:
            detail = f"visited {visits[number]} times"
            violations.append(Violation(ViolationKind.DUPLICATE_CUSTOMER, detail, customer=number))
    return violations


def _check_route(instance: VrptwInstance, route: tuple[int, ...], index: int) -> tuple[float, list[Violation]]:
    """Drive one route in floats; return its distance and what it violates."""
    violations: list[Violation] = []
    depot = instance.depot
    load = sum(instance.customers[number - 1].demand for number in route)
    if load > instance.capacity:
        detail = f"load {load} exceeds capacity {instance.capacity}"
        violations.append(Violation(ViolationKind.CAPACITY, detail, route=index))
    position, clock, distance = depot, depot.ready_time, 0.0
    for number in route:
        customer = instance.customers[number - 1]
        leg = _euclidean(position, customer)
        distance += leg
        start = max(clock + leg, customer.ready_time)
        if start > customer.due_time + TIME_TOLERANCE:
            detail = f"service starts at {start:.4f}, after the due date {customer.due_time:g}"
            violations.append(Violation(ViolationKind.LATE_ARRIVAL, detail, route=index, customer=number))
        position, clock = customer, start + customer.service_time
    leg = _euclidean(position, depot)
    distance += leg
    if clock + leg > depot.due_time + TIME_TOLERANCE:
        detail = f"back at the depot at {clock + leg:.4f}, after its due date {depot.due_time:g}"
        violations.append(Violation(ViolationKind.LATE_RETURN, detail, route=index))
    return distance, violations


def _euclidean(origin: Site, destination: Site) -> float:
    return math.hypot(destination.x - origin.x, destination.y - origin.y)
