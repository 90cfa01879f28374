"""Test data builders."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import psycopg

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
