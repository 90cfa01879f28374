"""Policies use cases other domains call: SLA plans, calendars, the clock of a work order, escalations.

Functions take an open connection; the caller owns the transaction.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import psycopg
from psycopg.rows import class_row

from service_core.exceptions import InvalidInput, InvalidTransition, NotFound
from service_core.policies import config_service
from service_core.policies.calendar import BusinessCalendar
from service_core.policies.clock import ClockEvent, SlaPlan, SlaStatus, compute_clock, next_clock_event_allowed
from service_core.policies.escalation import EscalationRule, due_escalations
from service_core.policies.schemas import EscalationPublic

log = logging.getLogger(__name__)

CLOSED_STATUSES = ("completed", "posted", "canceled")
_ESCALATION_COLUMNS = "id, work_order_id, rule_id, target, fired_at, action, notify_role"
_PLAN_QUERY = """
    SELECT t.id, t.response_minutes, t.resolution_minutes, t.warning_fraction,
           coalesce(t.calendar_id, a.calendar_id)
    FROM policy.sla_targets t
    LEFT JOIN agreements.agreements a ON a.id = %(agreement)s
"""


@dataclass(frozen=True, slots=True)
class _OrderClockRow:
    id: int
    priority: str
    status: str
    agreement_id: int | None
    sla_target_id: int | None
    created_at: datetime
    responded_at: datetime | None


@dataclass(frozen=True, slots=True)
class _JudgedOrderRow:
    id: int
    priority: str
    status: str
    agreement_id: int | None
    sla_target_id: int | None
    created_at: datetime
    responded_at: datetime | None
    resolution_due_at: datetime

    @property
    def clock_row(self) -> _OrderClockRow:
        return _OrderClockRow(
            self.id, self.priority, self.status, self.agreement_id, self.sla_target_id, self.created_at,
            self.responded_at,
        )  # fmt: skip

    @property
    def plan_of_stored_due(self) -> SlaPlan:
        """24x7 counting up to the stored resolution due time (for an order whose target is gone)."""
        minutes = max(0, math.ceil((self.resolution_due_at - self.created_at).total_seconds() / 60))
        return SlaPlan(target_id=self.sla_target_id, response_minutes=minutes, resolution_minutes=minutes)


def get_calendar(conn: psycopg.Connection, *, calendar_id: int) -> BusinessCalendar:
    """The business-hours calendar with this id; `NotFound` if there is none."""
    return config_service.business_calendar(conn, calendar_id=calendar_id)


def sla_plan_for(conn: psycopg.Connection, *, agreement_id: int | None, priority: str) -> SlaPlan | None:
    """The agreement's target for `priority`, else the default one; None when neither exists.

    The plan counts on the target's calendar, else the agreement's, else 24x7 (`policy.sla_target_for`).
    """
    row = conn.execute(
        "SELECT * FROM policy.sla_target_for(%(agreement)s, %(priority)s)",
        {"agreement": agreement_id, "priority": priority},
    ).fetchone()
    return None if row is None else sla_plan_from_row(conn, row)


def sla_plan_by_target(conn: psycopg.Connection, *, target_id: int, agreement_id: int | None) -> SlaPlan:
    """The plan of one stored target (the one a work order was opened with)."""
    row = conn.execute(_PLAN_QUERY + "WHERE t.id = %(target)s", {"agreement": agreement_id, "target": target_id})
    found = row.fetchone()
    if found is None:
        raise NotFound(f"SLA target {target_id} does not exist")
    return sla_plan_from_row(conn, found)


def sla_plan_from_row(conn: psycopg.Connection, row: Sequence[Any]) -> SlaPlan:
    """The plan of a row shaped like `policy.sla_target_for`'s (target, response and resolution minutes, warning
    fraction, calendar), for callers that read it within a statement of their own; when the row goes on with the
    columns of `policy.calendar_of` for that calendar, no further read is made."""
    target_id, response, resolution, warning, calendar_id = row[:5]
    if calendar_id is None:
        calendar = None
    elif len(row) > 5 and row[5] is not None:  # the calendar's own row (`policy.calendar_of`) came with it
        calendar = config_service.calendar_from_row(calendar_id, row[5:])
    else:
        calendar = get_calendar(conn, calendar_id=calendar_id)
    return SlaPlan(
        target_id=target_id,
        response_minutes=response,
        resolution_minutes=resolution,
        warning_fraction=float(warning),
        calendar=calendar,
    )


def clock_for_work_order(conn: psycopg.Connection, *, work_order_id: int, now: datetime) -> SlaStatus:
    """The SLA clock of a work order at `now`; `NotFound` if the order or an SLA target for it does not exist."""
    if now.tzinfo is None:
        raise InvalidInput("now must be timezone-aware")
    order = _order_row(conn, work_order_id, lock=False)
    return _clock(conn, order, _events(conn, [work_order_id]).get(work_order_id, []), now)


def record_clock_event(
    conn: psycopg.Connection, *, work_order_id: int, event: str, reason: str | None, at: datetime
) -> SlaStatus:
    """Append start/pause/resume/stop to an order's clock (row-locked, validated) and return the new status."""
    order = _order_row(conn, work_order_id, lock=True)
    if event in ("pause", "resume") and order.status in CLOSED_STATUSES:
        raise InvalidTransition(f"work order {work_order_id} is {order.status}: its SLA clock can no longer {event}")
    events = _events(conn, [work_order_id]).get(work_order_id, [])
    new_event = ClockEvent(at=at, event=cast(Any, event), reason=cast(Any, reason))
    next_clock_event_allowed(events, new_event)
    conn.execute(
        "INSERT INTO work.sla_events (work_order_id, at, event, reason) VALUES (%s, %s, %s, %s)",
        (work_order_id, at, event, reason),
    )
    log.info("SLA clock of work order %s: %s (%s)", work_order_id, event, reason)
    return _clock(conn, order, [*events, new_event], at)


def _clock(conn: psycopg.Connection, order: _OrderClockRow, events: list[ClockEvent], now: datetime) -> SlaStatus:
    plan = _plan_for_order(conn, order)
    if plan is None:
        raise NotFound(f"no SLA target applies to work order {order.id} (priority {order.priority})")
    return compute_clock(
        opened_at=order.created_at,
        events=events,
        plan=plan,
        responded_at=order.responded_at,
        now=now,
        work_order_id=order.id,
    )


def _plan_for_order(conn: psycopg.Connection, order: _OrderClockRow) -> SlaPlan | None:
    if order.sla_target_id is not None:
        return sla_plan_by_target(conn, target_id=order.sla_target_id, agreement_id=order.agreement_id)
    return sla_plan_for(conn, agreement_id=order.agreement_id, priority=order.priority)


def _order_row(conn: psycopg.Connection, work_order_id: int, *, lock: bool) -> _OrderClockRow:
    with conn.cursor(row_factory=class_row(_OrderClockRow)) as cur:
        cur.execute(
            "SELECT id, priority, status, agreement_id, sla_target_id, created_at, responded_at "
            "FROM work.work_orders WHERE id = %s" + (" FOR UPDATE" if lock else ""),
            (work_order_id,),
        )
        order = cur.fetchone()
    if order is None:
        raise NotFound(f"work order {work_order_id} does not exist")
    return order


def _events(conn: psycopg.Connection, work_order_ids: list[int]) -> dict[int, list[ClockEvent]]:
    rows = conn.execute(
        "SELECT work_order_id, at, event, reason FROM work.sla_events WHERE work_order_id = ANY(%s) "
        "ORDER BY work_order_id, at, id",
        (work_order_ids,),
    ).fetchall()
    by_order: dict[int, list[ClockEvent]] = {}
    for order_id, at, event, reason in rows:
        by_order.setdefault(order_id, []).append(ClockEvent(at=at, event=event, reason=reason))
    return by_order


def resolutions_within_sla(conn: psycopg.Connection, *, resolved_at: Mapping[int, datetime]) -> dict[int, bool]:
    """Per work order (id → when it was resolved) that has a resolution due time: whether its SLA clock had the
    resolution target met then, paused time counted in its calendar's business minutes.  Batched: one query for
    the orders, one for their clock events, and one plan lookup per distinct target.

    An order whose target no longer resolves to a plan is judged 24x7 against its stored due time.
    """
    ids = sorted(resolved_at)
    with conn.cursor(row_factory=class_row(_JudgedOrderRow)) as cur:
        cur.execute(
            "SELECT id, priority, status, agreement_id, sla_target_id, created_at, responded_at, resolution_due_at "
            "FROM work.work_orders WHERE id = ANY(%s) AND resolution_due_at IS NOT NULL",
            (ids,),
        )
        orders = cur.fetchall()
    events = _events(conn, [o.id for o in orders])
    plans: dict[tuple[int | None, int | None, str], SlaPlan | None] = {}
    verdicts = {}
    for order in orders:
        key = (order.sla_target_id, order.agreement_id, order.priority)
        if key not in plans:
            plans[key] = _plan_for_order(conn, order.clock_row)
        status = compute_clock(
            opened_at=order.created_at,
            events=events.get(order.id, []),
            plan=plans[key] or order.plan_of_stored_due,
            responded_at=order.responded_at,
            now=resolved_at[order.id],
            work_order_id=order.id,
        )
        verdicts[order.id] = not status.resolution.breached
    return verdicts


def run_escalations(conn: psycopg.Connection, *, now: datetime) -> list[EscalationPublic]:
    """Record every escalation that is due now on an open work order and has not fired yet (each exactly once)."""
    rules = _rules(conn)
    if not rules:
        return []
    with conn.cursor(row_factory=class_row(_OrderClockRow)) as cur:
        cur.execute(
            "SELECT id, priority, status, agreement_id, sla_target_id, created_at, responded_at "
            "FROM work.work_orders WHERE status <> ALL(%s) ORDER BY id",
            (list(CLOSED_STATUSES),),
        )
        orders = cur.fetchall()
    ids = [o.id for o in orders]
    events = _events(conn, ids)
    fired = _fired(conn, ids)
    recorded: list[EscalationPublic] = []
    plans: dict[tuple[int | None, int | None, str], SlaPlan | None] = {}
    for order in orders:
        key = (order.sla_target_id, order.agreement_id, order.priority)
        if key not in plans:
            plans[key] = _plan_for_order(conn, order)
        plan = plans[key]
        if plan is None:
            continue
        status = compute_clock(
            opened_at=order.created_at,
            events=events.get(order.id, []),
            plan=plan,
            responded_at=order.responded_at,
            now=now,
            work_order_id=order.id,
        )
        for rule in due_escalations(
            rules, priority=order.priority, status=status, fired_rule_ids=fired.get(order.id, set())
        ):
            escalation = _record(conn, order.id, rule, now)
            if escalation is not None:
                recorded.append(escalation)
    log.info("escalations: %d recorded for %d open work orders", len(recorded), len(orders))
    return recorded


def _rules(conn: psycopg.Connection) -> list[EscalationRule]:
    return [
        EscalationRule(
            id=r.id,
            priority=r.priority,
            target=cast(Any, r.target),
            at_fraction=float(r.at_fraction),
            action=cast(Any, r.action),
            notify_role=r.notify_role,
        )
        for r in config_service.list_escalation_rules(conn)
    ]


def _fired(conn: psycopg.Connection, work_order_ids: list[int]) -> dict[int, set[int]]:
    rows = conn.execute(
        "SELECT work_order_id, rule_id FROM policy.escalations WHERE work_order_id = ANY(%s) AND rule_id IS NOT NULL",
        (work_order_ids,),
    ).fetchall()
    fired: dict[int, set[int]] = {}
    for order_id, rule_id in rows:
        fired.setdefault(order_id, set()).add(rule_id)
    return fired


def _record(
    conn: psycopg.Connection, work_order_id: int, rule: EscalationRule, now: datetime
) -> EscalationPublic | None:
    """Insert the escalation unless it exists (the unique index decides between concurrent runs)."""
    with conn.cursor(row_factory=class_row(EscalationPublic)) as cur:
        cur.execute(
            f"INSERT INTO policy.escalations (work_order_id, rule_id, target, fired_at, action, notify_role) "
            f"VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (work_order_id, rule_id) DO NOTHING "
            f"RETURNING {_ESCALATION_COLUMNS}",
            (work_order_id, rule.id, rule.target, now, rule.action, rule.notify_role),
        )
        return cur.fetchone()


def list_escalations(
    conn: psycopg.Connection, *, work_order_id: int | None, notify_role: str | None, limit: int, offset: int
) -> tuple[list[EscalationPublic], int]:
    """One page of fired escalations, newest first, and how many there are."""
    where = "WHERE (%(o)s::bigint IS NULL OR work_order_id = %(o)s) AND (%(r)s::text IS NULL OR notify_role = %(r)s)"
    params = {"o": work_order_id, "r": notify_role, "limit": limit, "offset": offset}
    (total,) = conn.execute(f"SELECT count(*) FROM policy.escalations {where}", params).fetchone() or (0,)
    with conn.cursor(row_factory=class_row(EscalationPublic)) as cur:
        cur.execute(
            f"SELECT {_ESCALATION_COLUMNS} FROM policy.escalations {where} "
            "ORDER BY fired_at DESC, id DESC LIMIT %(limit)s OFFSET %(offset)s",
            params,
        )
        return cur.fetchall(), int(total)
