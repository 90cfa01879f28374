"""The telemetry queries the platform makes: latest values, a window of one device, fleet roll-ups.

The same SQL serves native PostgreSQL and TimescaleDB, since both expose `telemetry.readings`,
`telemetry.latest`, `telemetry.rollup_1m` and `telemetry.rollup_1h` with the same columns.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg
from psycopg.rows import class_row

from service_core.exceptions import InvalidInput
from service_core.telemetry.buckets import BUCKET_ORIGIN, check_range, merged_width
from service_core.telemetry.schemas import FleetPoint, LatestValue, Point, Resolution

_ROLLUP = {"1m": "telemetry.rollup_1m", "1h": "telemetry.rollup_1h"}


def latest(
    conn: psycopg.Connection, *, device_ids: list[int] | None = None, asset_id: int | None = None
) -> list[LatestValue]:
    """The newest value (by event time) of every metric of the given devices, or of the asset's devices."""
    if device_ids is None and asset_id is None:
        raise InvalidInput("give device ids or an asset id")
    with conn.cursor(row_factory=class_row(LatestValue)) as cur:
        cur.execute(
            """
            SELECT l.device_id, d.device_key, m.name AS metric, l.ts, l.value
            FROM telemetry.latest l
            JOIN fleet.devices d ON d.id = l.device_id
            JOIN telemetry.metrics m ON m.id = l.metric_id
            WHERE (%(ids)s::int[] IS NULL OR l.device_id = ANY(%(ids)s))
              AND (%(asset)s::bigint IS NULL OR d.asset_id = %(asset)s)
            ORDER BY d.device_key, m.name
            """,
            {"ids": device_ids, "asset": asset_id},
        )
        return cur.fetchall()


def window(
    conn: psycopg.Connection,
    *,
    device_id: int,
    start: datetime,
    end: datetime,
    metrics: list[str] | None = None,
    resolution: Resolution = "raw",
    max_points: int | None = None,
) -> list[Point]:
    """One device's metrics over [start, end), raw or from a roll-up; with `max_points`, neighbouring buckets merged
    (exactly) into wider ones so that no metric has more than that many points."""
    check_range(start, end)
    width = merged_width(end - start, resolution, max_points)
    if width is not None:
        return _merged_window(conn, device_id, start, end, metrics, resolution, width)
    if resolution == "raw":
        sql = """
            SELECT m.name AS metric, r.ts, 1 AS n, r.value AS mean, r.value AS min, r.value AS max
            FROM telemetry.readings r JOIN telemetry.metrics m ON m.id = r.metric_id
            WHERE r.device_id = %(device)s AND r.ts >= %(start)s AND r.ts < %(end)s
              AND (%(metrics)s::text[] IS NULL OR m.name = ANY(%(metrics)s))
            ORDER BY m.name, r.ts
        """
    else:
        sql = f"""
            SELECT m.name AS metric, r.bucket AS ts, r.n, r.sum_value / r.n AS mean, r.min_value AS min,
                   r.max_value AS max
            FROM {_ROLLUP[resolution]} r JOIN telemetry.metrics m ON m.id = r.metric_id
            WHERE r.device_id = %(device)s AND r.bucket >= %(start)s AND r.bucket < %(end)s
              AND (%(metrics)s::text[] IS NULL OR m.name = ANY(%(metrics)s))
            ORDER BY m.name, r.bucket
        """
    with conn.cursor(row_factory=class_row(Point)) as cur:
        cur.execute(sql, {"device": device_id, "start": start, "end": end, "metrics": metrics})
        return cur.fetchall()


def _merged_window(  # noqa: PLR0917 - the window's parts, private
    conn: psycopg.Connection,
    device_id: int,
    start: datetime,
    end: datetime,
    metrics: list[str] | None,
    resolution: Resolution,
    width: timedelta,
) -> list[Point]:
    """The window in buckets of `width` (aligned to UTC midnight): counts add, means weighted, extremes kept."""
    if resolution == "raw":
        source, ts, n, total, low, high = "telemetry.readings", "r.ts", "1", "r.value", "r.value", "r.value"
    else:
        source, ts, n, total = _ROLLUP[resolution], "r.bucket", "r.n", "r.sum_value"
        low, high = "r.min_value", "r.max_value"
    sql = f"""
        SELECT m.name AS metric, date_bin(%(width)s, {ts}, %(origin)s) AS ts, sum({n})::bigint AS n,
               sum({total}) / sum({n}) AS mean, min({low}) AS min, max({high}) AS max
        FROM {source} r JOIN telemetry.metrics m ON m.id = r.metric_id
        WHERE r.device_id = %(device)s AND {ts} >= %(start)s AND {ts} < %(end)s
          AND (%(metrics)s::text[] IS NULL OR m.name = ANY(%(metrics)s))
        GROUP BY 1, 2
        ORDER BY 1, 2
    """
    params = {"device": device_id, "start": start, "end": end, "metrics": metrics, "width": width,
              "origin": BUCKET_ORIGIN}  # fmt: skip
    with conn.cursor(row_factory=class_row(Point)) as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def fleet_rollup(
    conn: psycopg.Connection,
    *,
    tenant: str,
    metric: str,
    start: datetime,
    end: datetime,
    resolution: Resolution = "1h",
) -> list[FleetPoint]:
    """A metric across a tenant's fleet, per bucket and device type: mean, extremes and spread."""
    check_range(start, end)
    if resolution == "raw":
        raise InvalidInput("fleet roll-ups come from the 1m or 1h roll-ups, not raw readings")
    with conn.cursor(row_factory=class_row(FleetPoint)) as cur:
        cur.execute(
            f"""
            SELECT r.bucket, d.device_type, count(DISTINCT r.device_id)::int AS devices, sum(r.n)::bigint AS n,
                   sum(r.sum_value) / sum(r.n) AS mean, min(r.min_value) AS min, max(r.max_value) AS max,
                   CASE WHEN sum(r.n) > 1 THEN sqrt(greatest(
                       (sum(r.sum_sq) - sum(r.sum_value) ^ 2 / sum(r.n)) / (sum(r.n) - 1), 0)) END AS stddev
            FROM {_ROLLUP[resolution]} r
            JOIN fleet.devices d ON d.id = r.device_id
            JOIN telemetry.metrics m ON m.id = r.metric_id
            WHERE d.tenant = %(tenant)s AND m.name = %(metric)s AND r.bucket >= %(start)s AND r.bucket < %(end)s
            GROUP BY r.bucket, d.device_type
            ORDER BY r.bucket, d.device_type
            """,
            {"tenant": tenant, "metric": metric, "start": start, "end": end},
        )
        return cur.fetchall()
