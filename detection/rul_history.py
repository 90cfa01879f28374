"""Remaining useful life from the product's own history: failure times are the completion times of repair work
orders on each asset; the telemetry before each one (hourly means of the signals) is a run to failure, labelled
with the hours left.  With fewer than `MIN_FAILURES` such runs there is no RUL model: we say so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import psycopg

from detection import store
from detection.features import FloatArray, Frame
from detection.rul import Engine, RulModel

MIN_FAILURES = 3
MIN_HOURS = 24
RUL_KIND = "rul_gbr"
HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class RulOutcome:
    model: store.StoredModel | None
    runs: int
    reason: str


def hourly(frame: Frame) -> tuple[FloatArray, FloatArray]:
    """Hour numbers and the mean of each signal over the running rows of each hour (hours without one left out)."""
    hours = np.floor(frame.ts / HOUR)
    keep = []
    means = []
    for hour in np.unique(hours):
        rows = (hours == hour) & frame.running
        if rows.any():
            keep.append(hour)
            means.append(np.nanmean(frame.values[rows], axis=0))
    if not keep:
        return np.zeros(0), np.zeros((0, frame.width))
    return np.array(keep), np.nan_to_num(np.vstack(means))


def runs_to_failure(frame: Frame, failures: list[datetime], *, unit: int) -> list[Engine]:
    """The device's history cut at each failure (a repair's completion): one run per failure, each starting
    after the previous one, with at least `MIN_HOURS` hours of data."""
    hours, means = hourly(frame)
    engines = []
    previous = -np.inf
    for k, failure in enumerate(sorted(failures)):
        end = failure.timestamp() / HOUR
        rows = (hours > previous) & (hours < end)
        if rows.sum() >= MIN_HOURS:
            cycles = hours[rows] - hours[rows][0] + 1
            engines.append(Engine(unit * 1000 + k, cycles, means[rows]))
        previous = end
    return engines


def failure_times(conn: psycopg.Connection, *, asset_type: str) -> dict[int, list[datetime]]:
    """Completed repair work orders per device of this asset type (by the device's asset)."""
    rows = conn.execute(
        """
        SELECT d.id, w.completed_at FROM fleet.devices d
        JOIN work.work_orders w ON w.asset_id = d.asset_id
        WHERE d.device_type = %s AND w.work_type = 'repair' AND w.completed_at IS NOT NULL
        ORDER BY d.id, w.completed_at
        """,
        (asset_type,),
    ).fetchall()
    out: dict[int, list[datetime]] = {}
    for device_id, completed_at in rows:
        out.setdefault(int(device_id), []).append(completed_at)
    return out


def train_rul_from_history(conn: psycopg.Connection, *, asset_type: str) -> RulOutcome:
    """Fit and store a RUL model from the runs to failure of this asset type, or explain why there is none."""
    from detection.training import history_columns

    failures = failure_times(conn, asset_type=asset_type)
    if not failures:
        return RulOutcome(None, 0, f"no RUL: no completed repair work orders on {asset_type} assets yet")
    start = min(min(times) for times in failures.values())
    end = max(max(times) for times in failures.values())
    history = history_columns(conn, asset_type=asset_type, start=start.replace(year=start.year - 1), end=end,
                              healthy_only=False)  # fmt: skip
    active = store.load_active(conn, asset_type=asset_type, kind="equipment")
    if active is None:
        return RulOutcome(None, 0, f"no RUL: train the {asset_type} equipment model first (it names the signals)")
    from detection.features import frame_from_columns

    signals = active[1].signals
    engines: list[Engine] = []
    for device_id, (ts, columns) in history.items():
        frame = frame_from_columns(ts, columns, signals)
        engines.extend(runs_to_failure(frame, failures.get(device_id, []), unit=device_id))
    if len(engines) < MIN_FAILURES:
        return RulOutcome(None, len(engines), f"no RUL: {len(engines)} runs to failure of {MIN_FAILURES} needed")
    model = RulModel()
    model.fit(engines)
    stored = store.save(conn, asset_type=asset_type, kind=RUL_KIND, model=model,
                        training={"runs": len(engines), "hours": int(sum(len(e.cycles) for e in engines))},
                        parameters={"signals": signals, "unit": "hours"}, metrics={})  # fmt: skip
    return RulOutcome(stored, len(engines), "trained")
