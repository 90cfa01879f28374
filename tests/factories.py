"""Test data builders."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from ingest.pipeline import InboundMessage, Limits, triage
from ingest.writer import TelemetryWriter, WriteResult
from service_core.devices import service as devices
from service_core.devices.schemas import DeviceCreate, DevicePublic


def register_devices(url: str, tenant: str, keys: list[str], device_type: str = "pump") -> list[DevicePublic]:
    with psycopg.connect(url) as conn:
        return devices.register_many(
            conn, devices_in=[DeviceCreate(tenant=tenant, device_key=k, device_type=device_type) for k in keys]
        )


def telemetry_payload(ts: datetime, **metrics: float) -> bytes:
    return json.dumps({"ts": ts.isoformat(), "metrics": metrics}).encode()


def batch_payload(groups: list[tuple[datetime, dict[str, float]]]) -> bytes:
    return json.dumps({"readings": [{"ts": ts.isoformat(), "metrics": m} for ts, m in groups]}).encode()


def recent(seconds_ago: float = 0.0) -> datetime:
    return datetime.now(UTC) - timedelta(seconds=seconds_ago)


def scalar(url: str, query: str, params: tuple[object, ...] = ()) -> object:
    with psycopg.connect(url) as conn:
        row = conn.execute(query, params).fetchone()
    return None if row is None else row[0]


def rows(url: str, query: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchall()


TEST_LIMITS = Limits(max_payload_bytes=65536, future_skew=timedelta(minutes=5), retention=timedelta(days=30))


def store(url: str, messages: list[InboundMessage], *, limits: Limits = TEST_LIMITS) -> WriteResult:
    """Triage `messages` and write them with the real ingest writer, in one transaction, as the ingestor does."""
    writer = TelemetryWriter(url)
    try:
        return writer.write(triage(messages, now=datetime.now(UTC), limits=limits))
    finally:
        writer.close()


def insert_asset(conn: psycopg.Connection, *, asset_id: int | None = None, name: str = "Pump 1") -> int:
    """An account and one customer-owned asset on it (with `asset_id` when given); returns the asset id."""
    row = conn.execute(
        "INSERT INTO crm.accounts (number, name) VALUES ('ACC-' || substr(md5(random()::text), 1, 10), 'Test account')"
        " RETURNING id"
    ).fetchone()
    assert row is not None
    if asset_id is None:
        asset = conn.execute(
            "INSERT INTO assets.assets (account_id, name) VALUES (%s, %s) RETURNING id", (row[0], name)
        ).fetchone()
    else:
        asset = conn.execute(
            "INSERT INTO assets.assets (id, account_id, name) OVERRIDING SYSTEM VALUE VALUES (%s, %s, %s) RETURNING id",
            (asset_id, row[0], name),
        ).fetchone()
    assert asset is not None
    return int(asset[0])


def sample_fleet(url: str, tenant: str) -> dict[str, Any]:
    """Two pumps (p1 on asset 77) and a chiller, one reading a minute for the last two whole hours, stored by the
    real writer in reversed arrival order."""
    pumps = register_devices(url, tenant, ["p1", "p2"], "pump")
    chillers = register_devices(url, tenant, ["c1"], "chiller")
    with psycopg.connect(url) as conn:
        insert_asset(conn, asset_id=77)
        conn.execute("UPDATE fleet.devices SET asset_id = 77 WHERE id = %s", (pumps[0].id,))
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    msgs = []
    for i in range(120):
        ts = start + timedelta(minutes=i)
        msgs.append(InboundMessage(f"assetpulse/{tenant}/p1/telemetry", telemetry_payload(ts, temp=10.0, flow=i)))
        msgs.append(InboundMessage(f"assetpulse/{tenant}/p2/telemetry", telemetry_payload(ts, temp=20.0)))
        msgs.append(InboundMessage(f"assetpulse/{tenant}/c1/telemetry", telemetry_payload(ts, temp=5.0)))
    store(url, msgs[::-1])
    return {"pumps": pumps, "chillers": chillers, "start": start}
