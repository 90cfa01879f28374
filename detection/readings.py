"""Reading the telemetry the detector scores: the devices it watches, new reading groups since a high-water mark
and the context rows just before it (so windows continue across polls and restarts)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import psycopg

from detection.features import Frame, frame_from_columns


@dataclass(frozen=True, slots=True)
class Watched:
    device_id: int
    asset_id: int
    asset_type: str


def watched_devices(conn: psycopg.Connection, *, asset_types: list[str]) -> list[Watched]:
    """Devices linked to an asset whose type has an active model."""
    rows = conn.execute(
        "SELECT id, asset_id, device_type FROM fleet.devices WHERE asset_id IS NOT NULL AND device_type = ANY(%s) "
        "ORDER BY id",
        (asset_types,),
    ).fetchall()
    return [Watched(int(d), int(a), str(t)) for d, a, t in rows]


def new_readings(
    conn: psycopg.Connection, *, marks: dict[int, datetime], limit: int
) -> dict[int, list[tuple[datetime, str, float]]]:
    """(ts, metric, value) per device, after each device's mark, oldest first; about `limit` rows at most (whole
    timestamps only, so a reading group is never split across polls)."""
    if not marks:
        return {}
    rows = conn.execute(
        """
        WITH h AS (SELECT * FROM unnest(%(d)s::int[], %(t)s::timestamptz[]) AS h(device_id, last_ts)),
        picked AS (
            SELECT r.device_id, r.ts, r.metric_id, r.value FROM h
            JOIN telemetry.readings r ON r.device_id = h.device_id AND r.ts > h.last_ts
            ORDER BY r.ts, r.device_id LIMIT %(limit)s
        ),
        cutoff AS (SELECT max(ts) AS ts, count(*) AS n FROM picked)
        SELECT p.device_id, p.ts, m.name, p.value FROM picked p JOIN telemetry.metrics m ON m.id = p.metric_id
        WHERE (SELECT n FROM cutoff) < %(limit)s OR p.ts < (SELECT ts FROM cutoff)
        ORDER BY p.device_id, p.ts
        """,
        {"d": list(marks), "t": list(marks.values()), "limit": limit},
    ).fetchall()
    out: dict[int, list[tuple[datetime, str, float]]] = defaultdict(list)
    for device_id, ts, name, value in rows:
        out[int(device_id)].append((ts, str(name), float(value)))
    return dict(out)


def context_readings(
    conn: psycopg.Connection, *, device_id: int, until: datetime, groups: int
) -> list[tuple[datetime, str, float]]:
    """The last `groups` reading groups of a device at or before `until` (after a restart)."""
    rows = conn.execute(
        """
        SELECT r.ts, m.name, r.value FROM telemetry.readings r JOIN telemetry.metrics m ON m.id = r.metric_id
        WHERE r.device_id = %(d)s AND r.ts <= %(u)s AND r.ts >= (
            SELECT coalesce(min(ts), %(u)s) FROM (
                SELECT DISTINCT ts FROM telemetry.readings WHERE device_id = %(d)s AND ts <= %(u)s
                ORDER BY ts DESC LIMIT %(g)s) AS recent)
        ORDER BY r.ts
        """,
        {"d": device_id, "u": until, "g": groups},
    ).fetchall()
    return [(ts, str(name), float(value)) for ts, name, value in rows]


def first_reading_at(conn: psycopg.Connection, *, device_id: int) -> datetime | None:
    """When the device's earliest stored reading was taken (None: it has none)."""
    row = conn.execute(  # per metric, the first row of its index range: a probe per partition, not a scan
        """
        SELECT min(f.ts) FROM telemetry.metrics m CROSS JOIN LATERAL (
            SELECT r.ts FROM telemetry.readings r WHERE r.device_id = %s AND r.metric_id = m.id ORDER BY r.ts LIMIT 1
        ) AS f
        """,
        (device_id,),
    ).fetchone()
    return None if row is None or row[0] is None else row[0]


def unit_history(
    conn: psycopg.Connection, *, device_id: int, asset_id: int, seconds: float
) -> list[tuple[datetime, str, float]]:
    """A device's earliest `seconds` (plus ten minutes, so a complete period is seen to be complete) of readings,
    leaving out rows inside a condition of its asset: what its own baseline is learned from."""
    rows = conn.execute(
        """
        WITH first AS (SELECT min(ts) AS ts FROM telemetry.readings WHERE device_id = %(d)s)
        SELECT r.ts, m.name, r.value FROM telemetry.readings r JOIN telemetry.metrics m ON m.id = r.metric_id
        WHERE r.device_id = %(d)s
          AND r.ts <= (SELECT ts FROM first) + make_interval(secs => %(s)s + 600)
          AND NOT EXISTS (SELECT 1 FROM detection.conditions c WHERE c.asset_id = %(a)s AND r.ts >= c.onset_at
                          AND r.ts < coalesce(c.resolved_at, c.cleared_at, 'infinity'))
        ORDER BY r.ts
        """,
        {"d": device_id, "a": asset_id, "s": seconds},
    ).fetchall()
    return [(ts, str(name), float(value)) for ts, name, value in rows]


def to_frame(rows: list[tuple[datetime, str, float]], signals: list[str]) -> Frame:
    """Long rows (ts, metric, value) of one device, in time order, as a frame of `signals`."""
    stamps = sorted({ts for ts, _, _ in rows})
    index = {ts: i for i, ts in enumerate(stamps)}
    names = {*signals, "running"}
    columns = {name: np.full(len(stamps), np.nan) for name in names}
    for ts, name, value in rows:
        if name in names:
            columns[name][index[ts]] = value
    ts_array = np.array([ts.timestamp() for ts in stamps], dtype=np.float64)
    return frame_from_columns(ts_array, columns, signals)
