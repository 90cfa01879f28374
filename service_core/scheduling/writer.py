"""Apply a plan: which bookings stay, which are canceled (moved or dropped) and which are created, then write
that through the bookings and work-order services in the caller's transaction.

A movable booking stays when the plan keeps its order with the same technician within `SAME_TIME` of its times
(or the re-plan froze it as started); otherwise it is canceled, and re-created where the plan puts the order.
Locked and in-progress bookings are never in the changes.  Times are written as planned, to the microsecond:
rounded, a booking could start a fraction of a second before the technician can arrive, and a later re-plan,
which takes booked times as exact, would find the route infeasible.  New bookings are made with `create_booking` (work
order lock, credit hold, the database's no-double-booking constraint: a conflict raises `Conflict` and the
caller's transaction rolls back as a whole), then marked as the optimizer's with its explanation.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import psycopg

from service_core.bookings import service as bookings_service
from service_core.bookings.schemas import BookingCreate
from service_core.scheduling.day_loader import CurrentBooking
from service_core.scheduling.fieldservice import FieldServicePlan, StopKind
from service_core.scheduling.presenter import Outcome, explanation_public
from service_core.scheduling.schemas import AppliedPublic
from service_core.work_orders import service as work_orders_service

SAME_TIME = dt.timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class Slot:
    resource_id: int
    start_at: dt.datetime
    end_at: dt.datetime
    travel_minutes: int


@dataclass(frozen=True, slots=True)
class Changes:
    create: dict[int, Slot]  # work order id -> where it is booked now
    cancel: list[CurrentBooking]
    unchanged: list[CurrentBooking]


def plan_changes(movable: Mapping[int, CurrentBooking], plan: FieldServicePlan) -> Changes:
    """What applying `plan` changes to the day's movable bookings (pure)."""
    create: dict[int, Slot] = {}
    for route in plan.routes:
        for stop in route.stops:
            if stop.kind is StopKind.WORK and stop.work_order_id is not None:
                create[int(stop.work_order_id)] = Slot(
                    int(route.technician_id), stop.start, stop.end,
                    math.ceil(stop.travel_minutes),
                )  # fmt: skip
    cancel, unchanged = [], []
    for order_id, booking in sorted(movable.items()):
        planned = plan.stop_of(str(order_id))
        slot = create.get(order_id)
        if planned is not None and planned.kind is not StopKind.WORK:
            unchanged.append(booking)  # started by now: frozen by the re-plan where it is
        elif slot is not None and _same(booking, slot):
            unchanged.append(booking)
            del create[order_id]
        else:
            cancel.append(booking)
    return Changes(create, cancel, unchanged)


def _same(booking: CurrentBooking, slot: Slot) -> bool:
    return (
        booking.resource_id == slot.resource_id
        and abs(booking.start_at - slot.start_at) <= SAME_TIME
        and abs(booking.end_at - slot.end_at) <= SAME_TIME
    )


def apply_outcome(conn: psycopg.Connection, *, outcome: Outcome, actor: str, now: dt.datetime) -> AppliedPublic:
    """Write the plan's changes: cancel first (so moved orders free their old times), then book."""
    changes = plan_changes(outcome.loaded.movable, outcome.plan)
    for booking in changes.cancel:
        work_orders_service.lock_for_booking(conn, work_order_id=booking.work_order_id)
        bookings_service.cancel_active_bookings(conn, work_order_id=booking.work_order_id, now=now)
        if booking.work_order_id not in changes.create:
            work_orders_service.follow_bookings(conn, work_order_id=booking.work_order_id, now=now)
    created = [
        _book(conn, outcome=outcome, work_order_id=order_id, slot=slot, actor=actor, now=now)
        for order_id, slot in sorted(changes.create.items())
    ]
    return AppliedPublic(
        created_booking_ids=created,
        canceled_booking_ids=[b.booking_id for b in changes.cancel],
        unchanged_booking_ids=[b.booking_id for b in changes.unchanged],
    )


def _book(
    conn: psycopg.Connection, *, outcome: Outcome, work_order_id: int, slot: Slot, actor: str, now: dt.datetime
) -> int:
    booking_in = BookingCreate(
        work_order_id=work_order_id, resource_id=slot.resource_id, start_at=slot.start_at, end_at=slot.end_at
    )
    booking = bookings_service.create_planned_booking(
        conn,
        booking_in=booking_in,
        actor=actor,
        travel_minutes=slot.travel_minutes,
        explanation=_explanation(outcome, work_order_id=work_order_id, slot=slot, actor=actor),
        now=now,
    )
    return booking.id


def _explanation(outcome: Outcome, *, work_order_id: int, slot: Slot, actor: str) -> dict[str, Any]:
    found = outcome.explanation_of(str(work_order_id))
    detail = {} if found is None else explanation_public(outcome, found).model_dump(mode="json")
    return {
        "strategy": "optimizer",
        "method": outcome.method,
        "resource_id": slot.resource_id,
        "name": outcome.loaded.names.get(slot.resource_id, ""),
        **detail,
        "actor": actor,
    }
