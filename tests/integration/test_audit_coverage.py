"""The audit trail covers every business table (a new table without it fails here), and keeps secrets out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from service_core.auth import service as auth_service
from service_core.auth.schemas import UserCreate
from service_core.devices import service as devices_service
from service_core.devices.schemas import DeviceCreate

pytestmark = pytest.mark.integration

# Tables deliberately without the trail (see migration 0134 for why); a schema listed alone leaves all its tables out
NOT_AUDITED = {
    "audit", "telemetry", "ingest", "detection",
    "auth.login_attempts", "billing.series", "work.sla_events", "broker.service_logins",
}  # fmt: skip


def _changes(conn: psycopg.Connection, table: str, record_id: int) -> list[tuple[str, dict[str, Any]]]:
    rows = conn.execute(
        "SELECT action, changed FROM audit.changes WHERE table_name = %s AND record_id = %s ORDER BY id",
        (table, str(record_id)),
    ).fetchall()
    return [(str(a), dict(c)) for a, c in rows]


def test_every_business_table_has_the_audit_trigger(database_url: str):
    with psycopg.connect(database_url) as conn:
        missing = [
            name
            for schema, name in conn.execute(
                """
                SELECT n.nspname, n.nspname || '.' || c.relname
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
                  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'public') AND n.nspname NOT LIKE 'pg\\_%%'
                  AND NOT EXISTS (SELECT FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'audit_changes')
                ORDER BY 2
                """
            ).fetchall()
            if schema not in NOT_AUDITED and name not in NOT_AUDITED
        ]
    assert missing == []


def test_a_devices_credentials_are_audited_redacted_and_its_presence_is_not(database_url: str, tenant: str):
    with psycopg.connect(database_url) as conn:
        device = devices_service.add(
            conn, device_in=DeviceCreate(tenant=tenant, device_key="pump-1", device_type="pump")
        ).device
        conn.commit()
        devices_service.touch_last_seen(conn, device_ids=[device.id], at=datetime.now(UTC))
        devices_service.record_status(
            conn, tenant=tenant, device_key="pump-1", state="online", at=datetime.now(UTC)
        )  # fmt: skip
        conn.commit()
        devices_service.revoke_credentials(conn, device_id=device.id)
        conn.commit()
        changes = _changes(conn, "fleet.devices", device.id)
        stored_hash = conn.execute(
            "SELECT broker_password_hash FROM fleet.devices WHERE id = %s", (device.id,)
        ).fetchone()  # fmt: skip
    assert [action for action, _ in changes] == ["insert", "update"]  # presence updates leave no trace
    inserted, revoked = changes[0][1], changes[1][1]
    assert inserted["device_key"] == "pump-1" and inserted["broker_password_hash"] == "[redacted]"
    assert revoked["revoked_at"][0] is None and revoked["revoked_at"][1] is not None
    assert "$7$" not in str(changes) and stored_hash is not None


def test_a_users_password_hash_never_reaches_the_trail(database_url: str):
    with psycopg.connect(database_url) as conn:
        user = auth_service.create_user(
            conn, user_in=UserCreate(email="auditor@example.com", password="a long enough password 1")
        )
        conn.commit()
        changes = _changes(conn, "auth.users", user.id)
    assert len(changes) == 1 and changes[0][0] == "insert"
    assert changes[0][1]["password_hash"] == "[redacted]" and changes[0][1]["role"] == "viewer"
