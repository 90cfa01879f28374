"""Schedule use cases: optimise a day, insert an emergency, re-plan a technician calling in sick; each previews
(nothing written) or applies (bookings written in the caller's one transaction).  The caller owns the transaction.

Applies are serialised by a transaction-level advisory lock taken before the day is read, so two applies never
plan from the same state; a booking made by hand meanwhile is refused by the database's no-overlap constraint
(`Conflict`, 409) and nothing of the apply remains.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import psycopg

from service_core.exceptions import Conflict, InvalidInput, NotFound
from service_core.resources import catalogs as territories
from service_core.resources import service as resources_service
from service_core.scheduling import day_mapping as mapping
from service_core.scheduling.day_loader import LoadedDay, load_day, load_order
from service_core.scheduling.fieldservice import (
    FieldServiceDay,
    FieldServicePlan,
    OptimizerSettings,
    check_plan,
    insert_emergency,
    optimize_day,
    replan_sick_technician,
)
from service_core.scheduling.presenter import Outcome, plan_public
from service_core.scheduling.schemas import (
    EmergencyRequest,
    Mode,
    OptimizeRequest,
    SchedulePlanPublic,
    SickRequest,
    TerritoryRef,
)
from service_core.scheduling.writer import apply_outcome, plan_changes

APPLY_LOCK = "assetpulse.schedule.apply"


def optimize(
    conn: psycopg.Connection, *, request: OptimizeRequest, actor: str, now: dt.datetime | None = None
) -> SchedulePlanPublic:
    """Plan the day (of a territory) with the optimizer; apply books the plan."""
    territory_id = resolve_territory(conn, territory=request.territory)
    _serialize(conn, request.mode)
    loaded = load_day(conn, day=request.day, territory_id=territory_id)
    _ensure_technicians(loaded, f" in territory {request.territory}" if request.territory is not None else "")
    if loaded.day.work_orders:
        settings = OptimizerSettings(time_limit_seconds=request.time_limit_seconds)
        result = optimize_day(loaded.day, settings=settings)
        plan, explanations, seconds, method = result.plan, result.explanations, result.seconds, result.engine
    else:
        plan, explanations, seconds, method = FieldServicePlan((), ()), (), 0.0, "nothing to plan"
    outcome = Outcome(loaded, loaded.day, plan, explanations, check_plan(loaded.day, plan), seconds, method)
    return _finish(conn, outcome, mode=request.mode, actor=actor, now=now)


def insert_emergency_order(
    conn: psycopg.Connection, *, request: EmergencyRequest, actor: str, now: dt.datetime | None = None
) -> SchedulePlanPublic:
    """Insert an unscheduled emergency order into the running day with the least disruption."""
    now = request.now or now or dt.datetime.now(dt.UTC)
    row = load_order(conn, work_order_id=request.work_order_id)
    if row is None:
        raise NotFound(f"work order {request.work_order_id} does not exist")
    if row.priority != "emergency":
        raise InvalidInput(f"work order {row.number} has priority {row.priority}: only emergencies are inserted")
    if row.status != "unscheduled":
        raise Conflict(f"work order {row.number} is {row.status}: only an unscheduled order can be inserted")
    if (reason := mapping.unschedulable_reason(row)) is not None:
        raise InvalidInput(f"work order {row.number} cannot be planned: {reason[1]}")
    day = now.astimezone(ZoneInfo(row.timezone)).date()
    _serialize(conn, request.mode)
    loaded = load_day(conn, day=day, include_open=False)
    _ensure_technicians(loaded, "")
    loaded = dataclasses.replace(loaded, numbers={**loaded.numbers, row.id: row.number})
    current = mapping.plan_from_bookings(loaded.day, loaded.movable_bookings())
    result = insert_emergency(loaded.day, current, mapping.work_order_of(row, day), now=now)
    outcome = Outcome(loaded, result.day, result.plan, result.explanations, check_plan(result.day, result.plan),
                      result.seconds, result.method, result.disruption)  # fmt: skip
    if request.mode == "apply" and str(row.id) not in result.plan.assignments():
        why = next((u.detail for u in result.plan.unscheduled if u.work_order_id == str(row.id)), "no room")
        raise Conflict(f"emergency {row.number} cannot be inserted on {day}: {why}")
    return _finish(conn, outcome, mode=request.mode, actor=actor, now=now)


def replan_sick(
    conn: psycopg.Connection, *, request: SickRequest, actor: str, now: dt.datetime | None = None
) -> SchedulePlanPublic:
    """Take a technician out of the day and re-book their unlocked bookings with the others."""
    now = request.now or now or dt.datetime.now(dt.UTC)
    resources_service.get_resource(conn, resource_id=request.resource_id)
    _serialize(conn, request.mode)
    loaded = load_day(conn, day=request.day, include_open=False)
    sick = str(request.resource_id)
    if all(t.id != sick for t in loaded.day.technicians):
        raise Conflict(f"resource {request.resource_id} does not work on {request.day}: nothing to re-plan")
    if len(loaded.day.technicians) < 2:
        raise Conflict(f"nobody else works on {request.day}: the bookings cannot be re-planned")
    day, notes = _without_fixed_of(loaded, sick)
    current = mapping.plan_from_bookings(day, loaded.movable_bookings())
    result = replan_sick_technician(day, current, sick, now=now)
    outcome = Outcome(loaded, result.day, result.plan, result.explanations, check_plan(result.day, result.plan),
                      result.seconds, result.method, result.disruption, notes)  # fmt: skip
    return _finish(conn, outcome, mode=request.mode, actor=actor, now=now)


def resolve_territory(conn: psycopg.Connection, *, territory: TerritoryRef | None) -> int | None:
    """A territory id or name as its id; `NotFound` when there is none."""
    if territory is None:
        return None
    for known in territories.list_territories(conn):
        if territory in (known.id, known.name):
            return known.id
    raise NotFound(f"territory {territory!r} does not exist")


def _without_fixed_of(loaded: LoadedDay, technician_id: str) -> tuple[FieldServiceDay, list[str]]:
    """The day without the sick technician's locked and in-progress bookings: those stay as booked."""
    kept = [b for b in loaded.fixed if str(b.resource_id) == technician_id]
    orders = {str(b.work_order_id) for b in kept}
    day = dataclasses.replace(
        loaded.day,
        work_orders=tuple(o for o in loaded.day.work_orders if o.id not in orders),
        locked=tuple(b for b in loaded.day.locked if b.technician_id != technician_id),
        in_progress=tuple(b for b in loaded.day.in_progress if b.technician_id != technician_id),
    )
    notes = [
        f"booking {b.booking_id} ({loaded.numbers.get(b.work_order_id, b.work_order_id)}) is {b.role.value} "
        "and was left with the sick technician: re-book it by hand"
        for b in kept
    ]
    return day, notes


def _ensure_technicians(loaded: LoadedDay, where: str) -> None:
    if not loaded.day.technicians:
        raise Conflict(f"no technician works on {loaded.date}{where}: nothing to plan")


def _serialize(conn: psycopg.Connection, mode: Mode) -> None:
    if mode == "apply":
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (APPLY_LOCK,))


def _finish(
    conn: psycopg.Connection, outcome: Outcome, *, mode: Mode, actor: str, now: dt.datetime | None
) -> SchedulePlanPublic:
    if mode == "preview":
        return plan_public(outcome, mode=mode)
    new_orders = {str(order_id) for order_id in plan_changes(outcome.loaded.movable, outcome.plan).create}
    broken = [v for v in outcome.check.violations if v.work_order_id in new_orders]
    if broken:
        raise Conflict("the plan fails the independent checker: " + "; ".join(v.detail for v in broken[:3]))
    applied = apply_outcome(conn, outcome=outcome, actor=actor, now=now or dt.datetime.now(dt.UTC))
    return plan_public(outcome, mode=mode, applied=applied)
