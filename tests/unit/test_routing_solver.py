"""The PyVRP adapter: feasible per the independent checker, vehicles before distance, conservative scaling."""

from __future__ import annotations

import math

import numpy as np
import pytest

from service_core.scheduling.routing import Site, VrptwInstance, check_solution
from service_core.scheduling.routing.solver import SCALE, SolverSettings, scaled_problem, solve_vrptw

QUICK = SolverSettings(time_limit_seconds=0.5, seed=1)


def ring_instance(customers: int = 12) -> VrptwInstance:
    sites = []
    for number in range(1, customers + 1):
        angle = 2 * math.pi * number / customers
        ready = float((number * 7) % 50)
        sites.append(Site(number, 10 * math.cos(angle), 10 * math.sin(angle), 10, ready, ready + 60.0, 2.0))
    return VrptwInstance("ring", customers, 30, Site(0, 0.0, 0.0, 0, 0.0, 200.0, 0.0), tuple(sites))


def test_solution_is_feasible_per_the_checker() -> None:
    instance = ring_instance()
    result = solve_vrptw(instance, QUICK)
    report = check_solution(instance, result.solution)
    assert report.feasible, report.violations
    assert result.feasible_in_engine
    assert report.vehicles == 4  # 12 customers of demand 10 in vehicles of 30


def test_fewer_vehicles_win_over_shorter_distance() -> None:
    """One vehicle must visit a, c, b in that order (62); two vehicles would drive a, b and c apart (42)."""
    instance = VrptwInstance(
        "hierarchy",
        vehicle_limit=2,
        capacity=10,
        depot=Site(0, 0.0, 0.0, 0, 0.0, 200.0, 0.0),
        customers=(
            Site(1, 10.0, 0.0, 1, 0.0, 20.0, 0.0),  # a
            Site(2, 11.0, 0.0, 1, 50.0, 100.0, 0.0),  # b
            Site(3, -10.0, 0.0, 1, 25.0, 45.0, 0.0),  # c
        ),
    )
    result = solve_vrptw(instance, QUICK)
    assert result.solution.routes == ((1, 3, 2),)
    assert check_solution(instance, result.solution).distance == pytest.approx(62.0)


def test_scaling_never_makes_travel_shorter_or_windows_wider() -> None:
    instance = ring_instance()
    data = scaled_problem(instance)
    coordinates = np.array([(site.x, site.y) for site in instance.sites])
    real = np.sqrt(((coordinates[:, None] - coordinates[None]) ** 2).sum(axis=2))
    assert np.all(data.duration_matrix(0) >= real * SCALE)
    for client, site in zip(data.clients(), instance.customers, strict=True):
        assert client.tw_early >= site.ready_time * SCALE
        assert client.tw_late <= site.due_time * SCALE
        assert client.service_duration >= site.service_time * SCALE


def test_same_seed_same_solution_on_a_tiny_instance() -> None:
    instance = ring_instance(8)
    first = solve_vrptw(instance, QUICK).solution
    assert check_solution(instance, first).feasible
    assert solve_vrptw(instance, QUICK).solution.vehicles == first.vehicles


def test_an_instance_without_customers_needs_no_vehicle() -> None:
    depot_only = VrptwInstance("empty", 3, 10, Site(0, 0.0, 0.0, 0, 0.0, 100.0, 0.0), ())
    assert solve_vrptw(depot_only, QUICK).solution.vehicles == 0
