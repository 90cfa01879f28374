"""The live remaining-useful-life estimate of an asset: its device's run since the last failure (the completion of
its last repair work order, see `detection.rul_history`), as hourly means of the running rows, scored by the asset
type's active RUL model (learned from the platform's own runs to failure) and written, hours with the model's
band, to the asset's health record (`detection.asset_health`, read by GET /conditions/health/{asset_id})."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import psycopg

from detection.rul import Engine, RulModel
from detection.rul_history import HOUR, RUL_KIND

MAX_RUN_HOURS = 24 * 90  # the run looked at: at most this long before now (a model never saw longer runs)


@dataclass(frozen=True, slots=True)
class RulEstimate:
    hours: float
    low_hours: float
    high_hours: float
    run_hours: int  # hours of the run since the last failure that the estimate rests on
    model_version: str


def run_since_failure(
    conn: psycopg.Connection, *, device_id: int, asset_id: int, signals: list[str], until: datetime
) -> Engine | None:
    """The device's hourly means of `signals` over its running rows since the last completed repair of its asset
    (at most `MAX_RUN_HOURS`), numbered in hours from the run's first hour like the training runs; None without
    any running hour."""
    rows = conn.execute(
        """
        WITH since AS (
            SELECT greatest(
                coalesce((SELECT max(completed_at) FROM work.work_orders
                          WHERE asset_id = %(a)s AND work_type = 'repair' AND completed_at <= %(u)s), '-infinity'),
                %(u)s - make_interval(hours => %(h)s)) AS ts
        ),
        stopped AS (
            SELECT r.ts FROM telemetry.readings r JOIN telemetry.metrics m ON m.id = r.metric_id
            WHERE r.device_id = %(d)s AND m.name = 'running' AND r.value < 0.5
              AND r.ts > (SELECT ts FROM since) AND r.ts <= %(u)s
        )
        SELECT floor(extract(epoch FROM r.ts) / 3600) AS hour, m.name, avg(r.value)
        FROM telemetry.readings r JOIN telemetry.metrics m ON m.id = r.metric_id
        WHERE r.device_id = %(d)s AND m.name = ANY(%(s)s) AND r.ts > (SELECT ts FROM since) AND r.ts <= %(u)s
          AND r.ts NOT IN (SELECT ts FROM stopped)
        GROUP BY 1, 2 ORDER BY 1
        """,
        {"a": asset_id, "d": device_id, "u": until, "h": MAX_RUN_HOURS, "s": signals},
    ).fetchall()
    if not rows:
        return None
    hours = sorted({float(h) for h, _, _ in rows})
    index = {h: i for i, h in enumerate(hours)}
    column = {s: j for j, s in enumerate(signals)}
    means = np.full((len(hours), len(signals)), np.nan)
    for hour, name, value in rows:
        means[index[float(hour)], column[str(name)]] = float(value)
    cycles = np.array(hours) - hours[0] + 1
    return Engine(device_id, cycles, np.nan_to_num(means))


def estimate(
    conn: psycopg.Connection, *, device_id: int, asset_id: int, model: RulModel, signals: list[str], label: str,
    until: datetime,
) -> RulEstimate | None:  # fmt: skip
    """The RUL of the asset at `until` by `model` (hours, with its band), or None without a run to score."""
    run = run_since_failure(conn, device_id=device_id, asset_id=asset_id, signals=signals, until=until)
    if run is None:
        return None
    point, low, high = model.predict_last([run])
    return RulEstimate(round(float(point[0]), 2), round(float(low[0]), 2), round(float(high[0]), 2), len(run.cycles),
                       label)  # fmt: skip


def write(conn: psycopg.Connection, *, asset_id: int, rul: RulEstimate) -> bool:
    """Put the estimate on the asset's health record (made by the detector's scoring); False when it has none."""
    updated = conn.execute(
        "UPDATE detection.asset_health SET rul_hours = %s, rul_low_hours = %s, rul_high_hours = %s WHERE asset_id = %s",
        (rul.hours, rul.low_hours, rul.high_hours, asset_id),
    )
    return updated.rowcount == 1


def load_models(conn: psycopg.Connection) -> dict[str, tuple[str, RulModel, list[str]]]:
    """The active RUL model per asset type: (label, model, signals)."""
    from detection import store

    out = {}
    for record in store.list_versions(conn):
        if record.kind == RUL_KIND and record.is_active:
            found = store.load_active(conn, asset_type=record.asset_type, kind=RUL_KIND)
            if found is not None:
                out[record.asset_type] = (found[0].label, found[1], list(found[0].parameters.get("signals", [])))
    return out


def due(last: float | None, newest: float) -> bool:
    """Once per hour of device time: the model's features are hourly."""
    return last is None or newest - last >= HOUR
