"""Work-order use cases: open one (from an incident type), read it, change its priority and details, cancel it,
complete it, and follow its bookings.  Functions take an open connection; the caller owns the transaction."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import class_row

from service_core import messagebus
from service_core.accounts import service as accounts_service
from service_core.events import WorkOrderCanceled, WorkOrderCompleted, WorkOrderCreated
from service_core.exceptions import Conflict, InvalidInput, NotFound
from service_core.work_orders import domain, queries, sla
from service_core.work_orders.domain import WorkOrderStatus
from service_core.work_orders.schemas import WorkOrderCreate, WorkOrderPublic, WorkOrderUpdate
from service_core.work_orders.sla import sla_due_times

_CONTEXT = f"""
SELECT ({accounts_service.PAYER_SQL}), it.id, it.work_type, it.estimated_minutes,
       coalesce(%(location)s, (SELECT location_id FROM assets.assets WHERE id = %(asset)s)),
       chosen.priority, plan.*, cal.*
FROM (SELECT 1) AS one
LEFT JOIN work.incident_types it ON it.id = %(it)s
CROSS JOIN LATERAL (SELECT coalesce(%(priority)s, it.default_priority, 'normal') AS priority) AS chosen
LEFT JOIN LATERAL policy.sla_target_for(%(agreement)s::int, chosen.priority) AS plan ON true
LEFT JOIN LATERAL policy.calendar_of(plan.calendar_id) AS cal ON true
"""

_INSERT = f"""
WITH wo AS (
    INSERT INTO work.work_orders (account_id, billing_account_id, location_id, asset_id, incident_type_id, work_type,
        priority, source, summary, description, agreement_id, pm_plan_id, pm_due_date, parent_id, condition_id,
        estimated_minutes, window_start, window_end, sla_target_id, response_due_at, resolution_due_at, created_by,
        created_at, updated_at)
    VALUES (%(account_id)s, %(billing_account_id)s, %(location_id)s, %(asset_id)s, %(incident_type_id)s,
        %(work_type)s, %(priority)s, %(source)s, %(summary)s, %(description)s, %(agreement_id)s, %(pm_plan_id)s,
        %(pm_due_date)s, %(parent_id)s, %(condition_id)s, %(estimated_minutes)s, %(window_start)s, %(window_end)s,
        %(sla_target_id)s, %(response_due_at)s, %(resolution_due_at)s, %(actor)s, %(now)s, %(now)s)
    RETURNING *
), skills AS (
    INSERT INTO work.work_order_skills (work_order_id, skill_id, min_proficiency)
    SELECT wo.id, s.skill_id, max(s.min_proficiency) FROM wo, (
        SELECT skill_id, min_proficiency FROM work.incident_type_skills WHERE incident_type_id = %(incident_type_id)s
        UNION ALL SELECT * FROM unnest(%(skill_ids)s::int[], %(skill_levels)s::smallint[])
    ) AS s (skill_id, min_proficiency)
    GROUP BY wo.id, s.skill_id
), tasks AS (
    INSERT INTO work.tasks (work_order_id, position, description)
    SELECT wo.id, t.position, t.description FROM wo, (
        SELECT position, description FROM work.incident_type_tasks
        WHERE incident_type_id = %(incident_type_id)s AND cardinality(%(tasks)s::text[]) = 0
        UNION ALL SELECT n::smallint, d FROM unnest(%(tasks)s::text[]) WITH ORDINALITY AS x (d, n)) AS t
), lines AS (
    INSERT INTO work.lines (work_order_id, item_id, kind, description, line_status, quantity, quantity_to_bill,
        unit_cost, created_at)
    SELECT wo.id, i.id, i.kind, i.name, 'estimated', iti.quantity, iti.quantity, i.unit_cost, %(now)s
    FROM wo JOIN work.incident_type_items iti ON iti.incident_type_id = %(incident_type_id)s AND %(copy_items)s
    JOIN catalog.items i ON i.id = iti.item_id
), prefs AS (
    INSERT INTO work.work_order_preferences (work_order_id, resource_id, preference)
    SELECT wo.id, p.resource_id, p.preference FROM wo, unnest(%(pref_ids)s::int[], %(pref_kinds)s::text[])
        AS p (resource_id, preference)
), clock AS (
    INSERT INTO work.sla_events (work_order_id, at, event) SELECT wo.id, %(now)s, 'start' FROM wo
)
SELECT {queries.COLUMNS} FROM wo
"""


@dataclass(frozen=True, slots=True)
class _Defaults:
    billing_account_id: int
    work_type: str
    priority: str
    estimated_minutes: int
    location_id: int | None


def _context(conn: psycopg.Connection, work_order_in: WorkOrderCreate, start: datetime) -> tuple[_Defaults, sla.SlaDue]:
    """What the account, the asset and the incident type fill in where the request leaves a field empty, and the
    SLA due times of the resulting priority (its target and the target's business calendar): one statement."""
    params = {
        "account_id": work_order_in.account_id,
        "it": work_order_in.incident_type_id,
        "asset": work_order_in.asset_id,
        "location": work_order_in.location_id,
        "priority": work_order_in.priority,
        "agreement": work_order_in.agreement_id,
    }
    row = conn.execute(_CONTEXT, params).fetchone()
    assert row is not None
    billing_account_id, it_id, it_work_type, it_minutes, location_id, priority, *plan = row
    if billing_account_id is None:
        raise NotFound(f"account {work_order_in.account_id} does not exist")
    if work_order_in.incident_type_id is not None and it_id is None:
        raise NotFound(f"incident type {work_order_in.incident_type_id} does not exist")
    defaults = _Defaults(
        billing_account_id=int(billing_account_id),
        work_type=work_order_in.work_type or it_work_type or "repair",
        priority=priority,
        estimated_minutes=work_order_in.estimated_minutes or it_minutes or 60,
        location_id=location_id,
    )
    return defaults, sla.due_times_of(conn, plan_row=plan, start=start)


def create_work_order(
    conn: psycopg.Connection, *, work_order_in: WorkOrderCreate, actor: str, now: datetime | None = None
) -> WorkOrderPublic:
    """Open a work order, filled from its incident type, with its SLA due times; publishes `WorkOrderCreated`."""
    return _create(conn, work_order_in=work_order_in, actor=actor, now=now or datetime.now(UTC))


def create_follow_up(
    conn: psycopg.Connection, *, work_order_in: WorkOrderCreate, actor: str, now: datetime, tasks: list[str]
) -> WorkOrderPublic:
    """Open a follow-up carrying exactly `tasks` (the parent's remaining ones) and no estimated items."""
    return _create(conn, work_order_in=work_order_in, actor=actor, now=now, tasks=tasks)


def _create(
    conn: psycopg.Connection,
    *,
    work_order_in: WorkOrderCreate,
    actor: str,
    now: datetime,
    tasks: list[str] | None = None,
) -> WorkOrderPublic:
    defaults, due = _context(conn, work_order_in, now)
    prefs = [(r, "preferred") for r in work_order_in.preferred_resource_ids]
    prefs += [(r, "excluded") for r in work_order_in.excluded_resource_ids]
    params: dict[str, Any] = {
        **work_order_in.model_dump(exclude={"required_skills", "preferred_resource_ids", "excluded_resource_ids"}),
        **asdict(defaults),
        "sla_target_id": due.target_id,
        "response_due_at": due.response_due_at,
        "resolution_due_at": due.resolution_due_at,
        "actor": actor,
        "now": now,
        "skill_ids": [s.skill_id for s in work_order_in.required_skills],
        "skill_levels": [s.min_proficiency for s in work_order_in.required_skills],
        "tasks": tasks or [],
        "copy_items": tasks is None,
        "pref_ids": [r for r, _ in prefs],
        "pref_kinds": [k for _, k in prefs],
    }
    work_order = _insert(conn, params)
    messagebus.publish(conn, WorkOrderCreated(work_order_id=work_order.id, source=work_order.source))
    return work_order


def _insert(conn: psycopg.Connection, params: dict[str, Any]) -> WorkOrderPublic:
    try:
        with conn.cursor(row_factory=class_row(WorkOrderPublic)) as cur:
            cur.execute(_INSERT, params)
            work_order = cur.fetchone()
    except psycopg.errors.ForeignKeyViolation as exc:
        raise InvalidInput(f"unknown reference: {exc.diag.message_detail}") from exc
    except psycopg.errors.UniqueViolation as exc:
        raise Conflict("a work order for this plan, asset and due date exists already") from exc
    assert work_order is not None
    return work_order


def get_work_order(conn: psycopg.Connection, *, work_order_id: int) -> WorkOrderPublic:
    """The work order, or `NotFound`."""
    return queries.fetch(conn, work_order_id)


def change_priority(
    conn: psycopg.Connection, *, work_order_id: int, priority: str, actor: str, version: int | None = None
) -> WorkOrderPublic:
    """Set a new priority; the SLA due times are recomputed from when the order was opened."""
    work_order = queries.fetch(conn, work_order_id, lock=True)
    domain.ensure_editable(work_order.status, "change priority")
    domain.ensure_version(work_order.version, version)
    if priority not in {"emergency", "high", "normal", "low"}:
        raise InvalidInput(f"unknown priority {priority!r}")
    due = sla_due_times(conn, agreement_id=work_order.agreement_id, priority=priority, start=work_order.created_at)
    changes = {
        "priority": priority,
        "sla_target_id": due.target_id,
        "response_due_at": due.response_due_at,
        "resolution_due_at": due.resolution_due_at,
    }
    return queries.update(conn, work_order_id, changes)


def update_work_order(
    conn: psycopg.Connection, *, work_order_id: int, work_order_in: WorkOrderUpdate, actor: str
) -> WorkOrderPublic:
    """Change the summary, description, estimate or promised window of an open work order."""
    work_order = queries.fetch(conn, work_order_id, lock=True)
    domain.ensure_editable(work_order.status)
    domain.ensure_version(work_order.version, work_order_in.version)
    changes = work_order_in.model_dump(exclude_unset=True, exclude={"version"})
    start = changes.get("window_start", work_order.window_start)
    end = changes.get("window_end", work_order.window_end)
    if start is not None and end is not None and end <= start:
        raise InvalidInput("window_end must be after window_start")
    return queries.update(conn, work_order_id, changes) if changes else work_order


def cancel_work_order(
    conn: psycopg.Connection, *, work_order_id: int, reason: str, actor: str, version: int | None = None
) -> WorkOrderPublic:
    """Cancel an open work order and its active bookings; publishes `WorkOrderCanceled`."""
    from service_core.bookings import service as bookings_service  # bookings depend on work orders: import late

    work_order = queries.fetch(conn, work_order_id, lock=True)
    domain.ensure_version(work_order.version, version)
    domain.ensure_transition(work_order.status, WorkOrderStatus.CANCELED)
    now = datetime.now(UTC)
    bookings_service.cancel_active_bookings(conn, work_order_id=work_order_id, now=now)
    canceled = queries.update(conn, work_order_id, {"status": "canceled", "canceled_at": now, "cancel_reason": reason})
    stop_clock(conn, work_order_id=work_order_id, now=now)
    messagebus.publish(conn, WorkOrderCanceled(work_order_id=work_order_id))
    return canceled


def stop_clock(conn: psycopg.Connection, *, work_order_id: int, now: datetime) -> None:
    """Stop the SLA clock (the work is done or canceled)."""
    conn.execute("INSERT INTO work.sla_events (work_order_id, at, event) VALUES (%s, %s, 'stop')", (work_order_id, now))


def lock_for_booking(conn: psycopg.Connection, *, work_order_id: int) -> WorkOrderPublic:
    """The work order, locked, if it may still get bookings (open); `Conflict` with the reason otherwise."""
    work_order = queries.fetch(conn, work_order_id, lock=True)
    if WorkOrderStatus(work_order.status) not in domain.OPEN:
        raise Conflict(f"work order {work_order.number} is {work_order.status}: it takes no new bookings")
    return work_order


def follow_bookings(conn: psycopg.Connection, *, work_order_id: int, now: datetime) -> WorkOrderPublic:
    """Move the (locked) work order to where its bookings put it; publishes `WorkOrderCompleted` on completion."""
    work_order = queries.fetch(conn, work_order_id, lock=True)
    target = domain.status_from_bookings(work_order.status, queries.booking_statuses(conn, work_order_id))
    if target == work_order.status:
        return work_order
    domain.ensure_transition(work_order.status, target)
    changes: dict[str, Any] = {"status": target.value}
    if target is WorkOrderStatus.IN_PROGRESS and work_order.responded_at is None:
        changes["responded_at"] = now
    if target is WorkOrderStatus.COMPLETED:
        changes["completed_at"] = now
    updated = queries.update(conn, work_order_id, changes)
    if target is WorkOrderStatus.COMPLETED:
        stop_clock(conn, work_order_id=work_order_id, now=now)
        messagebus.publish(conn, WorkOrderCompleted(work_order_id=work_order_id))
    return updated
