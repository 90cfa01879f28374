"""Revenue and cost to serve per account, asset or agreement; days sales outstanding.

Revenue is what was invoiced (issued invoices less credit notes, before tax) with an issue date in the period; a
credit note counts against the asset, agreement and account of the invoice it credits (`src` below), as it carries
no work order, lease or agreement of its own.
Cost to serve is the labour (time entries x the technician's hourly cost) and parts (used product lines x unit
cost) of work completed in the period.  Amounts are summed as stored: one currency per deployment is assumed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

import psycopg

from service_core.analytics import domain
from service_core.analytics.schemas import DsoPoint, DsoReport, MoneyGrouping, Profitability, ProfitabilityReport

ZERO = Decimal("0.00")

_REVENUE_KEY = {
    MoneyGrouping.ACCOUNT: ("i.account_id", "(SELECT name FROM crm.accounts WHERE id = i.account_id)"),
    MoneyGrouping.ASSET: (
        "coalesce(wo.asset_id, l.asset_id)",
        "(SELECT name FROM assets.assets WHERE id = coalesce(wo.asset_id, l.asset_id))",
    ),
    MoneyGrouping.AGREEMENT: (
        "coalesce(src.agreement_id, wo.agreement_id)",
        "(SELECT number FROM agreements.agreements WHERE id = coalesce(src.agreement_id, wo.agreement_id))",
    ),
}
_COST_KEY = {
    MoneyGrouping.ACCOUNT: (
        "wo.billing_account_id",
        "(SELECT name FROM crm.accounts WHERE id = wo.billing_account_id)",
    ),
    MoneyGrouping.ASSET: ("wo.asset_id", "(SELECT name FROM assets.assets WHERE id = wo.asset_id)"),
    MoneyGrouping.AGREEMENT: (
        "wo.agreement_id",
        "(SELECT number FROM agreements.agreements WHERE id = wo.agreement_id)",
    ),
}


def profitability_report(
    conn: psycopg.Connection, *, start: date, end: date, group_by: MoneyGrouping
) -> ProfitabilityReport:
    """Revenue, labour and parts cost, cost to serve and margin per group for the days [start, end)."""
    rkey, rname = _REVENUE_KEY[group_by]
    ckey, cname = _COST_KEY[group_by]
    params = {"s": start, "e": end}
    revenue = conn.execute(
        f"""
        SELECT {rkey}::text, {rname},
               sum(CASE WHEN i.kind = 'credit_note' THEN -abs(i.subtotal) ELSE i.subtotal END)
        FROM billing.invoices AS i
        JOIN billing.invoices AS src ON src.id = coalesce(i.credits_invoice_id, i.id)
        LEFT JOIN work.work_orders AS wo ON wo.id = src.work_order_id
        LEFT JOIN assets.leases AS l ON l.id = src.lease_id
        WHERE i.status = 'issued' AND i.issue_date >= %(s)s AND i.issue_date < %(e)s
        GROUP BY 1, 2
        """,
        params,
    ).fetchall()
    costs = conn.execute(
        f"""
        WITH done AS (
            SELECT wo.* FROM work.work_orders AS wo
            WHERE wo.status IN ('completed', 'posted') AND wo.completed_at >= %(s)s AND wo.completed_at < %(e)s
        )
        SELECT {ckey}::text, {cname},
               coalesce((SELECT sum(extract(epoch FROM te.ended_at - te.started_at) / 3600.0 * r.hourly_cost)
                         FROM work.time_entries AS te JOIN resources.resources AS r ON r.id = te.resource_id
                         WHERE te.work_order_id = wo.id AND te.kind IN ('work', 'travel')), 0),
               coalesce((SELECT sum(ln.quantity * coalesce(nullif(ln.unit_cost, 0), it.unit_cost, 0))
                         FROM work.lines AS ln LEFT JOIN catalog.items AS it ON it.id = ln.item_id
                         WHERE ln.work_order_id = wo.id AND ln.kind = 'product' AND ln.line_status = 'used'), 0)
        FROM done AS wo
        """,
        params,
    ).fetchall()
    totals: dict[str | None, dict[str, Decimal]] = defaultdict(lambda: {"revenue": ZERO, "labour": ZERO, "parts": ZERO})
    names: dict[str | None, str | None] = {}
    for key, name, amount in revenue:
        totals[key]["revenue"] += Decimal(amount)
        names[key] = name
    for key, name, labour, parts in costs:
        totals[key]["labour"] += Decimal(labour)
        totals[key]["parts"] += Decimal(parts)
        names[key] = name
    groups = [_profitability(key, names.get(key), t) for key, t in totals.items()]
    groups.sort(key=lambda g: (-g.revenue, g.group_key or ""))
    return ProfitabilityReport(
        start=start, end=end, group_by=group_by, currency_note="amounts in each account's own currency", groups=groups
    )


def _profitability(key: str | None, name: str | None, t: dict[str, Decimal]) -> Profitability:
    cents = Decimal("0.01")
    labour, parts = t["labour"].quantize(cents), t["parts"].quantize(cents)
    cost = labour + parts
    return Profitability(
        group_key=key,
        group_name=name,
        revenue=t["revenue"].quantize(cents),
        labour_cost=labour,
        parts_cost=parts,
        cost_to_serve=cost,
        margin=t["revenue"].quantize(cents) - cost,
    )


def dso_report(conn: psycopg.Connection, *, as_of_dates: Sequence[date], days: int) -> DsoReport:
    """DSO at each date: receivables open that day over the credit sales of the `days` before it x `days`."""
    points = []
    for as_of in as_of_dates:
        row = conn.execute(
            """
            SELECT
              coalesce((SELECT sum(i.total - coalesce((
                    SELECT sum(a.amount) FROM billing.allocations AS a
                    WHERE a.invoice_id = i.id AND (a.allocated_at AT TIME ZONE 'UTC')::date <= %(d)s
                      AND (a.reversed_at IS NULL OR (a.reversed_at AT TIME ZONE 'UTC')::date > %(d)s)), 0))
                 FROM billing.invoices AS i
                 WHERE i.status = 'issued' AND i.kind = 'invoice' AND i.issue_date <= %(d)s), 0),
              coalesce((SELECT sum(i.total) FROM billing.invoices AS i
                 WHERE i.status = 'issued' AND i.kind = 'invoice'
                   AND i.issue_date > %(d)s - %(n)s AND i.issue_date <= %(d)s), 0)
            """,
            {"d": as_of, "n": days},
        ).fetchone()
        assert row is not None
        receivables, sales = Decimal(row[0]).quantize(Decimal("0.01")), Decimal(row[1]).quantize(Decimal("0.01"))
        points.append(
            DsoPoint(
                as_of=as_of,
                receivables=receivables,
                credit_sales=sales,
                days=days,
                dso=domain.days_sales_outstanding(receivables, sales, days),
            )
        )
    return DsoReport(points=points)


def month_ends(until: date, months: int) -> list[date]:
    """The last `months` month ends up to `until` (the last point is `until` itself), oldest first."""
    points = [until]
    first_of_month = until.replace(day=1)
    for _ in range(months - 1):
        previous_end = first_of_month - timedelta(days=1)
        points.append(previous_end)
        first_of_month = previous_end.replace(day=1)
    return points[::-1]
