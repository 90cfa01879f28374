"""Drafting an invoice from posted work: the used lines of a work order, priced and covered, plus the minimum charge.

One invoice per work order (a unique index holds it): drafting again rebuilds the open draft in place; once the
invoice is issued the work can only be credited.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.rows import dict_row

from service_core.billing import coverage, domain
from service_core.billing.lookups import account_billing, effective_price_list
from service_core.billing.pricing import PriceCandidates, resolve_unit_price
from service_core.billing.queries import get_invoice, today
from service_core.billing.schemas import InvoicePublic
from service_core.billing.service import create_draft, write_lines
from service_core.events import WorkOrderPosted
from service_core.exceptions import Conflict, InvalidTransition, NotFound

log = logging.getLogger(__name__)

_LINES_SQL = """
    SELECT l.id, l.kind, l.description, l.quantity_to_bill, l.unit_price AS line_price,
           pli.unit_price AS price_list_price, it.unit_price AS item_list_price, r.hourly_bill_rate AS resource_rate
    FROM work.lines l
    LEFT JOIN catalog.items it ON it.id = l.item_id
    LEFT JOIN catalog.price_list_items pli ON pli.item_id = l.item_id AND pli.price_list_id = %(price_list)s
    LEFT JOIN resources.resources r ON r.id = l.resource_id
    WHERE l.work_order_id = %(work_order)s AND l.line_status = 'used' AND l.quantity_to_bill > 0
    ORDER BY l.id
"""


def _work_order(conn: psycopg.Connection, work_order_id: int) -> dict[str, Any]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "SELECT id, number, status, account_id, billing_account_id, agreement_id, asset_id, work_type, "
            "posted_at, completed_at FROM work.work_orders WHERE id = %s",
            (work_order_id,),
        )
        row = cur.fetchone()
    if row is None:
        raise NotFound(f"work order {work_order_id} does not exist")
    return row


def has_billable_lines(conn: psycopg.Connection, *, work_order_id: int) -> bool:
    """Whether a work order has used lines with something to bill."""
    row = conn.execute(
        "SELECT 1 FROM work.lines WHERE work_order_id = %s AND line_status = 'used' AND quantity_to_bill > 0 LIMIT 1",
        (work_order_id,),
    ).fetchone()
    return row is not None


def _open_invoice_for(conn: psycopg.Connection, work_order: dict[str, Any]) -> int | None:
    row = conn.execute(
        "SELECT id, status, invoice_number FROM billing.invoices "
        "WHERE work_order_id = %s AND kind = 'invoice' AND status <> 'discarded' FOR UPDATE",
        (work_order["id"],),
    ).fetchone()
    if row is None:
        return None
    if row[1] == "issued":
        raise InvalidTransition(f"work order {work_order['number']} is already invoiced on {row[2]}")
    return int(row[0])


def work_day(work_order: dict[str, Any]) -> date:
    """The day coverage is judged on: when the work was completed (else posted, else today)."""
    at = work_order["completed_at"] or work_order["posted_at"]
    return at.date() if at is not None else today()


def priced_work_lines(conn: psycopg.Connection, *, work_order: dict[str, Any]) -> list[domain.PricedLine]:
    """The billable lines of a work order, priced, covered and taxed, with the minimum charge if one is due."""
    on = work_day(work_order)
    account = account_billing(conn, account_id=work_order["billing_account_id"])
    terms = coverage.terms_for(conn, work_order=work_order, on=on)
    price_list_id, minimum = effective_price_list(
        conn, account_id=work_order["billing_account_id"], price_list_id=terms.price_list_id if terms else None
    )
    covers = coverage.for_work_order(conn, work_order=work_order, terms=terms, on=on)
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_LINES_SQL, {"price_list": price_list_id, "work_order": work_order["id"]})
        rows = cur.fetchall()
    lines = []
    for row in rows:
        candidates = PriceCandidates(
            line_price=row["line_price"],
            agreement_labour_rate=terms.labour_rate if terms else None,
            price_list_price=row["price_list_price"],
            item_list_price=row["item_list_price"],
            resource_rate=row["resource_rate"],
        )
        unit_price, source = resolve_unit_price(row["kind"], candidates)
        cover = covers(row["kind"])
        draft = domain.LineDraft(
            description=row["description"] + (" (unpriced)" if source == "unpriced" else ""),
            kind=row["kind"],
            quantity=row["quantity_to_bill"],
            unit_price=unit_price,
            discount_pct=Decimal(0) if cover.covered else cover.discount_pct,
            covered=cover.covered,
            coverage_reason=cover.reason,
            work_order_line_id=row["id"],
        )
        lines.append(domain.price_line(draft, tax_rate=account.tax_rate))
    return domain.with_minimum_charge(lines, minimum=minimum, tax_rate=account.tax_rate)


def draft_for_work_order(conn: psycopg.Connection, *, work_order_id: int) -> InvoicePublic:
    """Draft (or rebuild the open draft of) the invoice of a posted work order for its billing account."""
    work_order = _work_order(conn, work_order_id)
    if work_order["status"] != "posted":
        raise InvalidTransition(
            f"work order {work_order['number']} is {work_order['status']}: only posted work is billed"
        )
    if not has_billable_lines(conn, work_order_id=work_order_id):
        raise InvalidTransition(f"work order {work_order['number']} has no used lines to bill")
    invoice_id = _open_invoice_for(conn, work_order)
    if invoice_id is None:
        try:
            with conn.transaction():
                invoice_id = create_draft(
                    conn,
                    account_id=work_order["billing_account_id"],
                    reason=f"work order {work_order['number']}",
                    links={"work_order_id": work_order_id},
                )
        except psycopg.errors.UniqueViolation as exc:
            raise Conflict(f"work order {work_order['number']} is being invoiced by another request") from exc
    write_lines(conn, invoice_id=invoice_id, lines=priced_work_lines(conn, work_order=work_order))
    return get_invoice(conn, invoice_id=invoice_id)


def draft_invoice_for_posted_work(conn: psycopg.Connection, event: WorkOrderPosted) -> None:
    """Handler of `WorkOrderPosted`: draft the work order's invoice when it has something to bill."""
    if not has_billable_lines(conn, work_order_id=event.work_order_id):
        log.info("work order %s posted with nothing to bill: no invoice drafted", event.work_order_id)
        return
    invoice = draft_for_work_order(conn, work_order_id=event.work_order_id)
    log.info("work order %s posted: invoice %s drafted", event.work_order_id, invoice.id)
