"""Agreement fee periods: generated on activation, invoiced by billing.

Functions take an open connection; the caller owns the transaction.
"""

from __future__ import annotations

from datetime import date

import psycopg
from psycopg.rows import class_row

from service_core.agreements.domain import fee_schedule
from service_core.agreements.schemas import AgreementPublic, FeePeriodPublic
from service_core.exceptions import Conflict, NotFound

_COLUMNS = """f.id, f.agreement_id, a.number AS agreement_number, a.account_id, f.period_start, f.period_end,
    f.due_date, f.amount, f.invoice_id"""
_FROM = "agreements.fee_periods f JOIN agreements.agreements a ON a.id = f.agreement_id"


def generate_fee_periods(conn: psycopg.Connection, *, agreement: AgreementPublic) -> int:
    """Store the agreement's fee periods (again: existing ones are kept); how many were added."""
    periods = fee_schedule(
        start_date=agreement.start_date,
        end_date=agreement.end_date,
        period_months=agreement.billing_period_months,
        fee=agreement.periodic_fee,
    )
    added = 0
    for p in periods:
        cur = conn.execute(
            "INSERT INTO agreements.fee_periods (agreement_id, period_start, period_end, due_date, amount) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (agreement_id, period_start) DO NOTHING",
            (agreement.id, p.period_start, p.period_end, p.due_date, p.amount),
        )
        added += cur.rowcount
    return added


def drop_future_fee_periods(conn: psycopg.Connection, *, agreement_id: int, after: date) -> int:
    """Delete the uninvoiced periods that start after `after` (a canceled agreement bills no more)."""
    cur = conn.execute(
        "DELETE FROM agreements.fee_periods WHERE agreement_id = %s AND invoice_id IS NULL AND period_start > %s",
        (agreement_id, after),
    )
    return cur.rowcount


def list_fee_periods(conn: psycopg.Connection, *, agreement_id: int) -> list[FeePeriodPublic]:
    with conn.cursor(row_factory=class_row(FeePeriodPublic)) as cur:
        cur.execute(
            f"SELECT {_COLUMNS} FROM {_FROM} WHERE f.agreement_id = %s ORDER BY f.period_start", (agreement_id,)
        )
        return cur.fetchall()


def fee_periods_due(conn: psycopg.Connection, *, through: date) -> list[FeePeriodPublic]:
    """Uninvoiced fee periods due on or before `through`, oldest first (for billing)."""
    with conn.cursor(row_factory=class_row(FeePeriodPublic)) as cur:
        cur.execute(
            f"SELECT {_COLUMNS} FROM {_FROM} WHERE f.invoice_id IS NULL AND f.due_date <= %s ORDER BY f.due_date, f.id",
            (through,),
        )
        return cur.fetchall()


def mark_fee_period_invoiced(conn: psycopg.Connection, *, fee_period_id: int, invoice_id: int) -> None:
    """Record the invoice of a fee period; again with the same invoice is a no-op, another invoice a `Conflict`."""
    row = conn.execute(
        "SELECT invoice_id FROM agreements.fee_periods WHERE id = %s FOR UPDATE", (fee_period_id,)
    ).fetchone()
    if row is None:
        raise NotFound(f"fee period {fee_period_id} does not exist")
    if row[0] == invoice_id:
        return
    if row[0] is not None:
        raise Conflict(f"fee period {fee_period_id} is already invoiced on invoice {row[0]}")
    conn.execute("UPDATE agreements.fee_periods SET invoice_id = %s WHERE id = %s", (invoice_id, fee_period_id))
