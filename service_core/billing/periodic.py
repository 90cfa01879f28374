"""Periodic invoicing: due lease charges (series LSE) and agreement fees (series AGR), through the assets and
agreements contracts.

Each invoice is made in a savepoint: a charge another run invoiced meanwhile is skipped (its savepoint, and the
number it took, roll back, so numbering stays gapless), and the run goes on.  Invoices are issued today (UTC) with
the account's payment terms; the charges of one lease starting on the same day (rent and deposit) share one invoice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import psycopg

from service_core.accounts import service as accounts_service
from service_core.agreements import service as agreements_service
from service_core.agreements.schemas import FeePeriodPublic
from service_core.assets import service as assets_service
from service_core.assets.lease_schemas import LeasePeriodPublic
from service_core.billing.domain import LineDraft
from service_core.billing.schemas import PeriodicRunResult
from service_core.billing.service import create_issued_invoice
from service_core.exceptions import Conflict

log = logging.getLogger(__name__)


def _lease_groups(periods: Sequence[LeasePeriodPublic]) -> list[list[LeasePeriodPublic]]:
    groups: dict[tuple[int, date], list[LeasePeriodPublic]] = {}
    for period in periods:
        groups.setdefault((period.lease_id, period.period_start), []).append(period)
    return list(groups.values())


def _invoice_lease_charges(
    conn: psycopg.Connection, due: list[LeasePeriodPublic], *, actor: str, on: date | None
) -> int | None:
    """Invoice one group of a lease's charges as they are once locked (a lease ended early meanwhile may have
    dropped or shortened them); None when none is left to invoice."""
    charges = assets_service.lock_periods_to_invoice(conn, lease_id=due[0].lease_id, period_ids=[c.id for c in due])
    if not charges:
        return None
    first = charges[0]
    lines = [
        LineDraft(
            f"lease {c.lease_number}: {c.kind.replace('_', ' ')} {c.period_start} to {c.period_end}",
            "lease",
            Decimal(1),
            c.amount,
            lease_period_id=c.id,
        )
        for c in charges
    ]
    invoice = create_issued_invoice(
        conn,
        account_id=first.account_id,
        series="LSE",
        lines=lines,
        actor=actor,
        reason=f"lease {first.lease_number}",
        issue_date=on,
        links={
            "lease_id": first.lease_id,
            "period_start": first.period_start,
            "period_end": max(c.period_end for c in charges),
        },
    )
    for charge in charges:
        assets_service.mark_period_invoiced(conn, period_id=charge.id, invoice_id=invoice.id)
    return invoice.id


def _invoice_fee_period(conn: psycopg.Connection, fee: FeePeriodPublic, *, actor: str, on: date | None) -> int:
    payer = accounts_service.billing_account_of(conn, account_id=fee.account_id)
    text = f"agreement {fee.agreement_number}: fee {fee.period_start} to {fee.period_end}"
    invoice = create_issued_invoice(
        conn,
        account_id=payer,
        series="AGR",
        lines=[LineDraft(text, "agreement_fee", Decimal(1), fee.amount)],
        actor=actor,
        reason=f"agreement {fee.agreement_number}",
        issue_date=on,
        links={"agreement_id": fee.agreement_id, "period_start": fee.period_start, "period_end": fee.period_end},
    )
    agreements_service.mark_fee_period_invoiced(conn, fee_period_id=fee.id, invoice_id=invoice.id)
    return invoice.id


def run_periodic(conn: psycopg.Connection, *, through: date, actor: str, on: date | None = None) -> PeriodicRunResult:
    """Invoice every lease charge and agreement fee due on or before `through` that is not invoiced yet."""
    lease_ids: list[int] = []
    fee_ids: list[int] = []
    skipped: list[str] = []
    for charges in _lease_groups(assets_service.periods_due(conn, through=through)):
        try:
            with conn.transaction():
                invoice_id = _invoice_lease_charges(conn, charges, actor=actor, on=on)
            if invoice_id is not None:
                lease_ids.append(invoice_id)
        except (Conflict, psycopg.errors.UniqueViolation) as exc:
            skipped.append(f"lease {charges[0].lease_number} from {charges[0].period_start}: {exc}")
    for fee in agreements_service.fee_periods_due(conn, through=through):
        try:
            with conn.transaction():
                fee_ids.append(_invoice_fee_period(conn, fee, actor=actor, on=on))
        except (Conflict, psycopg.errors.UniqueViolation) as exc:
            skipped.append(f"agreement {fee.agreement_number} from {fee.period_start}: {exc}")
    log.info("periodic run through %s: %d lease, %d fee invoices", through, len(lease_ids), len(fee_ids))
    return PeriodicRunResult(lease_invoice_ids=lease_ids, agreement_invoice_ids=fee_ids, skipped=skipped)
