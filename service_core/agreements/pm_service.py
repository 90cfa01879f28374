"""Preventive-maintenance use cases: plans of an agreement, and generating the work orders that fall due.

Functions take an open connection; the caller owns the transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import psycopg
from psycopg import errors, sql
from psycopg.rows import class_row

from service_core.agreements.pm_domain import PmDue, pm_due
from service_core.agreements.schemas import PmPlanCreate, PmPlanPublic, PmPlanUpdate
from service_core.agreements.service import get_agreement
from service_core.exceptions import Conflict, InvalidInput, InvalidTransition, NotFound
from service_core.work_orders import service as work_orders_service
from service_core.work_orders.schemas import WorkOrderCreate

log = logging.getLogger(__name__)

_COLUMNS = (
    "id, agreement_id, asset_id, incident_type_id, basis, interval_days, interval_run_hours, lead_days, "
    "first_due_date, is_active"
)

# Every (plan, asset) pair a run may generate for: active plans of active agreements, active assets they cover.
_CANDIDATES = """
SELECT p.id AS plan_id, p.agreement_id, a.number AS agreement_number, p.incident_type_id, it.name AS incident_name,
       p.basis, p.interval_days, p.interval_run_hours, p.lead_days,
       coalesce(p.first_due_date, a.start_date) AS first_due_date, a.end_date,
       s.id AS asset_id, s.account_id, s.run_hours
FROM agreements.pm_plans p
JOIN agreements.agreements a ON a.id = p.agreement_id
JOIN work.incident_types it ON it.id = p.incident_type_id
JOIN assets.assets s ON s.status = 'active' AND (
        s.id = p.asset_id
     OR (p.asset_id IS NULL AND a.covers_all_assets AND s.account_id = a.account_id)
     OR (p.asset_id IS NULL AND EXISTS (
            SELECT 1 FROM agreements.agreement_assets aa WHERE aa.agreement_id = a.id AND aa.asset_id = s.id)))
WHERE p.is_active AND a.status = 'active' AND a.end_date >= %(today)s
ORDER BY p.id, s.id
"""


@dataclass(frozen=True, slots=True)
class _Candidate:
    plan_id: int
    agreement_id: int
    agreement_number: str
    incident_type_id: int
    incident_name: str
    basis: str
    interval_days: int | None
    interval_run_hours: Decimal | None
    lead_days: int
    first_due_date: date
    end_date: date
    asset_id: int
    account_id: int
    run_hours: Decimal


def create_pm_plan(conn: psycopg.Connection, *, agreement_id: int, plan_in: PmPlanCreate) -> PmPlanPublic:
    """Add a plan to a draft or active agreement (its asset must be the agreement account's)."""
    agreement = get_agreement(conn, agreement_id=agreement_id, lock=True)
    if agreement.status not in ("draft", "active"):
        raise InvalidTransition(f"agreement {agreement.number} is {agreement.status}: it gets no new plans")
    if plan_in.asset_id is not None and _missing(
        conn, "SELECT 1 FROM assets.assets WHERE id = %s AND account_id = %s", plan_in.asset_id, agreement.account_id
    ):
        raise InvalidInput(f"asset {plan_in.asset_id} does not exist or is not account {agreement.account_id}'s")
    if _missing(conn, "SELECT 1 FROM work.incident_types WHERE id = %s", plan_in.incident_type_id):
        raise InvalidInput(f"incident type {plan_in.incident_type_id} does not exist")
    first_due = plan_in.first_due_date or (agreement.start_date if plan_in.basis == "calendar" else None)
    with conn.cursor(row_factory=class_row(PmPlanPublic)) as cur:
        cur.execute(
            f"INSERT INTO agreements.pm_plans (agreement_id, asset_id, incident_type_id, basis, interval_days, "
            f"interval_run_hours, lead_days, first_due_date, is_active) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
            f"RETURNING {_COLUMNS}",
            (
                agreement_id,
                plan_in.asset_id,
                plan_in.incident_type_id,
                plan_in.basis,
                plan_in.interval_days,
                plan_in.interval_run_hours,
                plan_in.lead_days,
                first_due,
                plan_in.is_active,
            ),
        )
        plan = cur.fetchone()
    assert plan is not None
    return plan


def get_pm_plan(conn: psycopg.Connection, *, agreement_id: int, plan_id: int, lock: bool = False) -> PmPlanPublic:
    with conn.cursor(row_factory=class_row(PmPlanPublic)) as cur:
        cur.execute(
            f"SELECT {_COLUMNS} FROM agreements.pm_plans WHERE id = %s AND agreement_id = %s"
            + (" FOR UPDATE" if lock else ""),
            (plan_id, agreement_id),
        )
        plan = cur.fetchone()
    if plan is None:
        raise NotFound(f"agreement {agreement_id} has no preventive-maintenance plan {plan_id}")
    return plan


def list_pm_plans(conn: psycopg.Connection, *, agreement_id: int) -> list[PmPlanPublic]:
    get_agreement(conn, agreement_id=agreement_id)
    with conn.cursor(row_factory=class_row(PmPlanPublic)) as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM agreements.pm_plans WHERE agreement_id = %s ORDER BY id", (agreement_id,))
        return cur.fetchall()


def update_pm_plan(conn: psycopg.Connection, *, agreement_id: int, plan_id: int, plan_in: PmPlanUpdate) -> PmPlanPublic:
    """Change a plan's interval, lead, first due date or whether it is active (within its basis)."""
    plan = get_pm_plan(conn, agreement_id=agreement_id, plan_id=plan_id, lock=True)
    changes = {k: v for k, v in plan_in.model_dump(exclude_unset=True).items() if v is not None}
    wrong = {"calendar": "interval_run_hours", "meter": "interval_days"}[plan.basis]
    if wrong in changes:
        raise InvalidInput(f"a {plan.basis} plan has no {wrong}")
    if changes:
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in changes
        )
        conn.execute(
            sql.SQL("UPDATE agreements.pm_plans SET {} WHERE id = %(plan_id)s").format(assignments),
            {**changes, "plan_id": plan_id},
        )
    return get_pm_plan(conn, agreement_id=agreement_id, plan_id=plan_id)


def delete_pm_plan(conn: psycopg.Connection, *, agreement_id: int, plan_id: int) -> None:
    """Delete a plan that generated no work order yet; `Conflict` otherwise (deactivate it instead)."""
    get_pm_plan(conn, agreement_id=agreement_id, plan_id=plan_id, lock=True)
    try:
        with conn.transaction():
            conn.execute("DELETE FROM agreements.pm_plans WHERE id = %s", (plan_id,))
    except errors.ForeignKeyViolation as exc:
        raise Conflict(f"plan {plan_id} has generated work orders: deactivate it instead") from exc


def generate_preventive_work(conn: psycopg.Connection, *, today: date, actor: str) -> list[int]:
    """Open the preventive work orders due today, each exactly once (also when two generators run at once)."""
    with conn.cursor(row_factory=class_row(_Candidate)) as cur:
        cur.execute(_CANDIDATES, {"today": today})
        candidates = cur.fetchall()
    created = []
    for c in candidates:
        dues = pm_due(
            basis=c.basis,
            today=today,
            first_due_date=c.first_due_date,
            interval_days=c.interval_days,
            lead_days=c.lead_days,
            interval_run_hours=c.interval_run_hours,
            run_hours=c.run_hours,
            last_day=c.end_date,
        )
        for due in dues:
            work_order_id = _generate_once(conn, c, due, actor)
            if work_order_id is not None:
                created.append(work_order_id)
    log.info("preventive maintenance on %s: %d work orders from %d plan assets", today, len(created), len(candidates))
    return created


def _generate_once(conn: psycopg.Connection, c: _Candidate, due: PmDue, actor: str) -> int | None:
    """Claim the run (the unique indexes decide between concurrent generators), then open its work order."""
    claimed = conn.execute(
        "INSERT INTO agreements.pm_runs (pm_plan_id, asset_id, due_date, meter_threshold) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT DO NOTHING RETURNING id",
        (c.plan_id, c.asset_id, due.due_date, due.meter_threshold),
    ).fetchone()
    if claimed is None:
        return None
    when = f"at {due.meter_threshold} run hours" if due.meter_threshold is not None else f"due {due.due_date}"
    work_order = work_orders_service.create_work_order(
        conn,
        work_order_in=WorkOrderCreate(
            account_id=c.account_id,
            asset_id=c.asset_id,
            incident_type_id=c.incident_type_id,
            source="agreement",
            summary=f"Preventive maintenance: {c.incident_name} ({c.agreement_number}, {when})"[:300],
            agreement_id=c.agreement_id,
            pm_plan_id=c.plan_id,
            pm_due_date=due.due_date,
        ),
        actor=actor,
    )
    conn.execute("UPDATE agreements.pm_runs SET work_order_id = %s WHERE id = %s", (work_order.id, claimed[0]))
    return work_order.id


def _missing(conn: psycopg.Connection, query: str, *params: object) -> bool:
    return conn.execute(query, params).fetchone() is None
