"""The baseline the benchmark compares the solver with: sequential cheapest feasible insertion.

Routes are built one at a time.  A route starts with the unrouted customer with the earliest due date (ties:
farthest from the depot, then lowest number); then the unrouted customer and position that add the least
distance while keeping the route feasible (capacity, time windows with waiting, return to the depot in time)
are inserted, until no customer fits and a new route starts.  Deterministic; no search.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from service_core.scheduling.routing.instances import VrptwInstance
from service_core.scheduling.routing.solution import RoutingSolution
from service_core.scheduling.routing.travel import EuclideanTravel, Matrix, PlanePoint, TravelTable

Indices = npt.NDArray[np.intp]


@dataclass(frozen=True, slots=True)
class _Sites:
    """The instance as arrays indexed by site number (0 = depot)."""

    distance: Matrix
    duration: Matrix
    ready: Matrix
    due: Matrix
    service: Matrix
    demand: Matrix
    capacity: int

    @classmethod
    def of(cls, instance: VrptwInstance, table: TravelTable) -> _Sites:
        sites = instance.sites

        def column(values: list[float]) -> Matrix:
            return np.array(values, dtype=np.float64)

        return cls(
            distance=table.distance,
            duration=table.duration,
            ready=column([site.ready_time for site in sites]),
            due=column([site.due_time for site in sites]),
            service=column([site.service_time for site in sites]),
            demand=column([float(site.demand) for site in sites]),
            capacity=instance.capacity,
        )


def cheapest_insertion(instance: VrptwInstance, table: TravelTable | None = None) -> RoutingSolution:
    """Build a solution by sequential cheapest feasible insertion (see the module docstring)."""
    if table is None:
        table = EuclideanTravel().table([PlanePoint(site.x, site.y) for site in instance.sites])
    sites = _Sites.of(instance, table)
    unrouted = np.ones(len(instance.sites), dtype=bool)
    unrouted[0] = False
    routes: list[list[int]] = []
    while unrouted.any():
        route = [_seed_customer(sites, unrouted)]
        unrouted[route[0]] = False
        while (insertion := _cheapest_feasible_insertion(sites, route, np.flatnonzero(unrouted))) is not None:
            customer, position = insertion
            route.insert(position, customer)
            unrouted[customer] = False
        routes.append(route)
    return RoutingSolution.of(routes)


def _seed_customer(sites: _Sites, unrouted: npt.NDArray[np.bool_]) -> int:
    candidates = np.flatnonzero(unrouted)
    order = np.lexsort((candidates, -sites.distance[0, candidates], sites.due[candidates]))
    return int(candidates[order[0]])


def _cheapest_feasible_insertion(sites: _Sites, route: list[int], candidates: Indices) -> tuple[int, int] | None:
    """The (customer, position in `route`) adding the least distance among feasible insertions, if any."""
    if candidates.size == 0:
        return None
    path = np.array([0, *route, 0], dtype=np.intp)
    begin, latest = _service_starts(sites, path), _latest_starts(sites, path)
    before, after = path[:-1, None], path[1:, None]  # one row per gap between consecutive stops
    arrival = begin[:-1, None] + sites.service[before] + sites.duration[before, candidates]
    start = np.maximum(arrival, sites.ready[candidates])
    reach_next = start + sites.service[candidates] + sites.duration[candidates, after]
    fits = (
        (start <= sites.due[candidates])
        & (reach_next <= latest[1:, None])
        & (sites.demand[path].sum() + sites.demand[candidates] <= sites.capacity)
    )
    if not fits.any():
        return None
    added = sites.distance[before, candidates] + sites.distance[candidates, after] - sites.distance[before, after]
    gap, column = np.unravel_index(np.argmin(np.where(fits, added, np.inf)), added.shape)
    return int(candidates[column]), int(gap)


def _service_starts(sites: _Sites, path: Indices) -> Matrix:
    """When service starts at each stop of `path` (the depot's due date bounds the last entry)."""
    begin = np.empty(len(path), dtype=np.float64)
    begin[0] = sites.ready[0]
    for k in range(1, len(path)):
        previous, current = path[k - 1], path[k]
        begin[k] = max(begin[k - 1] + sites.service[previous] + sites.duration[previous, current], sites.ready[current])
    return begin


def _latest_starts(sites: _Sites, path: Indices) -> Matrix:
    """The latest service start at each stop that keeps the rest of the route feasible."""
    latest = np.empty(len(path), dtype=np.float64)
    latest[-1] = sites.due[0]
    for k in range(len(path) - 2, -1, -1):
        current, following = path[k], path[k + 1]
        latest[k] = min(sites.due[current], latest[k + 1] - sites.duration[current, following] - sites.service[current])
    return latest
