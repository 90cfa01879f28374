"""Invoice use cases: drafts and their lines, issuing with gapless numbers, discarding, and the allocation ledger
that payments and credit notes write to.  Functions take an open connection; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.rows import dict_row

from service_core import messagebus
from service_core.billing import coverage, domain
from service_core.billing.lookups import account_billing, effective_price_list
from service_core.billing.queries import get_invoice, lines_of, priced, today
from service_core.billing.schemas import InvoiceCreate, InvoiceLineCreate, InvoicePublic
from service_core.events import InvoiceIssued
from service_core.exceptions import Conflict, InvalidInput, InvalidTransition, NotFound


@contextmanager
def refusing_issued_changes() -> Iterator[None]:
    """Turn the database's refusal to change an issued invoice into `InvalidTransition` with its reason."""
    try:
        yield
    except psycopg.errors.RestrictViolation as exc:
        raise InvalidTransition(exc.diag.message_primary or "an issued invoice cannot change") from exc


def lock_invoice(conn: psycopg.Connection, *, invoice_id: int) -> dict[str, Any]:
    """The invoice row, locked FOR UPDATE until the transaction ends; `NotFound` if there is none."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT * FROM billing.invoices WHERE id = %s FOR UPDATE", (invoice_id,))
        row = cur.fetchone()
    if row is None:
        raise NotFound(f"invoice {invoice_id} does not exist")
    return row


def _lock_draft(conn: psycopg.Connection, invoice_id: int) -> dict[str, Any]:
    row = lock_invoice(conn, invoice_id=invoice_id)
    if row["status"] == "issued":
        raise InvalidTransition(f"invoice {row['invoice_number']} is issued: it can only be credited, not changed")
    if row["status"] != "draft":
        raise InvalidTransition(f"invoice {invoice_id} is {row['status']}: only a draft can change")
    return row


def create_draft(
    conn: psycopg.Connection,
    *,
    account_id: int,
    series: str = "INV",
    kind: str = "invoice",
    reason: str = "",
    links: dict[str, Any] | None = None,
) -> int:
    """A new empty draft for an account; `links` sets work_order_id, lease_id, agreement_id, period_start/end or
    credits_invoice_id."""
    account = account_billing(conn, account_id=account_id)
    extra = dict(links or {})
    allowed = {"work_order_id", "lease_id", "agreement_id", "period_start", "period_end", "credits_invoice_id"}
    if not set(extra) <= allowed:
        raise InvalidInput(f"unknown invoice links: {sorted(set(extra) - allowed)}")
    columns = ["account_id", "series", "kind", "reason", "currency", *extra]
    values = [account_id, series, kind, reason, account.currency, *extra.values()]
    row = conn.execute(
        f"INSERT INTO billing.invoices ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(values))}) RETURNING id",
        values,
    ).fetchone()
    assert row is not None
    return int(row[0])


def write_lines(conn: psycopg.Connection, *, invoice_id: int, lines: list[domain.PricedLine]) -> None:
    """Replace the lines of a draft with `lines` (positions 1..n) and store its totals."""
    sums = domain.totals(lines)
    with refusing_issued_changes():
        conn.execute("DELETE FROM billing.invoice_lines WHERE invoice_id = %s", (invoice_id,))
        with conn.cursor() as cur:
            cur.executemany(
                """
                INSERT INTO billing.invoice_lines (invoice_id, position, description, kind, quantity, unit_price,
                    discount_pct, amount, tax_rate, tax_amount, covered, coverage_reason, work_order_line_id,
                    credits_line_id, lease_period_id)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                """,
                [
                    (
                        invoice_id,
                        pos,
                        x.description,
                        x.kind,
                        x.quantity,
                        x.unit_price,
                        x.discount_pct,
                        x.amount,
                        x.tax_rate,
                        x.tax_amount,
                        x.covered,
                        x.coverage_reason,
                        x.work_order_line_id,
                        x.credits_line_id,
                        x.lease_period_id,
                    )
                    for pos, x in enumerate(lines, start=1)
                ],
            )
        conn.execute(
            "UPDATE billing.invoices SET subtotal = %s, tax_total = %s, total = %s WHERE id = %s",
            (sums.subtotal, sums.tax_total, sums.total, invoice_id),
        )


def _rewrite_with_minimum(conn: psycopg.Connection, invoice: dict[str, Any], lines: list[domain.PricedLine]) -> None:
    if invoice["work_order_id"] is not None and invoice["kind"] == "invoice":
        with conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT agreement_id, account_id, asset_id, completed_at, posted_at "
                "FROM work.work_orders WHERE id = %s",
                (invoice["work_order_id"],),
            )
            work_order = cur.fetchone()
        assert work_order is not None
        at = work_order["completed_at"] or work_order["posted_at"]
        terms = coverage.terms_for(conn, work_order=work_order, on=at.date() if at else today())
        _, minimum = effective_price_list(
            conn, account_id=invoice["account_id"], price_list_id=terms.price_list_id if terms else None
        )
        tax_rate = account_billing(conn, account_id=invoice["account_id"]).tax_rate
        lines = domain.with_minimum_charge(lines, minimum=minimum, tax_rate=tax_rate)
    write_lines(conn, invoice_id=invoice["id"], lines=lines)


def _manual_line(line_in: InvoiceLineCreate, tax_rate: Decimal) -> domain.PricedLine:
    draft = domain.LineDraft(
        description=line_in.description,
        kind=line_in.kind,
        quantity=line_in.quantity,
        unit_price=line_in.unit_price,
        discount_pct=line_in.discount_pct,
    )
    return domain.price_line(draft, tax_rate=tax_rate)


def create_manual_draft(conn: psycopg.Connection, *, invoice_in: InvoiceCreate) -> InvoicePublic:
    """A draft invoice (series INV) for an account with manual lines."""
    invoice_id = create_draft(conn, account_id=invoice_in.account_id, reason=invoice_in.reason)
    tax_rate = account_billing(conn, account_id=invoice_in.account_id).tax_rate
    write_lines(conn, invoice_id=invoice_id, lines=[_manual_line(x, tax_rate) for x in invoice_in.lines])
    return get_invoice(conn, invoice_id=invoice_id)


def add_line(conn: psycopg.Connection, *, invoice_id: int, line_in: InvoiceLineCreate) -> InvoicePublic:
    """Add a manual line to a draft (the minimum charge of a work invoice is recomputed)."""
    invoice = _lock_draft(conn, invoice_id)
    tax_rate = account_billing(conn, account_id=invoice["account_id"]).tax_rate
    lines = [priced(x) for x in lines_of(conn, invoice_id=invoice_id)]
    _rewrite_with_minimum(conn, invoice, [*lines, _manual_line(line_in, tax_rate)])
    return get_invoice(conn, invoice_id=invoice_id)


def remove_line(conn: psycopg.Connection, *, invoice_id: int, line_id: int) -> InvoicePublic:
    """Remove a line from a draft (the minimum charge of a work invoice is recomputed)."""
    invoice = _lock_draft(conn, invoice_id)
    stored = lines_of(conn, invoice_id=invoice_id)
    if all(x.id != line_id for x in stored):
        raise NotFound(f"invoice {invoice_id} has no line {line_id}")
    _rewrite_with_minimum(conn, invoice, [priced(x) for x in stored if x.id != line_id])
    return get_invoice(conn, invoice_id=invoice_id)


def discard(conn: psycopg.Connection, *, invoice_id: int) -> InvoicePublic:
    """Discard a draft: it stays for the record but is never issued (its work order may be drafted again)."""
    _lock_draft(conn, invoice_id)
    with refusing_issued_changes():
        conn.execute("UPDATE billing.invoices SET status = 'discarded' WHERE id = %s", (invoice_id,))
    return get_invoice(conn, invoice_id=invoice_id)


def next_number(conn: psycopg.Connection, *, series: str) -> int:
    """Take the next number of a series; the row stays locked until commit, so numbers have no gaps."""
    row = conn.execute(
        "UPDATE billing.series SET next_number = next_number + 1 WHERE code = %s RETURNING next_number - 1",
        (series,),
    ).fetchone()
    if row is None:
        raise NotFound(f"invoice series {series} does not exist")
    return int(row[0])


def issue(conn: psycopg.Connection, *, invoice_id: int, actor: str, issue_date: date | None = None) -> InvoicePublic:
    """Issue a draft: next number of its series, issue and due dates; publishes `InvoiceIssued`."""
    invoice = _lock_draft(conn, invoice_id)
    if (
        conn.execute("SELECT 1 FROM billing.invoice_lines WHERE invoice_id = %s LIMIT 1", (invoice_id,)).fetchone()
        is None
    ):
        raise InvalidTransition(f"invoice {invoice_id} has no lines: there is nothing to issue")
    terms = account_billing(conn, account_id=invoice["account_id"]).payment_terms_days
    issued_on = issue_date or today()
    due = issued_on if invoice["kind"] == "credit_note" else domain.due_date(issued_on, terms)
    number = next_number(conn, series=invoice["series"])
    conn.execute(
        """
        UPDATE billing.invoices SET status = 'issued', number = %s, invoice_number = %s, issue_date = %s,
            due_date = %s, issued_at = now(), issued_by = %s
        WHERE id = %s
        """,
        (number, domain.invoice_number(invoice["series"], number), issued_on, due, actor, invoice_id),
    )
    messagebus.publish(conn, InvoiceIssued(invoice_id=invoice_id, account_id=invoice["account_id"]))
    return get_invoice(conn, invoice_id=invoice_id)


def create_issued_invoice(
    conn: psycopg.Connection,
    *,
    account_id: int,
    series: str,
    lines: list[domain.LineDraft],
    actor: str,
    reason: str = "",
    issue_date: date | None = None,
    links: dict[str, Any] | None = None,
    taxable: bool = True,
) -> InvoicePublic:
    """Draft and issue at once an invoice of `lines` (used by periodic invoicing and dunning fees)."""
    tax_rate = account_billing(conn, account_id=account_id).tax_rate if taxable else Decimal(0)
    invoice_id = create_draft(conn, account_id=account_id, series=series, reason=reason, links=links)
    write_lines(conn, invoice_id=invoice_id, lines=[domain.price_line(x, tax_rate=tax_rate) for x in lines])
    return issue(conn, invoice_id=invoice_id, actor=actor, issue_date=issue_date)


@dataclass(frozen=True, slots=True)
class OpenInvoice:
    """An issued invoice that can take money, with its open balance."""

    invoice_id: int
    account_id: int
    currency: str
    due_date: date
    balance: Decimal


def lock_open_invoices(
    conn: psycopg.Connection, *, account_id: int, invoice_ids: list[int] | None = None
) -> list[OpenInvoice]:
    """Issued invoices of an account (all of them, or `invoice_ids`), locked FOR UPDATE in id order, oldest due
    first; an id that is not an issued invoice of the account is `NotFound`."""
    ids = sorted(set(invoice_ids)) if invoice_ids is not None else None
    rows = conn.execute(
        """
        SELECT id FROM billing.invoices
        WHERE account_id = %(account)s AND kind = 'invoice' AND status = 'issued'
          AND (%(ids)s::bigint[] IS NULL OR id = ANY(%(ids)s))
        ORDER BY id FOR UPDATE
        """,
        {"account": account_id, "ids": ids},
    ).fetchall()
    found = [int(r[0]) for r in rows]
    if ids is not None and set(found) != set(ids):
        missing = sorted(set(ids) - set(found))
        raise NotFound(f"no issued invoice of account {account_id} with id {', '.join(map(str, missing))}")
    result = conn.execute(
        """
        SELECT i.id, i.account_id, i.currency, i.due_date, b.balance
        FROM billing.invoices i JOIN billing.invoice_balances b ON b.invoice_id = i.id
        WHERE i.id = ANY(%s) ORDER BY i.due_date, i.id
        """,
        (found,),
    ).fetchall()
    return [OpenInvoice(int(r[0]), int(r[1]), str(r[2]), r[3], r[4]) for r in result]


def record_allocation(
    conn: psycopg.Connection,
    *,
    invoice_id: int,
    amount: Decimal,
    actor: str,
    payment_id: int | None = None,
    credit_note_id: int | None = None,
    at: datetime | None = None,
) -> int:
    """Write one allocation of money to an invoice (the caller holds the locks and checked the amounts); `at`:
    when it was applied (None: now; a history loader gives the time it replays)."""
    if amount <= 0:
        raise InvalidInput("an allocation must be above zero")
    row = conn.execute(
        """
        INSERT INTO billing.allocations (invoice_id, payment_id, credit_note_id, amount, allocated_by, allocated_at)
        VALUES (%s, %s, %s, %s, %s, coalesce(%s, now())) RETURNING id
        """,
        (invoice_id, payment_id, credit_note_id, amount, actor, at),
    ).fetchone()
    assert row is not None
    return int(row[0])


def ensure_same_currency(invoice: OpenInvoice, currency: str) -> None:
    """Refuse applying money in one currency to an invoice in another."""
    if invoice.currency != currency:
        raise Conflict(f"invoice {invoice.invoice_id} is in {invoice.currency}, the money in {currency}")
