"""The automatic credit check: hold an account over its credit limit or seriously overdue, release it when back in
order (through the accounts domain's `set_credit_hold`).  Runs on invoice, payment and balance events and on demand.
"""

from __future__ import annotations

from decimal import Decimal

import psycopg

from service_core.accounts import service as accounts_service
from service_core.events import AccountBalanceChanged, InvoiceIssued, PaymentRecorded
from service_core.exceptions import NotFound
from service_core.receivables import domain
from service_core.receivables.schemas import CreditCheckRun, CreditStatus


def exposure(conn: psycopg.Connection, *, account_id: int) -> Decimal:
    """Open balances of the account's issued invoices less its unapplied credit."""
    row = conn.execute(
        """
        SELECT coalesce((SELECT sum(b.balance) FROM billing.invoices i
                         JOIN billing.invoice_balances b ON b.invoice_id = i.id
                         WHERE i.account_id = %(a)s AND i.kind = 'invoice' AND i.status = 'issued'
                           AND b.balance > 0), 0)
             - coalesce((SELECT sum(unapplied) FROM billing.unapplied_credits WHERE account_id = %(a)s), 0)
               ::numeric(14, 2)
        """,
        {"a": account_id},
    ).fetchone()
    return row[0] if row else Decimal(0)


def seriously_overdue(conn: psycopg.Connection, *, account_id: int) -> list[str]:
    """Numbers of the account's invoices with a balance that reached a dunning level placing a credit hold."""
    rows = conn.execute(
        """
        SELECT DISTINCT i.invoice_number
        FROM billing.invoices i
        JOIN billing.invoice_balances b ON b.invoice_id = i.id
        JOIN billing.dunning_notices n ON n.invoice_id = i.id
        JOIN billing.dunning_levels l ON l.level = n.level
        WHERE i.account_id = %s AND l.places_credit_hold AND b.balance > 0
        """,
        (account_id,),
    ).fetchall()
    return [str(r[0]) for r in rows]


def check_account(conn: psycopg.Connection, *, account_id: int) -> CreditStatus:
    """Hold or release the account's credit as the rule says; a hold a person set is never released here."""
    row = conn.execute("SELECT credit_limit FROM crm.accounts WHERE id = %s", (account_id,)).fetchone()
    if row is None:
        raise NotFound(f"account {account_id} does not exist")
    owed = exposure(conn, account_id=account_id)
    hold, reason = domain.credit_hold_decision(
        exposure=owed, credit_limit=row[0], hold_level_invoices=seriously_overdue(conn, account_id=account_id)
    )
    account = accounts_service.set_credit_hold(conn, account_id=account_id, hold=hold, reason=reason, manual=False)
    return CreditStatus(
        account_id=account_id,
        exposure=owed,
        credit_limit=row[0],
        credit_hold=account.credit_hold,
        credit_hold_manual=account.credit_hold_manual,
        reason=account.credit_hold_reason or reason,
    )


def run_credit_check(conn: psycopg.Connection) -> CreditCheckRun:
    """Check every account that has issued invoices, unapplied credit or a hold."""
    rows = conn.execute(
        """
        SELECT id, credit_hold FROM crm.accounts a
        WHERE credit_hold OR EXISTS (SELECT 1 FROM billing.invoices i WHERE i.account_id = a.id AND i.status = 'issued')
           OR EXISTS (SELECT 1 FROM billing.payments p WHERE p.account_id = a.id)
        ORDER BY id
        """
    ).fetchall()
    held: list[int] = []
    released: list[int] = []
    for account_id, was_held in rows:
        status = check_account(conn, account_id=int(account_id))
        if status.credit_hold and not was_held:
            held.append(int(account_id))
        elif was_held and not status.credit_hold:
            released.append(int(account_id))
    return CreditCheckRun(checked=len(rows), on_hold=held, released=released)


def on_invoice_issued(conn: psycopg.Connection, event: InvoiceIssued) -> None:
    """Handler: an issued invoice may put its account over the limit."""
    check_account(conn, account_id=event.account_id)


def on_payment_recorded(conn: psycopg.Connection, event: PaymentRecorded) -> None:
    """Handler: a payment may bring its account back under the limit."""
    check_account(conn, account_id=event.account_id)


def on_balance_changed(conn: psycopg.Connection, event: AccountBalanceChanged) -> None:
    """Handler: allocations, credits, refunds or reversals changed what the account owes."""
    check_account(conn, account_id=event.account_id)
