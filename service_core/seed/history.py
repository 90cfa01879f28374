"""Walk the planned jobs through the real work-order lifecycle, with the past moments the services accept.

Open (dispatcher) -> book -> traveling -> in progress (technician) -> parts used, labour and travel, checklist,
time entries -> booking completed (the order completes at the booking's end) -> resolution -> posted (billing
drafts the invoice).  Canceled, partial (a follow-up opens), completed-not-posted and open jobs stop on the way.
Completion, resolution and posting have no `now` parameter: those are stamped with the real clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import psycopg

from service_core.agreements import pm_service
from service_core.assets import service as assets_service
from service_core.auth.domain import Principal
from service_core.bookings import service as bookings_service
from service_core.bookings.schemas import BookingCreate
from service_core.policies import service as policies_service
from service_core.seed.loader import Ids
from service_core.seed.model import Company, WorkOrderPlan
from service_core.seed.plan_master import ZONE
from service_core.seed.vocabulary import CALL_OUT_SKU, LABOUR_SKU, TRAVEL_KM_SKU
from service_core.work_orders import closing, execution
from service_core.work_orders import service as work_orders_service
from service_core.work_orders.schemas import (
    LineCreate,
    LineUpdate,
    TaskRecord,
    TimeEntryCreate,
    WorkOrderComplete,
    WorkOrderCreate,
    WorkOrderPost,
)

CANCEL_REASONS = ("Customer solved it on site", "Duplicate of an earlier call", "Asset taken out of service")


def load_history(conn: psycopg.Connection, company: Company, ids: Ids) -> dict[int, int]:
    """Every planned job, oldest first; the work-order id of each plan key."""
    stored = {}
    for plan in company.work_orders:
        stored[plan.key] = _walk(conn, company, ids, plan)
    return stored


@dataclass(frozen=True, slots=True)
class _Job:
    """A booked job being done: its plan, its technician, and the stored work order and booking."""

    plan: WorkOrderPlan
    tech: Principal
    work_order_id: int
    booking_id: int


def run_jobs(conn: psycopg.Connection, company: Company, ids: Ids) -> None:
    """Today's run hours from telemetry, then the periodic jobs: preventive work that is due, escalations."""
    assert ids.dispatcher is not None
    for asset in company.assets:
        if asset.level == "asset":
            assets_service.record_meter_reading(
                conn, asset_id=ids.assets[asset.key], meter="run_hours", value=company.run_hours(asset, company.now),
                read_at=company.now, source="telemetry",
            )  # fmt: skip
    today = company.now.astimezone(ZONE).date()
    pm_service.generate_preventive_work(conn, today=today, actor=ids.dispatcher.actor)
    policies_service.run_escalations(conn, now=company.now)


def _walk(conn: psycopg.Connection, company: Company, ids: Ids, plan: WorkOrderPlan) -> int:
    assert ids.dispatcher is not None
    dispatcher = ids.dispatcher.actor
    work_order_in = WorkOrderCreate(
        account_id=ids.accounts[plan.account],
        asset_id=ids.assets[plan.asset],
        location_id=ids.locations[plan.location] if plan.location is not None else None,
        incident_type_id=ids.incident_types[plan.incident],
        priority=plan.priority,
        summary=plan.summary,
        agreement_id=ids.agreements[plan.agreement] if plan.agreement else None,
    )
    wo = work_orders_service.create_work_order(conn, work_order_in=work_order_in, actor=dispatcher, now=plan.created_at)
    if plan.booking is None:
        if plan.fate == "canceled":
            reason = CANCEL_REASONS[plan.key % len(CANCEL_REASONS)]
            work_orders_service.cancel_work_order(conn, work_order_id=wo.id, reason=reason, actor=dispatcher)
        return wo.id
    booking = plan.booking
    booking_in = BookingCreate(
        work_order_id=wo.id, resource_id=ids.technicians[booking.technician], start_at=booking.start, end_at=booking.end
    )
    booked_at = min(plan.created_at + timedelta(minutes=15), booking.start - timedelta(minutes=booking.travel_minutes))
    booking_id = bookings_service.create_booking(conn, booking_in=booking_in, actor=dispatcher, now=booked_at).id
    if plan.fate == "canceled_booked":
        reason = CANCEL_REASONS[plan.key % len(CANCEL_REASONS)]
        work_orders_service.cancel_work_order(conn, work_order_id=wo.id, reason=reason, actor=dispatcher)
        return wo.id
    if plan.fate == "scheduled":
        return wo.id
    job = _Job(plan, ids.tech_principals[booking.technician], wo.id, booking_id)
    _start(conn, job)
    if plan.fate == "in_progress":
        return wo.id
    _execute(conn, job, ids)
    _finish(conn, company, ids, job)
    return wo.id


def _start(conn: psycopg.Connection, job: _Job) -> None:
    """The technician sets off (time on the road recorded) and starts the job."""
    plan, tech, work_order_id, booking_id = job.plan, job.tech, job.work_order_id, job.booking_id
    assert plan.booking is not None
    left = plan.booking.start - timedelta(minutes=plan.booking.travel_minutes)
    bookings_service.change_status(conn, booking_id=booking_id, status="traveling", principal=tech, now=left)
    bookings_service.change_status(
        conn, booking_id=booking_id, status="in_progress", principal=tech, now=plan.booking.start
    )
    travel = TimeEntryCreate(kind="travel", started_at=left, ended_at=plan.booking.start, booking_id=booking_id)
    execution.add_time_entry(conn, work_order_id=work_order_id, entry_in=travel, principal=tech)


def _execute(conn: psycopg.Connection, job: _Job, ids: Ids) -> None:
    """Parts used, labour and travel lines, the checklist (the last task left for a partial job), time worked."""
    plan, tech, work_order_id, booking_id = job.plan, job.tech, job.work_order_id, job.booking_id
    assert plan.booking is not None
    for line in execution.list_lines(conn, work_order_id=work_order_id):
        if line.line_status == "estimated":
            execution.update_line(
                conn, work_order_id=work_order_id, line_id=line.id, line_in=LineUpdate(line_status="used"),
                principal=tech,
            )  # fmt: skip
    for kind, sku, description, quantity in (
        ("labour", LABOUR_SKU, "Labour", plan.labour_hours),
        ("travel", CALL_OUT_SKU, "Call-out", Decimal(1)),
        ("travel", TRAVEL_KM_SKU, "Travel", plan.travel_km),
    ):
        line_in = LineCreate(kind=kind, item_id=ids.items[sku], description=description, quantity=quantity)
        execution.add_line(conn, work_order_id=work_order_id, line_in=line_in, principal=tech)
    tasks = execution.list_tasks(conn, work_order_id=work_order_id)
    for n, task in enumerate(tasks):
        if plan.fate == "partial" and n == len(tasks) - 1:
            break
        failed = plan.failed_task and n == 0
        record = TaskRecord(result="fail" if failed else "pass", notes="worn beyond limits" if failed else "")
        execution.record_task(conn, work_order_id=work_order_id, task_id=task.id, task_in=record, principal=tech)
    work = TimeEntryCreate(kind="work", started_at=plan.booking.start, ended_at=plan.booking.end, booking_id=booking_id)
    execution.add_time_entry(conn, work_order_id=work_order_id, entry_in=work, principal=tech)


def _finish(conn: psycopg.Connection, company: Company, ids: Ids, job: _Job) -> None:
    """Booking done (the order completes then), run hours read, resolution recorded; posted unless left for review."""
    plan, tech, work_order_id, booking_id = job.plan, job.tech, job.work_order_id, job.booking_id
    assert plan.booking is not None and plan.resolution is not None and ids.dispatcher is not None
    end = plan.booking.end
    bookings_service.change_status(conn, booking_id=booking_id, status="completed", principal=tech, now=end)
    asset = company.assets[plan.asset]
    assets_service.record_meter_reading(
        conn, asset_id=ids.assets[plan.asset], meter="run_hours", value=company.run_hours(asset, end), read_at=end,
        source="work_order",
    )  # fmt: skip
    notes = "Follow-up needed for the remaining task" if plan.fate == "partial" else "Tested and handed over"
    completion = WorkOrderComplete(resolution_code=plan.resolution, resolution_notes=notes)
    closing.complete_work_order(conn, work_order_id=work_order_id, completion=completion, actor=tech.actor)
    if plan.fate in ("posted", "partial"):
        closing.post_work_order(conn, work_order_id=work_order_id, post_in=WorkOrderPost(), actor=ids.dispatcher.actor)
