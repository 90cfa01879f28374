"""The cheapest-insertion baseline: feasible per the independent checker, and deterministic."""

from __future__ import annotations

import math

from service_core.scheduling.routing import RoutingSolution, Site, VrptwInstance, check_solution
from service_core.scheduling.routing.baseline import cheapest_insertion


def ring_instance(customers: int = 12, *, capacity: int = 30, window: float = 60.0) -> VrptwInstance:
    """Customers on a circle of radius 10 around the depot, with staggered time windows."""
    sites = []
    for number in range(1, customers + 1):
        angle = 2 * math.pi * number / customers
        ready = float((number * 7) % 50)
        sites.append(Site(number, 10 * math.cos(angle), 10 * math.sin(angle), 10, ready, ready + window, 2.0))
    return VrptwInstance("ring", customers, capacity, Site(0, 0.0, 0.0, 0, 0.0, 200.0, 0.0), tuple(sites))


def test_baseline_is_feasible_and_visits_everyone() -> None:
    instance = ring_instance()
    solution = cheapest_insertion(instance)
    report = check_solution(instance, solution)
    assert report.feasible, report.violations
    assert sorted(number for route in solution.routes for number in route) == list(range(1, 13))
    assert report.vehicles >= 4  # capacity 30 holds three customers of demand 10


def test_baseline_is_deterministic() -> None:
    assert cheapest_insertion(ring_instance()) == cheapest_insertion(ring_instance())


def test_baseline_waits_for_windows_instead_of_giving_up() -> None:
    instance = ring_instance(4, capacity=100, window=5.0)
    solution = cheapest_insertion(instance)
    assert check_solution(instance, solution).feasible
    assert isinstance(solution, RoutingSolution)
