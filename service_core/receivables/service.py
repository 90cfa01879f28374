"""Receivables read side: aging as of a date and the collections worklist.  Credit checks are in `credit.py`,
dunning, disputes and promises in `dunning.py`."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import psycopg

from service_core.receivables import domain
from service_core.receivables.schemas import AgingReport, AgingRow, WorklistRow

ZERO = Decimal("0.00")

_OPEN_AS_OF_SQL = """
    SELECT i.account_id, i.due_date,
           i.total - coalesce((SELECT sum(a.amount) FROM billing.allocations a
                               WHERE a.invoice_id = i.id AND (a.allocated_at AT TIME ZONE 'UTC')::date <= %(as_of)s
                                 AND (a.reversed_at IS NULL OR (a.reversed_at AT TIME ZONE 'UTC')::date > %(as_of)s)),
                              0) AS balance
    FROM billing.invoices i
    WHERE i.kind = 'invoice' AND i.status = 'issued' AND i.issue_date <= %(as_of)s
      AND (%(account)s::int IS NULL OR i.account_id = %(account)s)
"""
_CREDIT_SQL = """
    SELECT account_id, sum(unapplied) FROM billing.unapplied_credits
    WHERE dated <= %(as_of)s AND unapplied > 0 AND (%(account)s::int IS NULL OR account_id = %(account)s)
    GROUP BY account_id
"""


def _row(account_id: int | None, aging: domain.Aging) -> AgingRow:
    return AgingRow(
        account_id=account_id, **aging.buckets, open_total=aging.open_total, credit=aging.credit, net=aging.net
    )


def aging(conn: psycopg.Connection, *, as_of: date, account_id: int | None = None) -> AgingReport:
    """Open balances of issued invoices (net of allocations made by `as_of`) per account in aging buckets, with
    unapplied payments and credit notes as credit."""
    params = {"as_of": as_of, "account": account_id}
    items: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for acc, due, balance in conn.execute(_OPEN_AS_OF_SQL, params).fetchall():
        items[int(acc)].append((due, balance))
    credits = {int(acc): amount for acc, amount in conn.execute(_CREDIT_SQL, params).fetchall()}
    rows = []
    for acc in sorted(set(items) | set(credits)):
        report = domain.age(items.get(acc, []), as_of=as_of, credit=credits.get(acc, ZERO))
        if report.open_total > 0 or report.credit > 0:
            rows.append(_row(acc, report))
    everything = [x for acc_items in items.values() for x in acc_items]
    totals = domain.age(everything, as_of=as_of, credit=sum(credits.values(), ZERO))
    return AgingReport(as_of=as_of, accounts=rows, totals=_row(None, totals))


_RISK_SQL = """
    SELECT a.id, a.name, a.credit_hold,
           coalesce((SELECT array_agg(ARRAY[b.balance, (%(as_of)s - i.due_date)::numeric])
                     FROM billing.invoices i JOIN billing.invoice_balances b ON b.invoice_id = i.id
                     WHERE i.account_id = a.id AND i.kind = 'invoice' AND i.status = 'issued' AND b.balance > 0
                       AND i.due_date < %(as_of)s), '{}') AS overdue,
           coalesce((SELECT max(n.level) FROM billing.dunning_notices n
                     JOIN billing.invoice_balances b ON b.invoice_id = n.invoice_id
                     JOIN billing.invoices i ON i.id = n.invoice_id
                     WHERE i.account_id = a.id AND b.balance > 0), 0) AS level,
           (SELECT count(*) FROM billing.promises_to_pay p JOIN billing.invoices i ON i.id = p.invoice_id
            WHERE i.account_id = a.id AND p.status = 'broken') AS broken
    FROM crm.accounts a
    WHERE EXISTS (SELECT 1 FROM billing.invoices i JOIN billing.invoice_balances b ON b.invoice_id = i.id
                  WHERE i.account_id = a.id AND i.kind = 'invoice' AND i.status = 'issued' AND b.balance > 0
                    AND i.due_date < %(as_of)s)
"""


def worklist(conn: psycopg.Connection, *, as_of: date, limit: int, offset: int) -> tuple[list[WorklistRow], int]:
    """Accounts with overdue money, by risk score (highest first), with the reason per row."""
    risks, names = [], {}
    for acc, name, hold, overdue, level, broken in conn.execute(_RISK_SQL, {"as_of": as_of}).fetchall():
        names[int(acc)] = str(name)
        pairs = [(pair[0], int(pair[1])) for pair in overdue]
        risks.append(domain.AccountRisk(int(acc), pairs, int(level), int(broken), bool(hold)))
    ranked = domain.rank(risks)
    rows = [
        WorklistRow(
            account_id=risk.account_id,
            account_name=names[risk.account_id],
            score=score,
            reason=reason,
            overdue_total=sum((b for b, _ in risk.overdue), ZERO),
            oldest_days_overdue=max((d for _, d in risk.overdue), default=0),
            dunning_level=risk.dunning_level,
            broken_promises=risk.broken_promises,
            credit_hold=risk.credit_hold,
        )
        for risk, score, reason in ranked
    ]
    return rows[offset : offset + limit], len(rows)
