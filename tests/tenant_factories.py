"""Two customers' worlds side by side, for the tenant-scoping tests: every record a customer portal could show.

Each tenant's text fields carry its marker ("ALPHA" or "BRAVO"), so an answer that leaks the other tenant's rows
shows it in its body; the ids of every record are kept too, to check lists item by item.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import psycopg

from service_core.auth import service as auth_service
from service_core.auth.domain import Role
from service_core.auth.schemas import UserCreate
from tests.finance_factories import issued_invoice
from tests.support.api import PASSWORD, bearer


@dataclass
class Tenant:
    """The ids of one customer's records, by kind (`account`, `asset`, `work_order`, ...)."""

    marker: str
    ids: dict[str, list[int]] = field(default_factory=dict)

    def first(self, kind: str) -> int:
        return self.ids[kind][0]

    def add(self, kind: str, record_id: int) -> int:
        self.ids.setdefault(kind, []).append(record_id)
        return record_id


def _one(conn: psycopg.Connection, sql: str, params: tuple[object, ...]) -> int:
    row = conn.execute(sql, params).fetchone()
    assert row is not None
    return int(row[0])


def build_tenant(conn: psycopg.Connection, marker: str) -> Tenant:
    """An account (and a site account it pays for), contacts, locations, an asset tree with a device and meter
    readings, a lease with a charge, a work order with a line and a task, an invoice paid by a payment, a condition.
    """
    tenant = Tenant(marker)
    tag = f"{marker}-{uuid.uuid4().hex[:6]}"
    account = tenant.add("account", _account(conn, f"{tag}-HQ", billing_account_id=None))
    tenant.add("account", _account(conn, f"{tag}-SITE", billing_account_id=account))
    for account_id in tenant.ids["account"]:
        _masterdata(conn, tenant, account_id, tag)
    _lease(conn, tenant, tag)
    _work_order(conn, tenant, tag)
    _billing(conn, tenant, tag)
    return tenant


def _account(conn: psycopg.Connection, name: str, *, billing_account_id: int | None) -> int:
    return _one(
        conn,
        "INSERT INTO crm.accounts (number, name, billing_account_id) VALUES (%s, %s, %s) RETURNING id",
        (name, name, billing_account_id),
    )


def _masterdata(conn: psycopg.Connection, tenant: Tenant, account_id: int, tag: str) -> None:
    tenant.add(
        "contact",
        _one(conn, "INSERT INTO crm.contacts (account_id, name) VALUES (%s, %s) RETURNING id", (account_id, tag)),
    )
    location = tenant.add(
        "location",
        _one(
            conn,
            "INSERT INTO crm.locations (account_id, name, latitude, longitude) VALUES (%s, %s, 52, 5) RETURNING id",
            (account_id, f"{tag} plant"),
        ),
    )
    asset_sql = (
        "INSERT INTO assets.assets (account_id, location_id, parent_id, level, name) "
        "VALUES (%s, %s, %s, %s, %s) RETURNING id"
    )
    asset = tenant.add("asset", _one(conn, asset_sql, (account_id, location, None, "asset", f"{tag} chiller")))
    tenant.add("asset", _one(conn, asset_sql, (account_id, location, asset, "component", f"{tag} compressor")))
    tenant.add(
        "device",
        _one(
            conn,
            "INSERT INTO fleet.devices (tenant, device_key, device_type, asset_id) VALUES (%s, %s, 'chiller', %s) "
            "RETURNING id",
            (tenant.marker.lower(), f"{tag}-dev-{account_id}", asset),
        ),
    )
    tenant.add(
        "meter_reading",
        _one(
            conn,
            "INSERT INTO assets.meter_readings (asset_id, value, read_at) VALUES (%s, 120, now()) RETURNING id",
            (asset,),
        ),
    )
    tenant.add(
        "condition",
        _one(
            conn,
            """
            INSERT INTO detection.conditions (asset_id, failure_mode, category, severity, onset_at, raised_at,
                last_evidence_at, peak_score, evidence)
            VALUES (%s, 'bearing_wear', 'equipment', 'major', now(), now(), now(), 0.9, %s) RETURNING id
            """,
            (asset, f'{{"note": "{tag}"}}'),
        ),
    )


def _lease(conn: psycopg.Connection, tenant: Tenant, tag: str) -> None:
    lease = tenant.add(
        "lease",
        _one(
            conn,
            "INSERT INTO assets.leases (number, asset_id, account_id, status, start_date, end_date, periodic_charge) "
            "VALUES (%s, %s, %s, 'active', '2026-01-01', '2027-01-01', 100) RETURNING id",
            (tag, tenant.first("asset"), tenant.first("account")),
        ),
    )
    tenant.add(
        "lease_period",
        _one(
            conn,
            "INSERT INTO assets.lease_periods (lease_id, period_start, period_end, due_date, amount) "
            "VALUES (%s, '2026-01-01', '2026-02-01', '2026-01-01', 100) RETURNING id",
            (lease,),
        ),
    )


def _work_order(conn: psycopg.Connection, tenant: Tenant, tag: str) -> None:
    site, account = tenant.ids["account"][1], tenant.first("account")
    work_order = tenant.add(
        "work_order",
        _one(
            conn,
            "INSERT INTO work.work_orders (account_id, billing_account_id, asset_id, work_type, summary) "
            "VALUES (%s, %s, %s, 'repair', %s) RETURNING id",
            (site, account, tenant.ids["asset"][2], f"{tag} repair"),
        ),
    )
    tenant.add(
        "work_line",
        _one(
            conn,
            "INSERT INTO work.lines (work_order_id, kind, description, quantity, quantity_to_bill) "
            "VALUES (%s, 'service', %s, 1, 1) "
            "RETURNING id",
            (work_order, f"{tag} labour"),
        ),
    )
    tenant.add(
        "task",
        _one(
            conn,
            "INSERT INTO work.tasks (work_order_id, position, description) VALUES (%s, 1, %s) RETURNING id",
            (work_order, f"{tag} check"),
        ),
    )


def _billing(conn: psycopg.Connection, tenant: Tenant, tag: str) -> None:
    account = tenant.first("account")
    invoice = tenant.add("invoice", issued_invoice(conn, account_id=account, amount="500.00", issue_date=date.today()))
    payment = tenant.add(
        "payment",
        _one(
            conn,
            "INSERT INTO billing.payments (account_id, amount, currency, received_on, method, reference, created_by) "
            "SELECT id, 200, currency, current_date, 'bank_transfer', %s, 'user:test' FROM crm.accounts WHERE id = %s "
            "RETURNING id",
            (f"{tag} transfer", account),
        ),
    )
    conn.execute(
        "INSERT INTO billing.allocations (invoice_id, payment_id, amount, allocated_by) VALUES (%s, %s, %s, 'test')",
        (invoice, payment, Decimal("200.00")),
    )


def customer_headers(url: str, account_id: int) -> dict[str, str]:
    """Authorization headers of a new customer user of `account_id`."""
    with psycopg.connect(url) as conn:
        user = auth_service.create_user(
            conn,
            user_in=UserCreate(
                email=f"customer-{uuid.uuid4().hex[:8]}@example.com",
                password=PASSWORD,
                role=Role.CUSTOMER,
                account_id=account_id,
            ),
        )
    return bearer(user.id)
