"""A year of 1 Hz telemetry for one device, stored as the ingestor would have stored it, without 126 M raw rows.

The 1 Hz signal of every metric is generated in numpy one day at a time; from those very samples come the
1-minute and 1-hour roll-ups (n, sum, min, max, sum of squares per bucket: what `ingest/sql.py` accumulates), and,
for the last `raw_days` only, the raw readings themselves.  Everything goes in by binary COPY.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import psycopg

from ingest.copy_binary import HEADER, ROW, TRAILER, pg_microseconds

DAY_SECONDS = 86_400
# metric -> (base, daily amplitude, yearly drift, noise sd)
METRICS: dict[str, tuple[float, float, float, float]] = {
    "temperature": (65.0, 6.0, 4.0, 0.8),
    "vibration": (2.5, 0.4, 0.6, 0.15),
    "pressure": (4.2, 0.3, 0.2, 0.05),
    "current": (31.0, 5.0, 1.5, 0.6),
}

ROLLUP_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("device_len", ">i4"),
        ("device_id", ">i4"),
        ("metric_len", ">i4"),
        ("metric_id", ">i4"),
        ("bucket_len", ">i4"),
        ("bucket", ">i8"),
        ("n_len", ">i4"),
        ("n", ">i8"),
        ("sum_len", ">i4"),
        ("sum", ">f8"),
        ("min_len", ">i4"),
        ("min", ">f8"),
        ("max_len", ">i4"),
        ("max", ">f8"),
        ("sum_sq_len", ">i4"),
        ("sum_sq", ">f8"),
    ]
)
_ROLLUP_COLUMNS = "(device_id, metric_id, bucket, n, sum_value, min_value, max_value, sum_sq)"


@dataclass(frozen=True, slots=True)
class Aggregates:
    """Per metric (rows) and bucket (columns)."""

    n: np.ndarray
    total: np.ndarray
    low: np.ndarray
    high: np.ndarray
    squares: np.ndarray


@dataclass(frozen=True, slots=True)
class TelemetryStored:
    start: datetime
    end: datetime
    raw_days: int
    raw_rows: int
    rollup_1m_rows: int
    rollup_1h_rows: int
    samples: int


def signal(seconds: np.ndarray, *, chunk: int, seed: int = 11) -> np.ndarray:
    """The 1 Hz values of every metric (one row per metric in METRICS order) at `seconds` since the start."""
    rng = np.random.default_rng([seed, chunk])
    day = 2 * np.pi * seconds / DAY_SECONDS
    year = seconds / (365 * DAY_SECONDS)
    rows = [
        base + amp * np.sin(day + i) + drift * year + noise * rng.standard_normal(seconds.size)
        for i, (base, amp, drift, noise) in enumerate(METRICS.values())
    ]
    return np.vstack(rows)


def aggregate(values: np.ndarray, width: int) -> Aggregates:
    """n, sum, min, max and sum of squares of consecutive buckets of `width` samples (the last may be shorter)."""
    starts = np.arange(0, values.shape[1], width)
    n = np.diff(np.append(starts, values.shape[1]))
    return Aggregates(
        n=np.broadcast_to(n, (values.shape[0], n.size)),
        total=np.add.reduceat(values, starts, axis=1),
        low=np.minimum.reduceat(values, starts, axis=1),
        high=np.maximum.reduceat(values, starts, axis=1),
        squares=np.add.reduceat(values * values, starts, axis=1),
    )


def merge_minutes(minutes: Aggregates, per_hour: int = 60) -> Aggregates:
    """Hourly aggregates from minute aggregates (sums add, extremes of extremes): what 1 h buckets hold."""
    starts = np.arange(0, minutes.n.shape[1], per_hour)
    return Aggregates(
        n=np.add.reduceat(minutes.n, starts, axis=1),
        total=np.add.reduceat(minutes.total, starts, axis=1),
        low=np.minimum.reduceat(minutes.low, starts, axis=1),
        high=np.maximum.reduceat(minutes.high, starts, axis=1),
        squares=np.add.reduceat(minutes.squares, starts, axis=1),
    )


def rollup_rows(device_id: int, metric_ids: list[int], first_bucket_us: int, step_us: int, agg: Aggregates) -> bytes:
    """Binary COPY rows (without header) of one roll-up table for these buckets."""
    metrics, buckets = agg.total.shape
    rows = np.empty(metrics * buckets, dtype=ROLLUP_ROW)
    rows["fields"] = 8
    for name in ("device_len", "metric_len"):
        rows[name] = 4
    for name in ("bucket_len", "n_len", "sum_len", "min_len", "max_len", "sum_sq_len"):
        rows[name] = 8
    rows["device_id"] = device_id
    rows["metric_id"] = np.repeat(metric_ids, buckets)
    rows["bucket"] = np.tile(first_bucket_us + step_us * np.arange(buckets, dtype=np.int64), metrics)
    rows["n"] = agg.n.ravel()
    rows["sum"] = agg.total.ravel()
    rows["min"] = agg.low.ravel()
    rows["max"] = agg.high.ravel()
    rows["sum_sq"] = agg.squares.ravel()
    return rows.tobytes()


def raw_rows(device_id: int, metric_ids: list[int], first_us: int, values: np.ndarray) -> bytes:
    """Binary COPY rows (without header) of telemetry.readings: one per metric and second."""
    metrics, seconds = values.shape
    rows = np.empty(metrics * seconds, dtype=ROW)
    rows["fields"] = 4
    rows["device_len"] = rows["metric_len"] = 4
    rows["ts_len"] = rows["value_len"] = 8
    rows["device_id"] = device_id
    rows["metric_id"] = np.repeat(metric_ids, seconds)
    rows["ts"] = np.tile(first_us + 1_000_000 * np.arange(seconds, dtype=np.int64), metrics)
    rows["value"] = values.ravel()
    return rows.tobytes()


def _ensure_partitions(conn: psycopg.Connection, first: datetime, last: datetime) -> None:
    day = first.date()
    while day <= last.date():
        conn.execute("SELECT telemetry.ensure_day_partition(%s)", (day,))
        day += timedelta(days=1)


def _copy(cur: psycopg.Cursor[object], table: str, columns: str, chunks: list[bytes]) -> None:
    with cur.copy(f"COPY {table} {columns} FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(HEADER)
        for chunk in chunks:
            copy.write(chunk)
        copy.write(TRAILER)


@dataclass
class _Buffers:
    minutes: list[bytes] = field(default_factory=list)
    hours: list[bytes] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"raw": 0, "1m": 0, "1h": 0})


def _generate(
    device_id: int, metric_ids: list[int], start_us: int, total: int, raw_from: int
) -> tuple[_Buffers, np.ndarray]:
    """The COPY rows of every roll-up bucket and of the raw tail, day by day; and the newest value per metric."""
    out = _Buffers()
    values = np.zeros((len(metric_ids), 1))
    for chunk, first in enumerate(range(0, total, DAY_SECONDS)):
        seconds = np.arange(first, min(first + DAY_SECONDS, total), dtype=np.int64)
        values = signal(seconds.astype(np.float64), chunk=chunk)
        per_minute = aggregate(values, 60)
        per_hour = merge_minutes(per_minute)
        chunk_us = start_us + first * 1_000_000
        out.minutes.append(rollup_rows(device_id, metric_ids, chunk_us, 60_000_000, per_minute))
        out.hours.append(rollup_rows(device_id, metric_ids, chunk_us, 3_600_000_000, per_hour))
        out.counts["1m"] += per_minute.total.size
        out.counts["1h"] += per_hour.total.size
        keep = seconds >= raw_from
        if keep.any():
            first_kept_us = chunk_us + int(np.argmax(keep)) * 1_000_000
            out.raw.append(raw_rows(device_id, metric_ids, first_kept_us, values[:, keep]))
            out.counts["raw"] += int(keep.sum()) * len(metric_ids)
    return out, values[:, -1]


def write_history(
    conn: psycopg.Connection, *, device_id: int, metric_ids: list[int], end: datetime, days: int, raw_days: int
) -> TelemetryStored:
    """`days` of 1 Hz history ending at `end` (to the minute): roll-ups for all of it, raw rows for the last
    `raw_days`, the newest values and the device's last-seen time."""
    end = end.astimezone(UTC).replace(second=0, microsecond=0)
    start = (end - timedelta(days=days)).replace(minute=0)  # whole hours: every 1 h bucket is complete
    total = int((end - start).total_seconds())
    raw_from = max(0, total - raw_days * DAY_SECONDS)
    _ensure_partitions(conn, start + timedelta(seconds=raw_from), end)
    out, newest_values = _generate(device_id, metric_ids, pg_microseconds(start), total, raw_from)
    with conn.cursor() as cur:
        _copy(cur, "telemetry.rollup_1m", _ROLLUP_COLUMNS, out.minutes)
        _copy(cur, "telemetry.rollup_1h", _ROLLUP_COLUMNS, out.hours)
        _copy(cur, "telemetry.readings", "(device_id, metric_id, ts, value)", out.raw)
    conn.execute(
        """
        INSERT INTO telemetry.latest (device_id, metric_id, ts, value)
        SELECT %s, unnest(%s::int[]), %s, unnest(%s::float8[])
        ON CONFLICT (device_id, metric_id) DO UPDATE SET ts = EXCLUDED.ts, value = EXCLUDED.value
        """,
        (device_id, metric_ids, end - timedelta(seconds=1), [float(v) for v in newest_values]),
    )
    conn.execute("UPDATE fleet.devices SET last_seen_at = %s, status = 'online' WHERE id = %s", (end, device_id))
    counts = out.counts
    return TelemetryStored(start, end, raw_days, counts["raw"], counts["1m"], counts["1h"], total * len(metric_ids))
