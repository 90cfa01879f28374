"""The VRPTW solver: an adapter to PyVRP (iterated local search, state of the art for VRPTW).

PyVRP works in integers, so times and distances are scaled by `SCALE` and rounded *conservatively*: travel
durations and service times up, ready times up, due dates down.  By induction over a route, every scaled
start time is then at least `SCALE` times the real one, so a solution feasible in integers is feasible in
floats too (the bench re-checks it with the independent checker anyway).  Distances are rounded to nearest:
they only steer the objective.

Vehicles first, then distance: a fleet-minimisation phase (PyVRP's `minimise_fleet` procedure, keeping the
feasible solutions it finds) takes `fleet_share` of the time limit; the rest improves distance with the
smallest fleet found, warm-started from its solution (no fixed vehicle cost: the fleet size is already capped).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass

import numpy as np
from pyvrp import Model, ProblemData, Solution, solve
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import FirstFeasible, MaxRuntime, MultipleCriteria, StoppingCriterion

from service_core.scheduling.routing.instances import VrptwInstance
from service_core.scheduling.routing.solution import RoutingSolution
from service_core.scheduling.routing.travel import EuclideanTravel, PlanePoint, TravelTable

SCALE = 10_000
ENGINE = "pyvrp"


@dataclass(frozen=True, slots=True)
class SolverSettings:
    time_limit_seconds: float
    seed: int = 0
    fleet_share: float = 0.3  # of the time limit spent reducing the number of vehicles

    def __post_init__(self) -> None:
        if self.time_limit_seconds <= 0 or not 0.0 <= self.fleet_share <= 1.0:
            raise ValueError("time_limit_seconds must be positive and fleet_share within [0, 1]")


@dataclass(frozen=True, slots=True)
class SolverResult:
    solution: RoutingSolution
    feasible_in_engine: bool  # PyVRP's own verdict on the scaled data; the checker's verdict is the one reported
    seconds: float
    engine: str = ENGINE


def solve_vrptw(instance: VrptwInstance, settings: SolverSettings) -> SolverResult:
    """Solve within `settings.time_limit_seconds` on one core (PyVRP is single-threaded), seeded; being limited by
    time, not iterations, the result can still vary with the machine's speed."""
    if not instance.customers:
        return SolverResult(RoutingSolution(()), feasible_in_engine=True, seconds=0.0)
    with warnings.catch_warnings():
        # PyVRP warns when its penalties reach their maximum: expected while trying a fleet that is too small or
        # searching a tight feasible region; the result is checked for feasibility all the same
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        return _solve(instance, settings)


def _solve(instance: VrptwInstance, settings: SolverSettings) -> SolverResult:
    started = time.perf_counter()
    data = scaled_problem(instance)
    fleet_stop = MaxRuntime(settings.time_limit_seconds * settings.fleet_share)
    fleet_size, start = _minimise_fleet(data, fleet_stop, settings.seed)
    remaining = max(0.0, settings.time_limit_seconds - (time.perf_counter() - started))
    best = _minimise_distance(data, fleet_size, start, MaxRuntime(remaining), settings.seed)
    return SolverResult(
        solution=RoutingSolution.of(_customer_routes(best)),
        feasible_in_engine=best.is_feasible(),
        seconds=time.perf_counter() - started,
    )


def _minimise_distance(
    data: ProblemData, fleet_size: int, start: Solution | None, stop: StoppingCriterion, seed: int
) -> Solution:
    """Improve distance with at most `fleet_size` vehicles, from `start` when the fleet phase found one."""
    fleet = data.vehicle_type(0).replace(num_available=fleet_size)
    data = data.replace(vehicle_types=[fleet])
    start = None if start is None else Solution(data, _client_routes(start))
    best = solve(data, stop, seed=seed, collect_stats=False, initial_solution=start).best
    return start if start is not None and not best.is_feasible() else best


def scaled_problem(instance: VrptwInstance, table: TravelTable | None = None) -> ProblemData:
    """PyVRP data for the instance, scaled and rounded so that integer feasibility implies float feasibility."""
    if table is None:
        table = EuclideanTravel().table([PlanePoint(site.x, site.y) for site in instance.sites])
    model = Model()
    locations = [model.add_location(site.x, site.y) for site in instance.sites]
    depot_site = instance.depot
    depot = model.add_depot(locations[0], tw_early=_up(depot_site.ready_time), tw_late=_down(depot_site.due_time))
    for site, location in zip(instance.customers, locations[1:], strict=True):
        model.add_client(
            location,
            delivery=site.demand * SCALE,
            service_duration=_up(site.service_time),
            tw_early=_up(site.ready_time),
            tw_late=_down(site.due_time),
        )
    distance = np.rint(table.distance * SCALE).astype(np.int64)
    duration = np.ceil(table.duration * SCALE).astype(np.int64)
    for origin, frm in enumerate(locations):
        for destination, to in enumerate(locations):
            model.add_edge(frm, to, int(distance[origin, destination]), int(duration[origin, destination]))
    model.add_vehicle_type(
        num_available=min(instance.vehicle_limit, len(instance.customers)) or 1,
        capacity=instance.capacity * SCALE,
        start_depot=depot,
        end_depot=depot,
        tw_early=_up(depot_site.ready_time),
        tw_late=_down(depot_site.due_time),
    )
    return model.data()


def _minimise_fleet(data: ProblemData, stop: StoppingCriterion, seed: int) -> tuple[int, Solution | None]:
    """Solve with fewer and fewer vehicles until one fails or time is up (as `pyvrp.minimise_fleet` does),
    returning the smallest fleet size that was solved and its feasible solution."""
    vehicle_type = data.vehicle_type(0)
    lower_bound = max(1, math.ceil(sum(client.delivery[0] for client in data.clients()) / vehicle_type.capacity[0]))
    fleet_size, best = vehicle_type.num_available, None
    trial = fleet_size
    while trial >= lower_bound and not stop(0):
        fleet = data.replace(vehicle_types=[vehicle_type.replace(num_available=trial)])
        result = solve(fleet, MultipleCriteria([FirstFeasible(), stop]), seed=seed, collect_stats=False)
        if not result.best.is_feasible():
            break
        best, fleet_size = result.best, result.best.num_routes()
        trial = fleet_size - 1
    return fleet_size, best


def _client_routes(solution: Solution) -> list[list[int]]:
    return [[activity.idx for activity in route if activity.is_client()] for route in solution.routes()]


def _customer_routes(solution: Solution) -> list[list[int]]:
    """Client k of the PyVRP data is customer k + 1 of the instance (locations were added in site order)."""
    return [[index + 1 for index in route] for route in _client_routes(solution)]


def _up(value: float) -> int:
    """Scale and round up; the 1e-9 (scaled units) absorbs float noise such as 147 * 10_000 = 1470000.0000000002."""
    return math.ceil(value * SCALE - 1e-9)


def _down(value: float) -> int:
    return math.floor(value * SCALE + 1e-9)
