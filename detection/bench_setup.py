"""The detection benchmark's fleet in its scratch database: devices registered and linked to assets (one asset
per device), and simulated history (training units, a healthy fleet) written fast with the ingest writer."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg

from detection.simdata import simulate
from ingest.payloads import Topic
from ingest.pipeline import DeviceTelemetry, Triage
from ingest.writer import TelemetryWriter
from simulators import registry
from simulators.devices import DeviceSpec
from simulators.signals import ASSET_TYPES

log = logging.getLogger(__name__)

CHUNK = 2000


@dataclass(frozen=True, slots=True)
class Unit:
    spec: DeviceSpec
    device_id: int
    asset_id: int


def units_of(prefix: str, per_type: int) -> list[DeviceSpec]:
    return [DeviceSpec(f"{prefix}-{t}-{n:03d}", t, n) for t in ASSET_TYPES for n in range(1, per_type + 1)]


def register_with_assets(url: str, *, tenant: str, specs: Sequence[DeviceSpec]) -> dict[str, Unit]:
    """Register the devices and give each an asset of its type on one bench account."""
    registry.register_devices(url, tenant=tenant, devices=[(s.key, s.asset_type) for s in specs], source="bench")
    out = {}
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "INSERT INTO crm.accounts (number, name) VALUES ('BENCH-' || substr(md5(random()::text), 1, 8), "
            "'Detection bench') RETURNING id"
        ).fetchone()
        assert row is not None
        for spec in specs:
            conn.execute(
                "INSERT INTO assets.asset_types (code, name) VALUES (%s, %s) ON CONFLICT (code) DO NOTHING",
                (spec.asset_type, spec.asset_type.capitalize()),
            )
            asset = conn.execute(
                "INSERT INTO assets.assets (account_id, name, asset_type_id) "
                "SELECT %s, %s, id FROM assets.asset_types WHERE code = %s RETURNING id",
                (row[0], spec.key, spec.asset_type),
            ).fetchone()
            device = conn.execute(
                "UPDATE fleet.devices SET asset_id = %s WHERE tenant = %s AND device_key = %s RETURNING id",
                (asset[0] if asset else None, tenant, spec.key),
            ).fetchone()
            assert asset is not None and device is not None
            out[spec.key] = Unit(spec, int(device[0]), int(asset[0]))
    return out


def write_history(
    url: str, *, tenant: str, specs: Sequence[DeviceSpec], seed: int, start: datetime, interval_s: float, samples: int
) -> int:
    """Simulate `samples` healthy readings per device from `start` and store them; returns readings stored."""
    writer = TelemetryWriter(url, application="assetpulse-bench-detect-history")
    stored = 0
    try:
        for spec in specs:
            groups = simulate(spec, [], seed=seed, start=start, interval_s=interval_s, samples=samples)
            topic = Topic(tenant, spec.key, "telemetry")
            for i in range(0, len(groups), CHUNK):
                batch = Triage(telemetry=[DeviceTelemetry(topic, tuple(groups[i : i + CHUNK]))])
                stored += writer.write(batch).stored
    finally:
        writer.close()
    log.info("stored %d simulated readings of %d devices", stored, len(specs))
    return stored


def write_commissioning(
    url: str, *, tenant: str, specs: Sequence[DeviceSpec], seed: int, before: datetime, interval_s: float,
    run_s: float, seconds: float,
) -> int:  # fmt: skip
    """Healthy history of the live units over the `seconds` before `before` (their own baseline is learned from
    it): the same units (same seed and identity, so the same nameplate spread and site), with random draws the live
    run of `run_s` never uses (the simulation is run `run_s` longer and only its tail is kept)."""
    writer = TelemetryWriter(url, application="assetpulse-bench-detect-commissioning")
    stored = 0
    start = before - timedelta(seconds=run_s + seconds)
    try:
        for spec in specs:
            groups = simulate(spec, [], seed=seed, start=start, interval_s=interval_s,
                              samples=int((run_s + seconds) / interval_s))  # fmt: skip
            kept = tuple(g for g in groups if g.ts >= before - timedelta(seconds=seconds) and g.ts < before)
            batch = Triage(telemetry=[DeviceTelemetry(Topic(tenant, spec.key, "telemetry"), kept)])
            stored += writer.write(batch).stored
    finally:
        writer.close()
    return stored
