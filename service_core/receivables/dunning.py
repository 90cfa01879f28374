"""Dunning runs, disputes and promises to pay.

A run (as of a date) first settles promises (kept or broken), then for each overdue issued invoice with a balance,
not disputed and with no open promise still running, sends the highest level reached once (unique per invoice and
level, so reruns and concurrent runs add nothing); a level with a fee or interest issues a FEE-series invoice.
Fee invoices are not dunned themselves.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.rows import class_row, dict_row

from service_core.billing import service as billing_service
from service_core.billing.domain import LineDraft
from service_core.exceptions import Conflict, InvalidInput, InvalidTransition, NotFound
from service_core.receivables import credit, domain
from service_core.receivables.schemas import (
    DisputeCreate,
    DisputePublic,
    DunningNoticePublic,
    DunningRunResult,
    PromiseCreate,
    PromisePublic,
)

_CANDIDATES_SQL = """
    SELECT i.id, i.account_id, i.invoice_number, i.due_date, b.balance,
           EXISTS (SELECT 1 FROM billing.disputes d WHERE d.invoice_id = i.id AND d.resolved_at IS NULL) AS disputed,
           ARRAY(SELECT p.promised_date FROM billing.promises_to_pay p
                 WHERE p.invoice_id = i.id AND p.status = 'open') AS promise_dates,
           ARRAY(SELECT n.level FROM billing.dunning_notices n WHERE n.invoice_id = i.id) AS sent
    FROM billing.invoices i JOIN billing.invoice_balances b ON b.invoice_id = i.id
    WHERE i.kind = 'invoice' AND i.status = 'issued' AND i.series <> 'FEE' AND b.balance > 0 AND i.due_date < %s
    ORDER BY i.due_date, i.id
"""
_NOTICE_COLUMNS = "id, invoice_id, level, sent_at, balance, fee_invoice_id"


def dunning_levels(conn: psycopg.Connection) -> list[domain.DunningLevel]:
    """The configured dunning levels."""
    rows = conn.execute(
        "SELECT level, days_overdue, name, fee, annual_interest_pct, places_credit_hold "
        "FROM billing.dunning_levels ORDER BY level"
    ).fetchall()
    return [domain.DunningLevel(int(r[0]), int(r[1]), str(r[2]), r[3], r[4], bool(r[5])) for r in rows]


def settle_promises(conn: psycopg.Connection, *, as_of: date) -> tuple[list[int], list[int]]:
    """Mark open promises kept (paid enough by their date) or broken (their date passed); (kept, broken) ids."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            """
            SELECT p.id, p.promised_date, p.amount, b.balance,
                   coalesce((SELECT sum(a.amount) FROM billing.allocations a
                             WHERE a.invoice_id = p.invoice_id AND a.payment_id IS NOT NULL AND a.reversed_at IS NULL
                               AND a.allocated_at >= p.created_at
                               AND (a.allocated_at AT TIME ZONE 'UTC')::date <= p.promised_date), 0) AS paid_since
            FROM billing.promises_to_pay p JOIN billing.invoice_balances b ON b.invoice_id = p.invoice_id
            WHERE p.status = 'open' ORDER BY p.id FOR UPDATE OF p
            """
        )
        rows = cur.fetchall()
    kept: list[int] = []
    broken: list[int] = []
    for row in rows:
        outcome = domain.promise_outcome(
            promised_date=row["promised_date"],
            amount=row["amount"],
            paid_since=row["paid_since"],
            balance=row["balance"],
            as_of=as_of,
        )
        if outcome != "open":
            conn.execute("UPDATE billing.promises_to_pay SET status = %s WHERE id = %s", (outcome, row["id"]))
            (kept if outcome == "kept" else broken).append(int(row["id"]))
    return kept, broken


def _fee_lines(invoice: dict[str, Any], level: domain.DunningLevel, days: int) -> list[LineDraft]:
    lines = []
    if level.fee > 0:
        lines.append(
            LineDraft(f"{level.name}: fee for {invoice['invoice_number']}", "dunning_fee", Decimal(1), level.fee)
        )
    amount = domain.interest(invoice["balance"], annual_pct=level.annual_interest_pct, days=days)
    if amount > 0:
        text = (
            f"interest {level.annual_interest_pct}% p.a. on {invoice['balance']} for {days} days "
            f"({invoice['invoice_number']})"
        )
        lines.append(LineDraft(text, "interest", Decimal(1), amount))
    return lines


def _send(
    conn: psycopg.Connection, invoice: dict[str, Any], level: domain.DunningLevel, *, as_of: date, actor: str
) -> DunningNoticePublic | None:
    with conn.cursor(row_factory=class_row(DunningNoticePublic)) as cur:
        cur.execute(
            f"INSERT INTO billing.dunning_notices (invoice_id, level, balance) VALUES (%s, %s, %s) "
            f"ON CONFLICT (invoice_id, level) DO NOTHING RETURNING {_NOTICE_COLUMNS}",
            (invoice["id"], level.level, invoice["balance"]),
        )
        notice = cur.fetchone()
    if notice is None:
        return None  # another run sent it meanwhile
    lines = _fee_lines(invoice, level, domain.days_overdue(invoice["due_date"], as_of))
    if not lines:
        return notice
    fee = billing_service.create_issued_invoice(
        conn,
        account_id=invoice["account_id"],
        series="FEE",
        lines=lines,
        actor=actor,
        reason=f"dunning level {level.level} ({level.name}) for {invoice['invoice_number']}",
        issue_date=as_of,
        taxable=False,
    )
    conn.execute("UPDATE billing.dunning_notices SET fee_invoice_id = %s WHERE id = %s", (fee.id, notice.id))
    return notice.model_copy(update={"fee_invoice_id": fee.id})


def run_dunning(conn: psycopg.Connection, *, as_of: date, actor: str) -> DunningRunResult:
    """Settle promises, then send each overdue invoice's highest due level once; idempotent on reruns."""
    kept, broken = settle_promises(conn, as_of=as_of)
    levels = dunning_levels(conn)
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_CANDIDATES_SQL, (as_of,))
        candidates = cur.fetchall()
    notices, accounts = [], set()
    for invoice in candidates:
        if not domain.may_dun(disputed=invoice["disputed"], open_promise_dates=invoice["promise_dates"], as_of=as_of):
            continue
        days = domain.days_overdue(invoice["due_date"], as_of)
        level = domain.next_notice(levels, days=days, sent=invoice["sent"])
        if level is None:
            continue
        notice = _send(conn, invoice, level, as_of=as_of, actor=actor)
        if notice is not None:
            notices.append(notice)
            accounts.add(int(invoice["account_id"]))
    for account_id in sorted(accounts):
        credit.check_account(conn, account_id=account_id)
    return DunningRunResult(as_of=as_of, notices=notices, promises_kept=kept, promises_broken=broken)


def _issued_invoice(conn: psycopg.Connection, invoice_id: int) -> dict[str, Any]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "SELECT i.id, i.kind, i.status, b.balance FROM billing.invoices i "
            "JOIN billing.invoice_balances b ON b.invoice_id = i.id WHERE i.id = %s",
            (invoice_id,),
        )
        row = cur.fetchone()
    if row is None:
        raise NotFound(f"invoice {invoice_id} does not exist")
    if row["kind"] != "invoice" or row["status"] != "issued":
        raise InvalidTransition(f"invoice {invoice_id} is not an issued invoice")
    return row


_DISPUTE_COLUMNS = "id, invoice_id, reason, opened_at, opened_by, resolved_at, resolution"


def open_dispute(conn: psycopg.Connection, *, dispute_in: DisputeCreate, actor: str) -> DisputePublic:
    """Open a dispute on an issued invoice (one open at a time); it pauses dunning."""
    _issued_invoice(conn, dispute_in.invoice_id)
    try:
        with conn.transaction(), conn.cursor(row_factory=class_row(DisputePublic)) as cur:
            cur.execute(
                f"INSERT INTO billing.disputes (invoice_id, reason, opened_by) VALUES (%s, %s, %s) "
                f"RETURNING {_DISPUTE_COLUMNS}",
                (dispute_in.invoice_id, dispute_in.reason, actor),
            )
            dispute = cur.fetchone()
    except psycopg.errors.UniqueViolation as exc:
        raise Conflict(f"invoice {dispute_in.invoice_id} already has an open dispute") from exc
    assert dispute is not None
    return dispute


def resolve_dispute(conn: psycopg.Connection, *, dispute_id: int, resolution: str) -> DisputePublic:
    """Resolve an open dispute: dunning resumes."""
    with conn.cursor(row_factory=class_row(DisputePublic)) as cur:
        cur.execute(f"SELECT {_DISPUTE_COLUMNS} FROM billing.disputes WHERE id = %s FOR UPDATE", (dispute_id,))
        dispute = cur.fetchone()
        if dispute is None:
            raise NotFound(f"dispute {dispute_id} does not exist")
        if dispute.resolved_at is not None:
            raise InvalidTransition(f"dispute {dispute_id} is already resolved")
        cur.execute(
            f"UPDATE billing.disputes SET resolved_at = now(), resolution = %s WHERE id = %s "
            f"RETURNING {_DISPUTE_COLUMNS}",
            (resolution, dispute_id),
        )
        resolved = cur.fetchone()
    assert resolved is not None
    return resolved


def create_promise(conn: psycopg.Connection, *, promise_in: PromiseCreate, actor: str, today: date) -> PromisePublic:
    """Record a customer's promise to pay (up to the open balance, dated today or later); it pauses dunning."""
    invoice = _issued_invoice(conn, promise_in.invoice_id)
    if promise_in.promised_date < today:
        raise InvalidInput("a promise to pay is dated today or later")
    if promise_in.amount > invoice["balance"]:
        raise InvalidInput(f"the invoice's open balance is {invoice['balance']}; a promise cannot exceed it")
    with conn.cursor(row_factory=class_row(PromisePublic)) as cur:
        cur.execute(
            """
            INSERT INTO billing.promises_to_pay (invoice_id, promised_date, amount, notes, created_by)
            VALUES (%s, %s, %s, %s, %s)
            RETURNING id, invoice_id, promised_date, amount, status, notes, created_by, created_at
            """,
            (promise_in.invoice_id, promise_in.promised_date, promise_in.amount, promise_in.notes, actor),
        )
        promise = cur.fetchone()
    assert promise is not None
    return promise


def notices_of(conn: psycopg.Connection, *, invoice_id: int) -> list[DunningNoticePublic]:
    """The dunning notices sent for an invoice, by level."""
    with conn.cursor(row_factory=class_row(DunningNoticePublic)) as cur:
        cur.execute(
            f"SELECT {_NOTICE_COLUMNS} FROM billing.dunning_notices WHERE invoice_id = %s ORDER BY level", (invoice_id,)
        )
        return cur.fetchall()
