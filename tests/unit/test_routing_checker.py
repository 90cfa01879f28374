"""The independent checker catches each kind of violation on hand-made tiny instances.

Depot (0,0) open [0,100]; customers 1 (3,4), 2 (6,8), 3 (0,10) with demand 5 each and service 1; capacity 10.
Routes [1, 2] and [3] are feasible: 1 at t=5, 2 at t=11, back at 22; 3 reached at t=10, waits to 30, back at 41.
Distance 5 + 5 + 10 + 10 + 10 = 40.
"""

from __future__ import annotations

import dataclasses

import pytest

from service_core.scheduling.routing import (
    RoutingSolution,
    Site,
    ViolationKind,
    VrptwInstance,
    check_solution,
)


def tiny_instance(*, vehicle_limit: int = 3, depot_due: float = 100.0, first_due: float = 50.0) -> VrptwInstance:
    return VrptwInstance(
        name="tiny",
        vehicle_limit=vehicle_limit,
        capacity=10,
        depot=Site(0, 0.0, 0.0, 0, 0.0, depot_due, 0.0),
        customers=(
            Site(1, 3.0, 4.0, 5, 0.0, first_due, 1.0),
            Site(2, 6.0, 8.0, 5, 0.0, 50.0, 1.0),
            Site(3, 0.0, 10.0, 5, 30.0, 40.0, 1.0),
        ),
    )


def kinds(instance: VrptwInstance, routes: list[list[int]], **claims: float) -> list[ViolationKind]:
    return [violation.kind for violation in check_solution(instance, RoutingSolution.of(routes), **claims).violations]


def test_a_feasible_solution_with_waiting_passes_and_its_distance_is_recomputed() -> None:
    report = check_solution(tiny_instance(), RoutingSolution.of([[1, 2], [3]]), claimed_distance=40.0)
    assert report.feasible, report.violations
    assert report.vehicles == 2
    assert report.distance == pytest.approx(40.0)


def test_capacity() -> None:
    assert kinds(tiny_instance(), [[1, 2, 3]]) == [ViolationKind.CAPACITY]


def test_service_starting_after_the_due_date() -> None:
    late = check_solution(tiny_instance(first_due=4.0), RoutingSolution.of([[1, 2], [3]])).violations
    assert [(violation.kind, violation.route, violation.customer) for violation in late] == [
        (ViolationKind.LATE_ARRIVAL, 1, 1)
    ]


def test_arriving_exactly_at_the_due_date_is_on_time() -> None:
    assert kinds(tiny_instance(first_due=5.0), [[1, 2], [3]]) == []


def test_returning_to_the_depot_after_its_due_date() -> None:
    assert kinds(tiny_instance(depot_due=30.0), [[1, 2], [3]]) == [ViolationKind.LATE_RETURN]


def test_missing_duplicate_and_unknown_customers() -> None:
    assert kinds(tiny_instance(), [[1, 2]]) == [ViolationKind.MISSING_CUSTOMER]
    assert kinds(tiny_instance(), [[1, 2], [3, 1]]) == [ViolationKind.DUPLICATE_CUSTOMER]
    assert kinds(tiny_instance(), [[1, 2], [3, 9]]) == [ViolationKind.UNKNOWN_CUSTOMER]


def test_more_routes_than_vehicles() -> None:
    assert kinds(tiny_instance(vehicle_limit=1), [[1, 2], [3]]) == [ViolationKind.TOO_MANY_VEHICLES]


def test_a_wrong_claimed_distance() -> None:
    assert kinds(tiny_instance(), [[1, 2], [3]], claimed_distance=39.0) == [ViolationKind.WRONG_DISTANCE]


def test_distance_is_not_rounded() -> None:
    instance = tiny_instance()
    customers = (dataclasses.replace(instance.customers[0], x=1.0, y=1.0), *instance.customers[1:])
    report = check_solution(dataclasses.replace(instance, customers=customers), RoutingSolution.of([[1], [2], [3]]))
    assert report.distance == pytest.approx(2 * 2**0.5 + 20.0 + 20.0, abs=1e-12)
