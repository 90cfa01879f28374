"""Test data for billing, payments and receivables, inserted with plain SQL (accounts, catalogue, work orders)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import psycopg

from service_core import messagebus
from service_core.events import WorkOrderPosted


def _code(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def insert_account(
    conn: psycopg.Connection,
    *,
    currency: str = "USD",
    payment_terms_days: int = 30,
    tax_rate: str = "0.2000",
    credit_limit: str | None = None,
    price_list_id: int | None = None,
) -> int:
    row = conn.execute(
        """
        INSERT INTO crm.accounts (number, name, currency, payment_terms_days, tax_rate, credit_limit, price_list_id)
        VALUES (%s, 'Acme Pumps', %s, %s, %s, %s, %s) RETURNING id
        """,
        (_code("ACC"), currency, payment_terms_days, Decimal(tax_rate), credit_limit, price_list_id),
    ).fetchone()
    assert row is not None
    return int(row[0])


def insert_price_list(
    conn: psycopg.Connection,
    *,
    minimum_charge: str = "0",
    is_default: bool = False,
    prices: dict[int, str] | None = None,
) -> int:
    row = conn.execute(
        "INSERT INTO catalog.price_lists (name, minimum_charge, is_default) VALUES (%s, %s, %s) RETURNING id",
        (_code("PL"), Decimal(minimum_charge), is_default),
    ).fetchone()
    assert row is not None
    for item_id, price in (prices or {}).items():
        conn.execute(
            "INSERT INTO catalog.price_list_items (price_list_id, item_id, unit_price) VALUES (%s, %s, %s)",
            (row[0], item_id, Decimal(price)),
        )
    return int(row[0])


def insert_item(conn: psycopg.Connection, *, kind: str = "product", unit_price: str = "0", unit: str = "each") -> int:
    row = conn.execute(
        "INSERT INTO catalog.items (sku, name, kind, unit, unit_price) VALUES (%s, 'Part', %s, %s, %s) RETURNING id",
        (_code("SKU"), kind, unit, Decimal(unit_price)),
    ).fetchone()
    assert row is not None
    return int(row[0])


def insert_resource(conn: psycopg.Connection, *, hourly_bill_rate: str = "0") -> int:
    row = conn.execute(
        "INSERT INTO resources.resources (name, home_latitude, home_longitude, hourly_bill_rate) "
        "VALUES ('Tess Tech', 52.0, 5.0, %s) RETURNING id",
        (Decimal(hourly_bill_rate),),
    ).fetchone()
    assert row is not None
    return int(row[0])


def insert_agreement(
    conn: psycopg.Connection,
    *,
    account_id: int,
    labour_rate: str | None = None,
    discount_pct: str = "0",
    price_list_id: int | None = None,
    start: date = date(2020, 1, 1),
    end: date = date(2099, 1, 1),
    covered_work_types: tuple[str, ...] = (),
    covers_parts: bool = False,
) -> int:
    row = conn.execute(
        """
        INSERT INTO agreements.agreements (number, account_id, name, status, start_date, end_date, labour_rate,
            discount_pct, price_list_id, covers_all_assets, covered_work_types, covers_parts)
        VALUES (%s, %s, 'Gold care', 'active', %s, %s, %s, %s, %s, true, %s, %s) RETURNING id
        """,
        (
            _code("AGR"),
            account_id,
            start,
            end,
            labour_rate,
            Decimal(discount_pct),
            price_list_id,
            list(covered_work_types),
            covers_parts,
        ),
    ).fetchone()
    assert row is not None
    return int(row[0])


def insert_asset(conn: psycopg.Connection, *, account_id: int, warranty_end: date | None = None) -> int:
    row = conn.execute(
        "INSERT INTO assets.assets (account_id, name, warranty_end) VALUES (%s, 'Pump', %s) RETURNING id",
        (account_id, warranty_end),
    ).fetchone()
    assert row is not None
    return int(row[0])


@dataclass(frozen=True)
class WorkLine:
    kind: str = "product"
    quantity: str = "1"
    unit_price: str | None = None
    item_id: int | None = None
    resource_id: int | None = None
    line_status: str = "used"
    description: str = "work line"


def insert_posted_work_order(
    conn: psycopg.Connection,
    *,
    account_id: int,
    lines: list[WorkLine],
    agreement_id: int | None = None,
    asset_id: int | None = None,
    work_type: str = "repair",
    status: str = "posted",
) -> int:
    """A completed work order with `lines`, then posted (lines cannot be added once it is posted)."""
    row = conn.execute(
        """
        INSERT INTO work.work_orders (account_id, billing_account_id, work_type, status, summary, agreement_id,
            asset_id, completed_at)
        VALUES (%s, %s, %s, 'completed', 'Pump repair', %s, %s, now()) RETURNING id
        """,
        (account_id, account_id, work_type, agreement_id, asset_id),
    ).fetchone()
    assert row is not None
    work_order_id = int(row[0])
    for line in lines:
        conn.execute(
            """
            INSERT INTO work.lines (work_order_id, item_id, kind, description, line_status, quantity,
                quantity_to_bill, unit_price, resource_id)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
            """,
            (
                work_order_id,
                line.item_id,
                line.kind,
                line.description,
                line.line_status,
                Decimal(line.quantity),
                Decimal(line.quantity),
                None if line.unit_price is None else Decimal(line.unit_price),
                line.resource_id,
            ),
        )
    if status == "posted":
        conn.execute("UPDATE work.work_orders SET status = 'posted', posted_at = now() WHERE id = %s", (work_order_id,))
    return work_order_id


def post_work(conn: psycopg.Connection, work_order_id: int, actor: str = "user:1") -> None:
    """Publish `WorkOrderPosted` as the work-order domain does when a supervisor posts."""
    messagebus.publish(conn, WorkOrderPosted(work_order_id=work_order_id, actor=actor))


def invoice_of_work_order(conn: psycopg.Connection, work_order_id: int) -> int | None:
    row = conn.execute(
        "SELECT id FROM billing.invoices WHERE work_order_id = %s AND status <> 'discarded'", (work_order_id,)
    ).fetchone()
    return None if row is None else int(row[0])


def issued_invoice(
    conn: psycopg.Connection, *, account_id: int, amount: str, issue_date: date, series: str = "INV"
) -> int:
    """An issued invoice of one untaxed service line of `amount`, issued on `issue_date` (via the service)."""
    from service_core.billing import service as billing_service
    from service_core.billing.domain import LineDraft

    invoice = billing_service.create_issued_invoice(
        conn,
        account_id=account_id,
        series=series,
        lines=[LineDraft(description="service", kind="service", quantity=Decimal(1), unit_price=Decimal(amount))],
        actor="user:test",
        issue_date=issue_date,
        taxable=False,
    )
    return invoice.id


def insert_lease_charges(
    conn: psycopg.Connection, *, account_id: int, charges: list[tuple[str, date, date, str]]
) -> list[int]:
    """An active lease of a new asset with charges (kind, period start, due date, amount); their ids."""
    asset = insert_asset(conn, account_id=account_id)
    row = conn.execute(
        "INSERT INTO assets.leases (number, asset_id, account_id, status, start_date, end_date, periodic_charge) "
        "VALUES (%s, %s, %s, 'active', '2026-01-01', '2027-01-01', 100) RETURNING id",
        (_code("L"), asset, account_id),
    ).fetchone()
    assert row is not None
    ids = []
    for kind, start, due, amount in charges:
        period = conn.execute(
            "INSERT INTO assets.lease_periods (lease_id, kind, period_start, period_end, due_date, amount) "
            "VALUES (%s, %s, %s, %s + 30, %s, %s) RETURNING id",
            (row[0], kind, start, start, due, Decimal(amount)),
        ).fetchone()
        assert period is not None
        ids.append(int(period[0]))
    return ids


def insert_fee_period(conn: psycopg.Connection, *, agreement_id: int, start: date, due: date, amount: str) -> int:
    row = conn.execute(
        "INSERT INTO agreements.fee_periods (agreement_id, period_start, period_end, due_date, amount) "
        "VALUES (%s, %s, %s + 30, %s, %s) RETURNING id",
        (agreement_id, start, start, due, Decimal(amount)),
    ).fetchone()
    assert row is not None
    return int(row[0])
