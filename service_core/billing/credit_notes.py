"""Credit notes: negative mirrors of chosen invoice lines, issued in series CN and applied to the invoice's open
balance (what is left over stays with the account as credit)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import psycopg

from service_core import messagebus
from service_core.billing import domain
from service_core.billing.queries import get_invoice, lines_of, priced
from service_core.billing.schemas import CreditNoteCreate, CreditNoteLineIn, InvoiceLinePublic, InvoicePublic
from service_core.billing.service import create_draft, issue, lock_invoice, record_allocation, write_lines
from service_core.events import AccountBalanceChanged
from service_core.exceptions import InvalidInput, InvalidTransition


def credited_so_far(conn: psycopg.Connection, *, invoice_id: int) -> dict[int, domain.CreditedSoFar]:
    """Per invoice line, what issued credit notes already took off it (positive magnitudes)."""
    rows = conn.execute(
        """
        SELECT l.credits_line_id, -sum(l.quantity), -sum(l.amount), -sum(l.tax_amount)
        FROM billing.invoice_lines l JOIN billing.invoices cn ON cn.id = l.invoice_id
        WHERE cn.credits_invoice_id = %s AND cn.status = 'issued' AND l.credits_line_id IS NOT NULL
        GROUP BY l.credits_line_id
        """,
        (invoice_id,),
    ).fetchall()
    return {int(r[0]): domain.CreditedSoFar(quantity=r[1], amount=r[2], tax=r[3]) for r in rows}


def _credited_total(conn: psycopg.Connection, invoice_id: int) -> Decimal:
    row = conn.execute(
        "SELECT coalesce(-sum(total), 0) FROM billing.invoices "
        "WHERE credits_invoice_id = %s AND kind = 'credit_note' AND status = 'issued'",
        (invoice_id,),
    ).fetchone()
    return row[0] if row else Decimal(0)


def _chosen(
    lines: list[InvoiceLinePublic], credited: dict[int, domain.CreditedSoFar], wanted: list[CreditNoteLineIn] | None
) -> list[domain.PricedLine]:
    by_id = {x.id: x for x in lines}
    if wanted is None:
        none = domain.CreditedSoFar()
        return [
            domain.credit_line(priced(x), original_id=x.id, credited=credited.get(x.id, none))
            for x in lines
            if x.quantity > credited.get(x.id, none).quantity
            and x.amount + x.tax_amount > credited.get(x.id, none).amount + credited.get(x.id, none).tax
        ]
    if len({w.line_id for w in wanted}) != len(wanted):
        raise InvalidInput("a line may be named once per credit note")
    result = []
    for w in wanted:
        if w.line_id not in by_id:
            raise InvalidInput(f"the invoice has no line {w.line_id}")
        original = by_id[w.line_id]
        so_far = credited.get(w.line_id, domain.CreditedSoFar())
        result.append(
            domain.credit_line(priced(original), original_id=original.id, credited=so_far, quantity=w.quantity)
        )
    return result


def create_credit_note(
    conn: psycopg.Connection, *, invoice_id: int, credit_in: CreditNoteCreate, actor: str, on: date | None = None
) -> InvoicePublic:
    """Create and issue a credit note for chosen lines (or all that remains) of an issued invoice, and apply it to
    the invoice's open balance."""
    invoice = lock_issued_invoice(conn, invoice_id=invoice_id)
    lines = lines_of(conn, invoice_id=invoice_id)
    cn_lines = _chosen(lines, credited_so_far(conn, invoice_id=invoice_id), credit_in.lines)
    return issue_credit_note(
        conn,
        invoice=invoice,
        lines=cn_lines,
        reason=credit_in.reason,
        actor=actor,
        issue_date=credit_in.issue_date or on,
    )


def lock_issued_invoice(conn: psycopg.Connection, *, invoice_id: int) -> dict[str, Any]:
    """The invoice row, locked until commit; `InvalidTransition` unless it is an issued invoice (not a draft, not a
    credit note): only those can be credited."""
    invoice = lock_invoice(conn, invoice_id=invoice_id)
    if invoice["kind"] != "invoice" or invoice["status"] != "issued":
        raise InvalidTransition(f"invoice {invoice_id} is not an issued invoice: only those can be credited")
    return invoice


def issue_credit_note(
    conn: psycopg.Connection,
    *,
    invoice: dict[str, Any],
    lines: list[domain.PricedLine],
    reason: str,
    actor: str,
    issue_date: date | None = None,
) -> InvoicePublic:
    """Issue a credit note of `lines` (credit lines of the locked, issued `invoice`) and apply it to the invoice's
    open balance; what is left over stays with the account as credit."""
    credit_total = -domain.totals(lines).total
    domain.credit_fits(
        invoice_total=invoice["total"], credited_before=_credited_total(conn, invoice["id"]), credit_total=credit_total
    )
    cn_id = create_draft(
        conn,
        account_id=invoice["account_id"],
        series="CN",
        kind="credit_note",
        reason=reason,
        links={"credits_invoice_id": invoice["id"]},
    )
    write_lines(conn, invoice_id=cn_id, lines=lines)
    issue(conn, invoice_id=cn_id, actor=actor, issue_date=issue_date)
    balance = get_invoice(conn, invoice_id=invoice["id"]).balance
    applied = min(balance, credit_total)
    if applied > 0:
        record_allocation(conn, invoice_id=invoice["id"], amount=applied, actor=actor, credit_note_id=cn_id)
    messagebus.publish(conn, AccountBalanceChanged(account_id=invoice["account_id"], at=datetime.now(UTC)))
    return get_invoice(conn, invoice_id=cn_id)
