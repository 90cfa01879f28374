"""Billing read side: invoices with their balances and derived status, lines, and filtered lists."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.rows import dict_row

from service_core.billing.domain import PricedLine, invoice_status
from service_core.billing.schemas import InvoiceLinePublic, InvoicePublic, InvoiceSummary
from service_core.exceptions import NotFound

_INVOICE_SELECT = """
    SELECT i.id, i.kind, i.status, i.series, i.number, i.invoice_number, i.account_id, i.currency, i.issue_date,
           i.due_date, i.subtotal, i.tax_total, i.total, b.paid, b.credited, b.balance, i.work_order_id, i.lease_id,
           i.agreement_id, i.period_start, i.period_end, i.credits_invoice_id, i.reason, i.created_at, i.issued_at,
           i.issued_by
    FROM billing.invoices i JOIN billing.invoice_balances b ON b.invoice_id = i.id
"""
_LINE_COLUMNS = """id, position, description, kind, quantity, unit_price, discount_pct, amount, tax_rate, tax_amount,
    covered, coverage_reason, work_order_line_id, credits_line_id, lease_period_id"""


def today() -> date:
    return datetime.now(UTC).date()


def _summary(row: dict[str, Any], on: date) -> InvoiceSummary:
    shown = invoice_status(
        status=row["status"],
        kind=row["kind"],
        total=row["total"],
        paid=row["paid"],
        credited=row["credited"],
        due=row["due_date"],
        today=on,
    )
    if row["kind"] == "credit_note" or row["status"] != "issued":
        row = {**row, "balance": Decimal("0.00")}
    return InvoiceSummary(**row, shown_status=shown)


def get_invoice(conn: psycopg.Connection, *, invoice_id: int) -> InvoicePublic:
    """One invoice with its lines, balance and shown status; `NotFound` if there is none."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_INVOICE_SELECT + " WHERE i.id = %s", (invoice_id,))
        row = cur.fetchone()
    if row is None:
        raise NotFound(f"invoice {invoice_id} does not exist")
    summary = _summary(row, today())
    return InvoicePublic(**summary.model_dump(), lines=lines_of(conn, invoice_id=invoice_id))


def lines_of(conn: psycopg.Connection, *, invoice_id: int) -> list[InvoiceLinePublic]:
    """The lines of an invoice in position order."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            f"SELECT {_LINE_COLUMNS} FROM billing.invoice_lines WHERE invoice_id = %s ORDER BY position, id",
            (invoice_id,),
        )
        return [InvoiceLinePublic(**r) for r in cur.fetchall()]


def priced(line: InvoiceLinePublic) -> PricedLine:
    """A stored line as the arithmetic's value object."""
    return PricedLine(
        description=line.description,
        kind=line.kind,
        quantity=line.quantity,
        unit_price=line.unit_price,
        discount_pct=line.discount_pct,
        amount=line.amount,
        tax_rate=line.tax_rate,
        tax_amount=line.tax_amount,
        covered=line.covered,
        coverage_reason=line.coverage_reason,
        work_order_line_id=line.work_order_line_id,
        credits_line_id=line.credits_line_id,
        lease_period_id=line.lease_period_id,
    )


_SHOWN_FILTER = {
    "draft": "i.status = 'draft'",
    "discarded": "i.status = 'discarded'",
    "paid": "i.status = 'issued' AND i.kind = 'invoice' AND b.balance <= 0 AND NOT (b.credited > 0 AND b.paid = 0)",
    "credited": "i.status = 'issued' AND i.kind = 'invoice' AND b.balance <= 0 AND b.credited > 0 AND b.paid = 0",
    "overdue": "i.status = 'issued' AND i.kind = 'invoice' AND b.balance > 0 AND i.due_date < %(today)s",
    "partially_paid": "i.status = 'issued' AND i.kind = 'invoice' AND b.balance > 0 AND i.due_date >= %(today)s "
    "AND b.paid + b.credited > 0",
    "open": "i.status = 'issued' AND i.kind = 'invoice' AND b.balance > 0 AND i.due_date >= %(today)s "
    "AND b.paid + b.credited = 0",
    "issued": "i.status = 'issued'",
}


def list_page(
    conn: psycopg.Connection,
    *,
    account_id: int | None = None,
    status: str | None = None,
    kind: str | None = None,
    overdue: bool | None = None,
    issued_from: date | None = None,
    issued_to: date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[InvoiceSummary], int]:
    """One page of invoices (newest first) matching the filters, and how many match in all."""
    on = today()
    where = ["TRUE"]
    params: dict[str, Any] = {"today": on, "limit": limit, "offset": offset}
    if account_id is not None:
        where.append("i.account_id = %(account)s")
        params["account"] = account_id
    if status is not None:
        where.append(_SHOWN_FILTER[status])
    if kind is not None:
        where.append("i.kind = %(kind)s")
        params["kind"] = kind
    if overdue is not None:
        where.append(("" if overdue else "NOT ") + f"({_SHOWN_FILTER['overdue']})")
    if issued_from is not None:
        where.append("i.issue_date >= %(from)s")
        params["from"] = issued_from
    if issued_to is not None:
        where.append("i.issue_date <= %(to)s")
        params["to"] = issued_to
    clause = " AND ".join(where)
    count_sql = "SELECT count(*) FROM billing.invoices i JOIN billing.invoice_balances b ON b.invoice_id = i.id "
    (total,) = conn.execute(count_sql + f"WHERE {clause}", params).fetchone() or (0,)
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            _INVOICE_SELECT
            + f" WHERE {clause} ORDER BY i.created_at DESC, i.id DESC LIMIT %(limit)s OFFSET %(offset)s",
            params,
        )
        rows = cur.fetchall()
    return [_summary(r, on) for r in rows], int(total)
