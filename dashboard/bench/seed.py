"""The dashboard benchmark's database: a fleet of assets (the API benchmark's accounts, sites, assets and work
orders), devices with newest values, health scores and open conditions, all set-based; and one asset with a long
history of 1 Hz telemetry (see `dashboard.bench.telemetry`)."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg

from dashboard.bench.telemetry import METRICS, write_history
from service_core.api.bench.seed import SeedSize, seed

log = logging.getLogger(__name__)

TENANT = "bench"
AUDITED = ("assets.assets", "detection.conditions")


@dataclass(frozen=True, slots=True)
class FleetSize:
    assets: int = 10_000
    accounts: int = 1_000
    work_orders_per_asset: int = 5
    telemetry_days: int = 365
    raw_days: int = 2


_FLEET_STATEMENTS = (
    "UPDATE assets.assets SET ownership = 'leased' WHERE id %% 7 = 0",
    "UPDATE assets.assets SET status = 'inactive' WHERE id %% 50 = 0",
    # one device per asset, a second on every third; a tenth are offline, a few never reported
    """INSERT INTO fleet.devices (tenant, device_key, device_type, asset_id, status, status_changed_at, last_seen_at)
       SELECT %(tenant)s, 'dev-' || a.id || '-' || k, coalesce(t.code, 'pump'), a.id,
              CASE WHEN a.id %% 10 = 3 THEN 'offline' WHEN a.id %% 97 = 5 THEN 'unknown' ELSE 'online' END,
              now() - interval '1 hour',
              CASE WHEN a.id %% 97 = 5 THEN NULL ELSE now() - make_interval(secs => a.id %% 3600) END
       FROM assets.assets AS a
       LEFT JOIN assets.asset_types AS t ON t.id = a.asset_type_id
       CROSS JOIN generate_series(1, 2) AS k
       WHERE k = 1 OR a.id %% 3 = 0""",
    """INSERT INTO telemetry.metrics (name) SELECT unnest(%(metrics)s::text[])
       ON CONFLICT (name) DO NOTHING""",
    """INSERT INTO telemetry.latest (device_id, metric_id, ts, value)
       SELECT d.id, m.id, coalesce(d.last_seen_at, now() - interval '1 day'),
              round((10 + ((d.id * 31 + m.id * 7) %% 900) / 10.0)::numeric, 2)::float8
       FROM fleet.devices AS d CROSS JOIN telemetry.metrics AS m
       WHERE d.tenant = %(tenant)s AND m.name = ANY(%(metrics)s)""",
    # a third of the assets scored by detection
    """INSERT INTO detection.asset_health (asset_id, scored_at, health_score, anomaly_score, contributions,
                                          rul_hours, model_version)
       SELECT id, now() - interval '10 minutes', 40 + id %% 61, (id %% 40) / 10.0,
              '[{"signal": "vibration", "share": 0.6}, {"signal": "temperature", "share": 0.4}]',
              CASE WHEN id %% 2 = 0 THEN 200 + id %% 5000 END, 'bench-1'
       FROM assets.assets WHERE id %% 3 = 1""",
    # open conditions on one asset in twenty (two on one in sixty)
    """INSERT INTO detection.conditions (asset_id, failure_mode, category, severity, status, onset_at, raised_at,
                                        last_evidence_at, peak_score, evidence)
       SELECT a.id, f.mode, f.category, (ARRAY['warning', 'major', 'critical'])[1 + (a.id / 20) %% 3],
              (ARRAY['raised', 'acknowledged'])[1 + a.id %% 2], now() - interval '3 hours',
              now() - interval '2 hours', now() - interval '5 minutes', 3.5, '{"bench": true}'
       FROM assets.assets AS a
       CROSS JOIN (VALUES ('bearing_wear', 'equipment', 0), ('stuck_sensor', 'sensor', 1)) AS f (mode, category, k)
       WHERE a.id %% 20 = 0 AND (f.k = 0 OR a.id %% 60 = 0)""",
)


def seed_dashboard(url: str, size: FleetSize, *, now: datetime | None = None) -> dict[str, Any]:
    """Fill an empty, migrated database; returns what was stored (counts, the telemetry asset, seconds taken)."""
    started = time.perf_counter()
    fleet = seed(
        url,
        SeedSize(
            accounts=size.accounts,
            assets=size.assets,
            work_orders=max(1000, size.assets * size.work_orders_per_asset),
            invoices=0,
        ),
    )
    params = {"tenant": TENANT, "metrics": list(METRICS)}
    with psycopg.connect(url) as conn:
        for table in AUDITED:
            conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER audit_changes")
        for statement in _FLEET_STATEMENTS:
            conn.execute(statement, params)
        for table in AUDITED:
            conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER audit_changes")
    fleet_seconds = time.perf_counter() - started
    telemetry_asset, device_id, metric_ids = _telemetry_target(url)
    with psycopg.connect(url, options="-c TimeZone=UTC") as conn:
        stored = write_history(
            conn,
            device_id=device_id,
            metric_ids=metric_ids,
            end=now or datetime.now(UTC),
            days=size.telemetry_days,
            raw_days=size.raw_days,
        )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        counts = {table: _count(conn, table) for table in ("fleet.devices", "detection.conditions")}
    return {
        **{k: int(v) for k, v in fleet.items() if k != "seed_seconds"},
        "devices": counts["fleet.devices"],
        "open_conditions": counts["detection.conditions"],
        "telemetry_asset_id": telemetry_asset,
        "telemetry_device_id": device_id,
        "telemetry": {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(stored).items()},
        "fleet_seed_seconds": round(fleet_seconds, 1),
        "seed_seconds": round(time.perf_counter() - started, 1),
    }


def _telemetry_target(url: str) -> tuple[int, int, list[int]]:
    """The asset that gets the long history (the first by name, the asset page's default), its first device and
    the metric ids in METRICS order."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            """
            SELECT a.id, min(d.id) FROM assets.assets AS a JOIN fleet.devices AS d ON d.asset_id = a.id
            WHERE d.tenant = %s GROUP BY a.id, a.name ORDER BY lower(a.name), a.id LIMIT 1
            """,
            (TENANT,),
        ).fetchone()
        assert row is not None, "the fleet has no device"
        rows = conn.execute("SELECT name, id FROM telemetry.metrics WHERE name = ANY(%s)", (list(METRICS),))
        ids: dict[str, int] = {str(name): int(metric_id) for name, metric_id in rows}
    return int(row[0]), int(row[1]), [int(ids[name]) for name in METRICS]


def _count(conn: psycopg.Connection, table: str) -> int:
    row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0
