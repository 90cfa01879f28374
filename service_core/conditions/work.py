"""The work a condition leads to: attach to open work for the same problem, a follow-up of a recent job, or a new
work order by the rules (source iot_condition).  Work orders are made through the work-orders service."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import psycopg
from psycopg.rows import class_row

from service_core.conditions import domain
from service_core.conditions.schemas import ConditionPublic
from service_core.exceptions import Conflict, NotFound

WorkKind = Literal["attach", "follow_up", "open", "none"]
DEFAULT_RULES = {
    "equipment": domain.Rule(0, "*", "equipment", "warning", "low", None, "inspection", "normal", False, 30),
    "sensor": domain.Rule(0, "*", "sensor", "warning", "low", None, "sensor_check", "low", False, 30),
}


def give_work(
    conn: psycopg.Connection, *, condition: ConditionPublic, now: datetime, actor: str, forced: bool = False
) -> tuple[WorkKind, int | None]:
    """Decide and do: link the condition to open work, or open a (follow-up) work order; `forced` opens work even
    when no rule asks for it (a dispatcher's decision from the inbox)."""
    asset = conn.execute(
        "SELECT account_id, criticality, name FROM assets.assets WHERE id = %s", (condition.asset_id,)
    ).fetchone()
    if asset is None:
        raise NotFound(f"asset {condition.asset_id} does not exist")
    account_id, criticality, asset_name = asset
    rule = domain.choose_rule(
        load_rules(conn),
        failure_mode=condition.failure_mode,
        category=condition.category,
        severity=condition.severity,
        criticality=criticality,
    )
    if rule is None and forced:
        rule = DEFAULT_RULES[condition.category]
    decision = domain.decide_work(
        rule=rule,
        open_work_order_id=_open_work_for_problem(conn, condition),
        last_closed=_last_closed_work_for_problem(conn, condition),
        now=now,
    )
    if decision.kind == domain.WorkDecisionKind.NONE:
        return "none", None
    if decision.kind == domain.WorkDecisionKind.ATTACH:
        work_order_id = decision.work_order_id
    else:
        assert rule is not None
        parent = decision.work_order_id if decision.kind == domain.WorkDecisionKind.FOLLOW_UP else None
        work_order_id = _open_work_order(
            conn, condition, rule=rule, account_id=account_id, criticality=criticality, asset_name=asset_name,
            parent_id=parent, actor=actor,
        )  # fmt: skip
    conn.execute("UPDATE detection.conditions SET work_order_id = %s WHERE id = %s", (work_order_id, condition.id))
    return decision.kind.value, work_order_id  # type: ignore[return-value]


def load_rules(conn: psycopg.Connection) -> list[domain.Rule]:
    with conn.cursor(row_factory=class_row(domain.Rule)) as cur:
        cur.execute(
            "SELECT id, failure_mode, category, min_severity, min_criticality, incident_type_id, work_type, priority, "
            "raise_priority_if_critical_asset, recurrence_days FROM detection.rules WHERE is_active"
        )
        return cur.fetchall()


def ensure_linkable(conn: psycopg.Connection, *, work_order_id: int) -> None:
    row = conn.execute("SELECT status FROM work.work_orders WHERE id = %s", (work_order_id,)).fetchone()
    if row is None:
        raise NotFound(f"work order {work_order_id} does not exist")
    if row[0] in ("posted", "canceled"):
        raise Conflict(f"work order {work_order_id} is {row[0]}: link the condition to open work")


def _open_work_for_problem(conn: psycopg.Connection, condition: ConditionPublic) -> int | None:
    row = conn.execute(
        """
        SELECT wo.id FROM detection.conditions AS c JOIN work.work_orders AS wo ON wo.id = c.work_order_id
        WHERE c.asset_id = %s AND c.failure_mode = %s AND c.id <> %s
          AND wo.status IN ('unscheduled', 'scheduled', 'in_progress')
        ORDER BY wo.id DESC LIMIT 1
        """,
        (condition.asset_id, condition.failure_mode, condition.id),
    ).fetchone()
    return None if row is None else int(row[0])


def _last_closed_work_for_problem(conn: psycopg.Connection, condition: ConditionPublic) -> tuple[int, datetime] | None:
    row = conn.execute(
        """
        SELECT wo.id, wo.completed_at FROM detection.conditions AS c
        JOIN work.work_orders AS wo ON wo.id = c.work_order_id
        WHERE c.asset_id = %s AND c.failure_mode = %s AND c.id <> %s
          AND wo.status IN ('completed', 'posted') AND wo.completed_at IS NOT NULL
        ORDER BY wo.completed_at DESC LIMIT 1
        """,
        (condition.asset_id, condition.failure_mode, condition.id),
    ).fetchone()
    return None if row is None else (int(row[0]), row[1])


def _open_work_order(
    conn: psycopg.Connection,
    condition: ConditionPublic,
    *,
    rule: domain.Rule,
    account_id: int,
    criticality: str,
    asset_name: str,
    parent_id: int | None,
    actor: str,
) -> int:
    from service_core.work_orders import service as work_orders_service
    from service_core.work_orders.schemas import WorkOrderCreate

    kind = "sensor fault" if condition.category == "sensor" else "equipment fault"
    summary = f"{condition.severity.capitalize()} {kind} on {asset_name}: {condition.failure_mode.replace('_', ' ')}"
    work_order = work_orders_service.create_work_order(
        conn,
        work_order_in=WorkOrderCreate(
            account_id=account_id,
            asset_id=condition.asset_id,
            incident_type_id=rule.incident_type_id,
            work_type=rule.work_type,
            priority=domain.work_priority(rule, criticality=criticality),
            source="iot_condition",
            summary=summary[:300],
            description=explain(condition, follow_up_of=parent_id),
            parent_id=parent_id,
            condition_id=condition.id,
        ),
        actor=actor,
        now=None,
    )
    return int(work_order.id)


def explain(condition: ConditionPublic, *, follow_up_of: int | None) -> str:
    """What a technician reads on the work order: what was seen, since when, and which signals drove it."""
    lines = [
        f"Detected {condition.failure_mode.replace('_', ' ')} ({condition.category}, {condition.severity}) "
        f"since {condition.onset_at:%Y-%m-%d %H:%M} UTC, raised {condition.raised_at:%Y-%m-%d %H:%M} UTC; "
        f"peak score {condition.peak_score:.2f}.",
    ]
    signals = condition.evidence.get("contributions") or []
    if signals:
        top = ", ".join(f"{s.get('signal')} ({100 * float(s.get('share', 0)):.0f}%)" for s in signals[:3])
        lines.append(f"Signals contributing most: {top}.")
    if follow_up_of is not None:
        lines.append(f"The problem recurred after work order {follow_up_of} was closed: this is a follow-up.")
    return "\n".join(lines)
