"""Test data for the policies and agreements domains, inserted with plain SQL (no other domain's code)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import psycopg


def insert_account(conn: psycopg.Connection, *, name: str = "Acme Water") -> int:
    row = conn.execute(
        "INSERT INTO crm.accounts (number, name) VALUES (%s, %s) RETURNING id", (f"ACC-{uuid.uuid4().hex[:10]}", name)
    ).fetchone()
    assert row is not None
    return int(row[0])


def insert_asset(
    conn: psycopg.Connection,
    *,
    account_id: int,
    name: str = "Pump",
    warranty_end: date | None = None,
    run_hours: Decimal | int = 0,
    status: str = "active",
) -> int:
    row = conn.execute(
        "INSERT INTO assets.assets (account_id, name, warranty_end, run_hours, status) VALUES (%s, %s, %s, %s, %s) "
        "RETURNING id",
        (account_id, name, warranty_end, run_hours, status),
    ).fetchone()
    assert row is not None
    return int(row[0])


def insert_incident_type(
    conn: psycopg.Connection, *, work_type: str = "maintenance", default_priority: str = "low"
) -> int:
    row = conn.execute(
        "INSERT INTO work.incident_types (code, name, work_type, default_priority) VALUES (%s, %s, %s, %s) "
        "RETURNING id",
        (f"it-{uuid.uuid4().hex[:8]}", "Quarterly service", work_type, default_priority),
    ).fetchone()
    assert row is not None
    return int(row[0])


def insert_work_order(
    conn: psycopg.Connection,
    *,
    account_id: int,
    priority: str = "high",
    created_at: datetime | None = None,
    status: str = "unscheduled",
    agreement_id: int | None = None,
    responded_at: datetime | None = None,
) -> int:
    row = conn.execute(
        "INSERT INTO work.work_orders (account_id, billing_account_id, work_type, priority, status, summary, "
        "agreement_id, created_at, responded_at) VALUES (%s, %s, 'repair', %s, %s, 'Leak', %s, %s, %s) RETURNING id",
        (account_id, account_id, priority, status, agreement_id, created_at or datetime.now(UTC), responded_at),
    ).fetchone()
    assert row is not None
    return int(row[0])


def insert_sla_target(
    conn: psycopg.Connection,
    *,
    priority: str = "high",
    response_minutes: int = 60,
    resolution_minutes: int = 480,
    agreement_id: int | None = None,
    calendar_id: int | None = None,
) -> int:
    row = conn.execute(
        "INSERT INTO policy.sla_targets (agreement_id, priority, calendar_id, response_minutes, resolution_minutes) "
        "VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (agreement_id, priority, calendar_id, response_minutes, resolution_minutes),
    ).fetchone()
    assert row is not None
    return int(row[0])


def insert_escalation_rule(
    conn: psycopg.Connection,
    *,
    target: str = "response",
    at_fraction: str = "0.5",
    action: str = "notify",
    notify_role: str | None = "dispatcher",
    priority: str | None = None,
) -> int:
    row = conn.execute(
        "INSERT INTO policy.escalation_rules (priority, target, at_fraction, action, notify_role) "
        "VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (priority, target, Decimal(at_fraction), action, notify_role),
    ).fetchone()
    assert row is not None
    return int(row[0])


def insert_agreement(
    conn: psycopg.Connection,
    *,
    account_id: int,
    number: str | None = None,
    status: str = "active",
    start_date: date = date(2026, 1, 1),
    end_date: date = date(2026, 12, 31),
    covers_all_assets: bool = False,
    asset_ids: tuple[int, ...] = (),
    covered_work_types: tuple[str, ...] = ("maintenance",),
    calendar_id: int | None = None,
) -> int:
    row = conn.execute(
        "INSERT INTO agreements.agreements (number, account_id, name, status, start_date, end_date, covers_all_assets, "
        "covered_work_types, calendar_id) VALUES (%s, %s, 'Service plan', %s, %s, %s, %s, %s, %s) RETURNING id",
        (
            number or f"AGR-{uuid.uuid4().hex[:6]}",
            account_id,
            status,
            start_date,
            end_date,
            covers_all_assets,
            list(covered_work_types),
            calendar_id,
        ),
    ).fetchone()
    assert row is not None
    for asset_id in asset_ids:
        conn.execute("INSERT INTO agreements.agreement_assets VALUES (%s, %s)", (row[0], asset_id))
    return int(row[0])
