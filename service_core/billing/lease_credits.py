"""Crediting the rent a lease had invoiced for the days after it was bought out or terminated.

Issued invoices are never edited: each invoice that billed such rent gets one credit note (series CN) with, per
rent line, the share of the days no longer owed, applied to the invoice's open balance like any credit note.
"""

from __future__ import annotations

import logging
from collections import defaultdict

import psycopg

from service_core.billing import domain
from service_core.billing.credit_notes import credited_so_far, issue_credit_note, lock_issued_invoice
from service_core.billing.queries import lines_of, priced
from service_core.events import LeaseEndedEarly, RentInvoicedPastEnd
from service_core.exceptions import Conflict

log = logging.getLogger(__name__)


def credit_rent_after_lease_end(conn: psycopg.Connection, event: LeaseEndedEarly) -> None:
    """Handler of `LeaseEndedEarly`: one credit note per invoice that billed rent for days after the lease ended."""
    by_invoice: dict[int, list[RentInvoicedPastEnd]] = defaultdict(list)
    for rent in event.rent_invoiced_past_end:
        by_invoice[rent.invoice_id].append(rent)
    for invoice_id in sorted(by_invoice):  # one lock order for every caller
        invoice = lock_issued_invoice(conn, invoice_id=invoice_id)
        lines = _credit_lines(conn, invoice_id, by_invoice[invoice_id])
        if not lines:
            continue  # credited by hand already
        note = issue_credit_note(
            conn,
            invoice=invoice,
            lines=lines,
            reason=f"lease {event.lease_number} ended on {event.on.isoformat()}: rent from then on credited",
            actor=event.actor,
        )
        log.info(
            "lease %s: %s credits %s of invoice %s", event.lease_number, note.invoice_number, -note.total, invoice_id
        )


def _credit_lines(
    conn: psycopg.Connection, invoice_id: int, rents: list[RentInvoicedPastEnd]
) -> list[domain.PricedLine]:
    line_of_period = {x.lease_period_id: x for x in lines_of(conn, invoice_id=invoice_id) if x.lease_period_id}
    credited = credited_so_far(conn, invoice_id=invoice_id)
    result = []
    for rent in rents:
        line = line_of_period.get(rent.lease_period_id)
        if line is None:
            raise Conflict(f"invoice {invoice_id} has no line for lease charge {rent.lease_period_id}")
        credit = domain.credit_share_of_line(
            priced(line),
            original_id=line.id,
            credited=credited.get(line.id, domain.CreditedSoFar()),
            numerator=rent.days_after_end,
            denominator=rent.days,
        )
        if credit is not None:
            result.append(credit)
    return result
