"""Device registry use cases.  Functions take an open connection; the caller owns the transaction."""

from __future__ import annotations

from datetime import datetime

import orjson
import psycopg
from psycopg.rows import class_row

from service_core.devices.broker_auth import (
    BrokerAccount,
    broker_username,
    device_account,
    generate_password,
    mosquitto_hash,
)
from service_core.devices.domain import hash_password, status_applies
from service_core.devices.schemas import DeviceCreate, DeviceCredentialsPublic, DevicePublic
from service_core.exceptions import Conflict, NotFound

_COLUMNS = (
    "id, tenant, device_key, device_type, asset_id, status, status_changed_at, last_seen_at, created_at, "
    "credentials_rotated_at, revoked_at"
)


def register(conn: psycopg.Connection, *, device_in: DeviceCreate) -> DevicePublic:
    """Create the device, or update its type, asset and credentials if it is already registered.

    A password given here (re)issues the device's credentials, as `rotate_credentials` does."""
    device = _upsert(conn, device_in=device_in, password=device_in.password, update_existing=True)
    assert device is not None
    return device


def add(conn: psycopg.Connection, *, device_in: DeviceCreate) -> DeviceCredentialsPublic:
    """Create a device with generated MQTT credentials (never a chosen password: `device_in.password` is not
    used); `Conflict` if it is registered already."""
    password = generate_password()
    device = _upsert(conn, device_in=device_in, password=password, update_existing=False)
    if device is None:
        raise Conflict(f"device {device_in.tenant}/{device_in.device_key} is registered already: rotate its password")
    return _credentials(device, password)


def _upsert(
    conn: psycopg.Connection, *, device_in: DeviceCreate, password: str | None, update_existing: bool
) -> DevicePublic | None:
    """Insert the device (or update it, if `update_existing`); None when it existed and was left alone."""
    on_conflict = (
        """DO UPDATE SET
            device_type = EXCLUDED.device_type,
            asset_id = COALESCE(EXCLUDED.asset_id, fleet.devices.asset_id),
            credentials_hash = COALESCE(EXCLUDED.credentials_hash, fleet.devices.credentials_hash),
            broker_password_hash = COALESCE(EXCLUDED.broker_password_hash, fleet.devices.broker_password_hash),
            credentials_rotated_at = COALESCE(EXCLUDED.credentials_rotated_at, fleet.devices.credentials_rotated_at),
            revoked_at = CASE WHEN EXCLUDED.credentials_hash IS NULL THEN fleet.devices.revoked_at END,
            metadata = fleet.devices.metadata || EXCLUDED.metadata"""
        if update_existing
        else "DO NOTHING"
    )
    with conn.cursor(row_factory=class_row(DevicePublic)) as cur:
        cur.execute(
            f"""
            INSERT INTO fleet.devices (tenant, device_key, device_type, asset_id, credentials_hash,
                                       broker_password_hash, credentials_rotated_at, metadata)
            VALUES (%s, %s, %s, %s, %s, %s, CASE WHEN %s THEN now() END, %s)
            ON CONFLICT (tenant, device_key) {on_conflict}
            RETURNING {_COLUMNS}
            """,
            (
                device_in.tenant,
                device_in.device_key,
                device_in.device_type,
                device_in.asset_id,
                hash_password(password) if password else None,
                mosquitto_hash(password) if password else None,
                bool(password),
                orjson.dumps(device_in.metadata).decode(),
            ),
        )
        return cur.fetchone()


def rotate_credentials(conn: psycopg.Connection, *, device_id: int) -> DeviceCredentialsPublic:
    """Issue the device a new generated password (lifting a revocation); the old one stops working at the next
    broker sync."""
    password = generate_password()
    with conn.cursor(row_factory=class_row(DevicePublic)) as cur:
        cur.execute(
            f"""
            UPDATE fleet.devices SET credentials_hash = %s, broker_password_hash = %s,
                                     credentials_rotated_at = now(), revoked_at = NULL
            WHERE id = %s RETURNING {_COLUMNS}
            """,
            (hash_password(password), mosquitto_hash(password), device_id),
        )
        device = cur.fetchone()
    if device is None:
        raise NotFound(f"device {device_id} is not registered")
    return _credentials(device, password)


def revoke_credentials(conn: psycopg.Connection, *, device_id: int) -> DevicePublic:
    """Forget the device's credentials and mark it revoked; the broker refuses it after the next sync."""
    with conn.cursor(row_factory=class_row(DevicePublic)) as cur:
        cur.execute(
            f"""
            UPDATE fleet.devices SET credentials_hash = NULL, broker_password_hash = NULL,
                                     revoked_at = COALESCE(revoked_at, now())
            WHERE id = %s RETURNING {_COLUMNS}
            """,
            (device_id,),
        )
        device = cur.fetchone()
    if device is None:
        raise NotFound(f"device {device_id} is not registered")
    return device


def broker_accounts(conn: psycopg.Connection) -> list[BrokerAccount]:
    """The broker accounts of every device that has credentials and is not revoked."""
    rows = conn.execute(
        "SELECT tenant, device_key, broker_password_hash FROM fleet.devices "
        "WHERE broker_password_hash IS NOT NULL AND revoked_at IS NULL ORDER BY tenant, device_key"
    ).fetchall()
    return [device_account(tenant, key, password_hash) for tenant, key, password_hash in rows]


def _credentials(device: DevicePublic, password: str) -> DeviceCredentialsPublic:
    username = broker_username(device.tenant, device.device_key)
    return DeviceCredentialsPublic(device=device, username=username, password=password)


def register_many(conn: psycopg.Connection, *, devices_in: list[DeviceCreate]) -> list[DevicePublic]:
    return [register(conn, device_in=d) for d in devices_in]


def get(conn: psycopg.Connection, *, tenant: str, device_key: str) -> DevicePublic:
    with conn.cursor(row_factory=class_row(DevicePublic)) as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM fleet.devices WHERE tenant = %s AND device_key = %s", (tenant, device_key))
        device = cur.fetchone()
    if device is None:
        raise NotFound(f"device {tenant}/{device_key} is not registered")
    return device


def get_by_id(conn: psycopg.Connection, *, device_id: int) -> DevicePublic:
    with conn.cursor(row_factory=class_row(DevicePublic)) as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM fleet.devices WHERE id = %s", (device_id,))
        device = cur.fetchone()
    if device is None:
        raise NotFound(f"device {device_id} is not registered")
    return device


def list_page(
    conn: psycopg.Connection, *, tenant: str | None, limit: int, offset: int
) -> tuple[list[DevicePublic], int]:
    """One page of devices in (tenant, key) order, and how many there are in all."""
    where = "WHERE %(t)s::text IS NULL OR tenant = %(t)s"
    params = {"t": tenant, "limit": limit, "offset": offset}
    (total,) = conn.execute(f"SELECT count(*) FROM fleet.devices {where}", params).fetchone() or (0,)
    with conn.cursor(row_factory=class_row(DevicePublic)) as cur:
        cur.execute(
            f"SELECT {_COLUMNS} FROM fleet.devices {where} "
            "ORDER BY tenant, device_key LIMIT %(limit)s OFFSET %(offset)s",
            params,
        )
        return cur.fetchall(), int(total)


def list_devices(conn: psycopg.Connection, *, tenant: str | None = None) -> list[DevicePublic]:
    with conn.cursor(row_factory=class_row(DevicePublic)) as cur:
        cur.execute(
            f"SELECT {_COLUMNS} FROM fleet.devices WHERE %(t)s::text IS NULL OR tenant = %(t)s "
            "ORDER BY tenant, device_key",
            {"t": tenant},
        )
        return cur.fetchall()


def lookup_ids(conn: psycopg.Connection, *, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Registry ids of the (tenant, device_key) pairs that are registered."""
    if not keys:
        return {}
    tenants, device_keys = zip(*keys, strict=True)
    rows = conn.execute(
        """
        SELECT d.tenant, d.device_key, d.id
        FROM fleet.devices d
        JOIN unnest(%s::text[], %s::text[]) AS k(tenant, device_key) USING (tenant, device_key)
        """,
        (list(tenants), list(device_keys)),
    ).fetchall()
    return {(t, k): int(i) for t, k, i in rows}


def record_status(conn: psycopg.Connection, *, tenant: str, device_key: str, state: str, at: datetime) -> bool:
    """Apply a birth/goodbye/last-will message; older news than the registry has is ignored."""
    row = conn.execute(
        "SELECT status_changed_at FROM fleet.devices WHERE tenant = %s AND device_key = %s FOR UPDATE",
        (tenant, device_key),
    ).fetchone()
    if row is None:
        raise NotFound(f"device {tenant}/{device_key} is not registered")
    if not status_applies(row[0], at):
        return False
    conn.execute(
        "UPDATE fleet.devices SET status = %s, status_changed_at = %s, "
        "last_seen_at = CASE WHEN %s = 'online' THEN GREATEST(last_seen_at, %s) ELSE last_seen_at END "
        "WHERE tenant = %s AND device_key = %s",
        (state, at, state, at, tenant, device_key),
    )
    return True


def touch_last_seen(conn: psycopg.Connection, *, device_ids: list[int], at: datetime) -> None:
    """A device that just sent telemetry is online and was last seen `at` (rows touched at most every 5 s).

    Rows another transaction holds are skipped, not waited for: that is another ingestor touching the same devices
    (shared subscriptions split one device's messages between ingestors), and it sets the same thing.  Waiting,
    two ingestors locking overlapping devices in the join's order deadlocked (5 times in an hour of the soak, each
    a batch written again); the ORDER BY of the ids did not decide the order the UPDATE locked them in."""
    if not device_ids:
        return
    conn.execute(
        """
        WITH due AS (
            SELECT d.id FROM fleet.devices d
            WHERE d.id = ANY(%(ids)s::int[])
              AND (d.last_seen_at IS NULL OR d.last_seen_at < %(at)s - interval '5 seconds')
            ORDER BY d.id
            FOR NO KEY UPDATE SKIP LOCKED
        )
        UPDATE fleet.devices d SET
            last_seen_at = %(at)s,
            status = CASE WHEN d.status_changed_at IS NULL OR d.status_changed_at < %(at)s
                          THEN 'online' ELSE d.status END,
            status_changed_at = CASE WHEN d.status <> 'online'
                                      AND (d.status_changed_at IS NULL OR d.status_changed_at < %(at)s)
                                     THEN %(at)s ELSE d.status_changed_at END
        FROM due
        WHERE d.id = due.id
        """,
        {"ids": sorted(set(device_ids)), "at": at},
    )
