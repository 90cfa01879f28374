"""The field-service day as a PyVRP problem (prize-collecting VRPTW with one vehicle type per technician).

Mapping (PyVRP 0.14 has no per-vehicle client restrictions and one service duration per client):
- one vehicle type per technician, with its own start/end depot (the home bases), shift window and **routing
  profile**; the profile's matrices carry everything that depends on the technician:
  * forbidden clients (missing skill or proficiency, other territory, excluded, another technician's booking or
    time off): every arc into them costs `FORBIDDEN` distance and duration, so visiting them is both
    time-infeasible and unprofitable;
  * proficiency-dependent service time: clients have no service duration; instead the technician's own service
    time of client i is added to every arc *leaving* i, which is exact per technician;
  * preferences (and, when re-planning, staying with the incumbent technician): a small distance surcharge on
    arcs into the order for other technicians.
- work orders are optional clients with prizes by priority (SLA-critical and emergency >> high >> normal >> low),
  all far above any detour, so the engine schedules as many as possible, the important ones first, then
  minimises travel (metres); locked/in-progress bookings and time off are required clients restricted to their
  technician with a fixed start.
- the start of an order is bounded by its window and by the SLA deadline minus the *slowest* eligible
  technician's duration (conservative: one window per client); the exact post-pass re-times every route.
- the break is not a client: each route's duration is capped at the shift length minus the break, and the exact
  post-pass places the break (see `timing`), repairing the rare route where it does not fit.
- workload balance: routes may run past an even share of the day's work only as overtime, at a small cost per
  second (the lowest objective).
Times are integer seconds and distances integer metres, rounded conservatively as in `routing.solver`.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass

import numpy as np
from pyvrp import Client, Depot, Location, ProblemData, Route, Solution, VehicleType, solve
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import MaxRuntime

from service_core.scheduling.fieldservice.model import Priority, WorkOrder, ineligibility
from service_core.scheduling.fieldservice.network import Network, Visit
from service_core.scheduling.fieldservice.plan import StopKind

ENGINE = "pyvrp"
FORBIDDEN = 10**9
PREFERENCE_PENALTY_M = 2_000
INCUMBENT_PENALTY_M = 5_000
TRAVEL_ESTIMATE_MINUTES = 15.0  # per order, for the even share of work
BALANCE_SLACK = 1.25
PRIZES = {Priority.EMERGENCY: 100_000_000, Priority.HIGH: 20_000_000, Priority.NORMAL: 2_000_000, Priority.LOW: 500_000}


def prize(order: WorkOrder) -> int:
    return PRIZES[Priority.EMERGENCY] if order.sla_critical else PRIZES[order.priority]


@dataclass(frozen=True, slots=True)
class SolveRequest:
    """Orders to route (optional clients), every technician's fixed visits (required), and for re-plans the
    incumbent technician of each order and a starting solution."""

    orders: tuple[WorkOrder, ...]
    fixed: dict[int, list[Visit]]
    time_limit_seconds: float
    seed: int = 0
    not_before: float | None = None
    incumbent: dict[str, int] | None = None
    initial: dict[int, list[Visit]] | None = None
    balance: bool = True


@dataclass(frozen=True, slots=True)
class SolveOutcome:
    routes: dict[int, list[Visit]]  # per technician, in visiting order (not yet exactly timed)
    feasible_in_engine: bool
    seconds: float


def solve_day(net: Network, request: SolveRequest) -> SolveOutcome:
    started = time.perf_counter()
    problem = _Problem.build(net, request)
    initial = problem.solution(request.initial) if request.initial is not None else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        result = solve(
            problem.data, MaxRuntime(request.time_limit_seconds), seed=request.seed, collect_stats=False,
            initial_solution=initial,
        )  # fmt: skip
    best = result.best
    if not best.is_feasible() and initial is not None:
        best = initial
    return SolveOutcome(problem.routes(best), best.is_feasible(), time.perf_counter() - started)


@dataclass(frozen=True, slots=True)
class _Problem:
    data: ProblemData
    visits: tuple[dict[int, Visit], ...]  # per client index: the visit as done by each allowed technician
    client_of: dict[tuple[StopKind, str | None, float], int]

    @classmethod
    def build(cls, net: Network, request: SolveRequest) -> _Problem:
        technicians = range(len(net.day.technicians))
        depots = [net.start_point(k) for k in technicians] + [net.end_point(k) for k in technicians]
        per_client: list[dict[int, Visit]] = []
        clients: list[Client] = []
        for order in request.orders:
            allowed = {
                k: net.work_visit(k, order, not_before=request.not_before)
                for k in technicians
                if ineligibility(net.day.technicians[k], order) is None
            }
            if not allowed:
                continue
            latest = min(visit.latest_start for visit in allowed.values())
            earliest = max(0.0, next(iter(allowed.values())).earliest)
            if latest < earliest:
                continue
            per_client.append(allowed)
            index = len(depots) + len(clients)
            clients.append(
                Client(index, tw_early=_up(earliest), tw_late=_down(latest), prize=prize(order), required=False)
            )
        for k, fixed in sorted(request.fixed.items()):
            for visit in fixed:
                per_client.append({k: visit})
                start = round(visit.earliest * 60.0)
                clients.append(Client(len(depots) + len(clients), tw_early=start, tw_late=start, required=True))
        points = np.array(depots + [next(iter(c.values())).point for c in per_client], dtype=np.intp)
        distances, durations = _matrices(net, request, points, per_client, len(depots))
        data = ProblemData(
            locations=[Location(*_xy(net, int(p))) for p in points],
            clients=clients,
            depots=[Depot(location) for location in range(len(depots))],
            vehicle_types=_vehicle_types(net, request),
            distance_matrices=distances,  # type: ignore[arg-type]  # the stub's ndarray[int] is not a valid shape
            duration_matrices=durations,  # type: ignore[arg-type]
        )
        client_of = {
            (visit.kind, visit.order_id, visit.earliest if visit.fixed else 0.0): index
            for index, allowed in enumerate(per_client)
            for visit in allowed.values()
        }
        return cls(data, tuple(per_client), client_of)

    def routes(self, solution: Solution) -> dict[int, list[Visit]]:
        routes: dict[int, list[Visit]] = {}
        for route in solution.routes():
            k = route.vehicle_type()
            clients = [activity.idx for activity in route if activity.is_client()]
            routes[k] = [self.visits[client][k] for client in clients if k in self.visits[client]]
        return routes

    def solution(self, routes: dict[int, list[Visit]]) -> Solution:
        built = []
        for k, visits in sorted(routes.items()):
            indices = [self.client_of.get((v.kind, v.order_id, v.earliest if v.fixed else 0.0)) for v in visits]
            known = [index for index in indices if index is not None]
            if known:
                built.append(Route(self.data, known, k))
        return Solution(self.data, built)


def _matrices(
    net: Network, request: SolveRequest, points: np.ndarray, per_client: list[dict[int, Visit]], depots: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    base_distance = np.rint(net.km[np.ix_(points, points)] * 1000.0).astype(np.int64)
    base_duration = np.ceil(net.minutes[np.ix_(points, points)] * 60.0 - 1e-9).astype(np.int64)
    incumbent = request.incumbent or {}
    distances, durations = [], []
    for k, tech in enumerate(net.day.technicians):
        service = np.zeros(len(points), dtype=np.int64)
        surcharge = np.zeros(len(points), dtype=np.int64)
        forbidden = np.zeros(len(points), dtype=bool)
        for client, allowed in enumerate(per_client):
            column = depots + client
            visit = allowed.get(k)
            if visit is None:
                forbidden[column] = True
                continue
            service[column] = _up(visit.duration)
            if visit.kind is StopKind.WORK and visit.order_id is not None:
                order = net.day.work_orders[net.order_index[visit.order_id]]
                if order.preferred and tech.id not in order.preferred:
                    surcharge[column] += PREFERENCE_PENALTY_M
                if visit.order_id in incumbent and incumbent[visit.order_id] != k:
                    surcharge[column] += INCUMBENT_PENALTY_M
        distance = base_distance + surcharge[None, :]
        duration = base_duration + service[:, None]
        distance[:, forbidden] = FORBIDDEN
        duration[:, forbidden] = FORBIDDEN
        np.fill_diagonal(distance, 0)
        np.fill_diagonal(duration, 0)
        distances.append(distance)
        durations.append(duration)
    return distances, durations


def _vehicle_types(net: Network, request: SolveRequest) -> list[VehicleType]:
    technicians = net.day.technicians
    fixed_minutes = sum(v.duration for visits in request.fixed.values() for v in visits if v.kind != StopKind.TIME_OFF)
    work = fixed_minutes + sum(o.standard_minutes + TRAVEL_ESTIMATE_MINUTES for o in request.orders)
    share = BALANCE_SLACK * work / max(1, len(technicians))
    types = []
    for k, tech in enumerate(technicians):
        start, end = net.shift(k)
        available = end - start - (tech.break_rule.minutes if tech.break_rule else 0.0)
        time_off = sum(v.duration for v in request.fixed.get(k, []) if v.kind is StopKind.TIME_OFF)
        nominal = min(available, share + time_off) if request.balance else available
        types.append(
            VehicleType(
                num_available=1,
                start_depot=k,
                end_depot=len(technicians) + k,
                tw_early=_up(max(0.0, start)),
                tw_late=_down(end),
                shift_duration=_down(nominal),
                max_overtime=_down(available) - _down(nominal),
                unit_overtime_cost=1 if request.balance else 0,
                profile=k,
                name=tech.id,
            )
        )
    return types


def _xy(net: Network, point: int) -> tuple[int, int]:
    geo = net.points[point]
    return round(geo.longitude * 1e5), round(geo.latitude * 1e5)


def _up(minutes: float) -> int:
    return math.ceil(minutes * 60.0 - 1e-6)


def _down(minutes: float) -> int:
    return math.floor(minutes * 60.0 + 1e-6)
