"""What the soak finds in its database afterwards: readings stored (by their idempotent key), and the work orders
the detector opened on the live fleet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg


@dataclass(frozen=True, slots=True)
class StoredCounts:
    readings: int  # distinct (device, timestamp): one reading group, as a device sends it
    metric_values: int  # rows of telemetry.readings: one per (device, metric, timestamp), the primary key
    rollup_values: int  # sum of telemetry.rollup_1m.n over the same rows: must equal metric_values
    quarantined: int
    dead_letters: int


def metric_values_since(url: str, device_ids: list[int], since: datetime) -> int:
    """A cheap progress figure while draining (the per-minute rollups the writer maintains with every commit)."""
    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT coalesce(sum(n), 0) FROM telemetry.rollup_1m WHERE device_id = ANY(%s) AND bucket >= %s",
            (device_ids, _minute(since)),
        ).fetchone()
    return int(row[0]) if row else 0


def stored_counts(url: str, device_ids: list[int], since: datetime) -> StoredCounts:
    with psycopg.connect(url) as conn:
        conn.execute("SET statement_timeout = '300s'")
        row = conn.execute(
            """
            SELECT count(*), count(DISTINCT (device_id, ts)) FROM telemetry.readings
            WHERE device_id = ANY(%s) AND ts >= %s
            """,
            (device_ids, since),
        ).fetchone()
        values, readings = (int(row[0]), int(row[1])) if row else (0, 0)
        rollup = conn.execute(
            "SELECT coalesce(sum(n), 0) FROM telemetry.rollup_1m WHERE device_id = ANY(%s) AND bucket >= %s",
            (device_ids, _minute(since)),
        ).fetchone()
        quarantined = conn.execute("SELECT count(*) FROM ingest.quarantine").fetchone()
        dead = conn.execute("SELECT count(*) FROM ingest.dead_letters").fetchone()
    return StoredCounts(
        readings=readings,
        metric_values=values,
        rollup_values=int(rollup[0]) if rollup else 0,
        quarantined=int(quarantined[0]) if quarantined else 0,
        dead_letters=int(dead[0]) if dead else 0,
    )


def detector_work_orders(url: str, asset_keys: dict[int, str]) -> list[dict[str, object]]:
    """Work orders opened from a detector condition on the live fleet: device, failure mode, the reading time that
    raised the condition, when the work order was created."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            """
            SELECT c.asset_id, c.failure_mode, c.raised_at, w.created_at FROM detection.conditions c
            JOIN work.work_orders w ON w.condition_id = c.id
            WHERE c.asset_id = ANY(%s) ORDER BY c.raised_at
            """,
            (list(asset_keys),),
        ).fetchall()
    return [
        {"device_key": asset_keys[int(a)], "failure_mode": str(m), "raised_at": r, "created_at": w}
        for a, m, r, w in rows
    ]


def _minute(moment: datetime) -> datetime:
    """The minute bucket holding `moment` (the commissioning history, if any, ends minutes before the run)."""
    return moment.replace(second=0, microsecond=0)
