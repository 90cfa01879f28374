"""The money side of the demo history, through billing, payments and receivables.

Posting drafted the work-order invoices; here they are issued a few days after the work (the last days' stay
drafts for review), lease and agreement charges are invoiced month by month by the periodic run, customers pay
(see `plan_finance`), one unpaid invoice is disputed and one is credited, and dunning runs as of today.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import psycopg

from service_core.billing import credit_notes, periodic
from service_core.billing import service as billing_service
from service_core.billing.schemas import CreditNoteCreate
from service_core.payments import service as payments_service
from service_core.payments.domain import Allocation
from service_core.payments.schemas import PaymentCreate
from service_core.receivables import dunning
from service_core.receivables.schemas import DisputeCreate
from service_core.seed import plan_finance
from service_core.seed.loader import Ids
from service_core.seed.model import Company
from service_core.seed.plan_master import ZONE
from service_core.seed.vocabulary import CURRENCY

DRAFT_DAYS = 2  # work finished this recently is still a draft invoice, awaiting review


def _finance_actor(ids: Ids) -> str:
    assert ids.finance is not None
    return ids.finance.actor


def issue_work_invoices(conn: psycopg.Connection, company: Company, ids: Ids, work_orders: dict[int, int]) -> None:
    """Issue each posted job's draft invoice a few days after the work, in date order (numbers follow dates)."""
    rng = plan_finance.finance_rng(company.seed)
    today = company.now.astimezone(ZONE).date()
    rows = conn.execute(
        "SELECT work_order_id, id FROM billing.invoices WHERE status = 'draft' AND work_order_id = ANY(%s)",
        (list(work_orders.values()),),
    ).fetchall()
    draft_of = {int(wo): int(invoice) for wo, invoice in rows}
    to_issue: list[tuple[date, int]] = []
    for plan in company.work_orders:
        invoice_id = draft_of.get(work_orders[plan.key])
        if invoice_id is None or plan.booking is None:
            continue
        done = plan.booking.end.astimezone(ZONE).date()
        if (today - done).days > DRAFT_DAYS:
            to_issue.append((min(today, done + timedelta(days=plan_finance.issue_delay_days(rng))), invoice_id))
    for issue_date, invoice_id in sorted(to_issue):
        billing_service.issue(conn, invoice_id=invoice_id, actor=_finance_actor(ids), issue_date=issue_date)


def run_periodic_billing(conn: psycopg.Connection, company: Company, ids: Ids) -> None:
    """The monthly run of lease and agreement invoices, from the first lease or agreement to today."""
    today = company.now.astimezone(ZONE).date()
    starts = [lease.start_date for lease in company.leases] + [a.start_date for a in company.agreements]
    day = min(starts, default=today).replace(day=1)
    while day <= today:
        periodic.run_periodic(conn, through=day, actor=_finance_actor(ids), on=day)
        day = (day + timedelta(days=32)).replace(day=1)
    periodic.run_periodic(conn, through=today, actor=_finance_actor(ids), on=today)


def collect_payments(conn: psycopg.Connection, company: Company, ids: Ids) -> list[int]:
    """Customers pay issued invoices (in full, late, in part or not); the unpaid overdue ones, oldest first."""
    rng = plan_finance.finance_rng(company.seed + 1)
    today = company.now.astimezone(ZONE).date()
    rows = conn.execute(
        "SELECT id, account_id, issue_date, due_date, total, invoice_number FROM billing.invoices "
        "WHERE status = 'issued' AND kind = 'invoice' ORDER BY due_date, id"
    ).fetchall()
    unpaid_overdue = []
    for invoice_id, account_id, issued, due, total, number in rows:
        payment = plan_finance.payment_for(rng, issue_date=issued, due_date=due, total=total, today=today)
        if payment is None:
            if due < today:
                unpaid_overdue.append(int(invoice_id))
            continue
        payment_in = PaymentCreate(
            account_id=account_id, amount=payment.amount, currency=CURRENCY, received_on=payment.received_on,
            method=payment.method, reference=number or "", idempotency_key=f"seed-{company.seed}-{invoice_id}",
        )  # fmt: skip
        stored, _ = payments_service.record_payment(
            conn, payment_in=payment_in, idempotency_key=None, actor=_finance_actor(ids)
        )
        allocation = [Allocation(invoice_id=int(invoice_id), amount=payment.amount)]
        applied = datetime.combine(payment.received_on, time(11), tzinfo=ZONE).astimezone(UTC)
        payments_service.allocate(
            conn, payment_id=stored.id, allocations=allocation, actor=_finance_actor(ids), at=min(applied, company.now)
        )
    return unpaid_overdue


def disputes_and_credit(conn: psycopg.Connection, company: Company, ids: Ids, unpaid_overdue: list[int]) -> None:
    """Two unpaid invoices disputed by their customers, a third credited in full (goodwill)."""
    actor = _finance_actor(ids)
    for invoice_id in unpaid_overdue[:2]:
        dispute_in = DisputeCreate(invoice_id=invoice_id, reason="Customer disputes the hours charged")
        dunning.open_dispute(conn, dispute_in=dispute_in, actor=actor)
    if len(unpaid_overdue) > 2:
        credit_in = CreditNoteCreate(reason="Goodwill: repeat visit for the same fault")
        on = company.now.astimezone(ZONE).date() - timedelta(days=3)
        credit_notes.create_credit_note(conn, invoice_id=unpaid_overdue[2], credit_in=credit_in, actor=actor, on=on)


def load_finance(conn: psycopg.Connection, company: Company, ids: Ids, work_orders: dict[int, int]) -> None:
    """Issue, invoice periodically, collect, dispute and credit, then run dunning as of today."""
    issue_work_invoices(conn, company, ids, work_orders)
    run_periodic_billing(conn, company, ids)
    unpaid = collect_payments(conn, company, ids)
    disputes_and_credit(conn, company, ids, unpaid)
    dunning.run_dunning(conn, as_of=company.now.astimezone(ZONE).date(), actor=_finance_actor(ids))
