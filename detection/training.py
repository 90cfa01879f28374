"""Training from the store: healthy history per asset type (periods without open conditions or repair work),
a new model version, and how its scores on recent data compare with the previous version's (drift: PSI and the
two-sample KS statistic of the score ratios).  The stored model's `training` records the history's sampling interval
(`detection.sampling`), which the live detector compares each device's with; a device whose history samples much
faster or slower than most (`sampling.split_by_interval`) is left out, named in `left_out_for_sampling` and in a
warning, so one fast device cannot make the model one for its interval."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import psycopg
from scipy.stats import ks_2samp

from detection import sampling, store
from detection.features import FloatArray, Frame, choose_signals, frame_from_columns
from detection.live import MODEL_KIND, DetectorConfig
from detection.model import DEFAULT_KIND, AssetTypeModel

log = logging.getLogger(__name__)

MIN_ROWS = 500
RECENT = timedelta(days=1)
SAMPLING_TOLERANCE = DetectorConfig().sampling_tolerance  # a device sampling further off is not scored either


@dataclass(frozen=True, slots=True)
class TrainOutcome:
    model: store.StoredModel
    drift: dict[str, Any]


def history_columns(
    conn: psycopg.Connection, *, asset_type: str, start: datetime, end: datetime, healthy_only: bool = True
) -> dict[int, tuple[FloatArray, dict[str, FloatArray]]]:
    """Per device of this asset type: epoch timestamps and metric columns over [start, end); with
    `healthy_only`, rows inside a condition (onset to resolution) or a repair job (created to completed) of the
    device's asset are left out."""
    rows = conn.execute(
        """
        SELECT r.device_id, r.ts, m.name, r.value
        FROM fleet.devices d JOIN telemetry.readings r ON r.device_id = d.id
        JOIN telemetry.metrics m ON m.id = r.metric_id
        WHERE d.device_type = %(t)s AND d.asset_id IS NOT NULL AND r.ts >= %(s)s AND r.ts < %(e)s
          AND (NOT %(healthy)s OR NOT EXISTS (
                SELECT 1 FROM detection.conditions c WHERE c.asset_id = d.asset_id AND r.ts >= c.onset_at
                  AND r.ts < coalesce(c.resolved_at, c.cleared_at, 'infinity'))
              AND NOT EXISTS (
                SELECT 1 FROM work.work_orders w WHERE w.asset_id = d.asset_id AND w.work_type = 'repair'
                  AND r.ts >= w.created_at AND r.ts < coalesce(w.completed_at, 'infinity')))
        ORDER BY r.device_id, r.ts
        """,
        {"t": asset_type, "s": start, "e": end, "healthy": healthy_only},
    ).fetchall()
    grouped: dict[int, list[tuple[datetime, str, float]]] = {}
    for device_id, ts, name, value in rows:
        grouped.setdefault(int(device_id), []).append((ts, str(name), float(value)))
    out = {}
    for device_id, items in grouped.items():
        stamps = sorted({ts for ts, _, _ in items})
        index = {ts: i for i, ts in enumerate(stamps)}
        columns: dict[str, FloatArray] = {}
        for ts, name, value in items:
            columns.setdefault(name, np.full(len(stamps), np.nan))[index[ts]] = value
        out[device_id] = (np.array([ts.timestamp() for ts in stamps]), columns)
    return out


def train(
    conn: psycopg.Connection, *, asset_type: str, kind: str = DEFAULT_KIND, days: float = 14.0,
    now: datetime | None = None,
) -> TrainOutcome:  # fmt: skip
    """Fit a new model version on the last `days` of healthy history, activate it and report drift."""
    end = now or datetime.now(UTC)
    start = end - timedelta(days=days)
    history = history_columns(conn, asset_type=asset_type, start=start, end=end)
    if not history:
        raise ValueError(f"no healthy history of asset type {asset_type!r} between {start:%F} and {end:%F}")
    split = sampling.split_by_interval({d: ts for d, (ts, _) in history.items()}, tolerance=SAMPLING_TOLERANCE)
    if split.left_out:
        log.warning("%s: left out of training %d devices sampling far from the history's %s s: %s", asset_type,
                    len(split.left_out), split.interval_s, _intervals(split.left_out))  # fmt: skip
        history = {d: history[d] for d in split.kept}
    signals = choose_signals([cols for _, cols in history.values()])
    frames = [frame_from_columns(ts, cols, signals) for ts, cols in history.values()]
    rows = int(sum(int(f.running.sum()) for f in frames))
    if rows < MIN_ROWS:
        raise ValueError(f"only {rows} healthy running rows of {asset_type!r}; at least {MIN_ROWS} are needed")
    model = AssetTypeModel(asset_type, kind, signals)
    model.fit(frames)
    drift = _drift(conn, model, frames, asset_type=asset_type, end=end)
    stored = store.save(
        conn, asset_type=asset_type, kind=MODEL_KIND, model=model,
        training={"start": start.isoformat(), "end": end.isoformat(), "rows": rows, "devices": len(frames),
                  "assets": _assets(conn, list(history)),
                  sampling.TRAINING_KEY: split.interval_s,
                  "left_out_for_sampling": {str(d): s for d, s in sorted(split.left_out.items())}},
        parameters={"scorer": kind, "signals": signals, "limit": model.limit},
        metrics={"drift": drift, "training_ratio_p99": float(np.quantile(model.training_ratios, 0.99))},
    )  # fmt: skip
    log.info("trained %s on %d rows of %d devices sampled every %s s; drift %s", stored.label, rows, len(frames),
             stored.training[sampling.TRAINING_KEY], drift)  # fmt: skip
    return TrainOutcome(stored, drift)


def _intervals(left_out: dict[int, float]) -> str:
    return ", ".join(f"device {d} every {s:g} s" for d, s in sorted(left_out.items()))


def _recent(frames: list[Frame], end: datetime) -> list[Frame]:
    cutoff = (end - RECENT).timestamp()
    return [Frame(f.ts[f.ts >= cutoff], f.values[f.ts >= cutoff], f.running[f.ts >= cutoff]) for f in frames]


def _drift(
    conn: psycopg.Connection, model: AssetTypeModel, frames: list[Frame], *, asset_type: str, end: datetime
) -> dict[str, Any]:
    previous = store.load_active(conn, asset_type=asset_type, kind=MODEL_KIND)
    if previous is None:
        return {"previous": None}
    recent = [f for f in _recent(frames, end) if len(f)]
    old = _ratios(previous[1], recent)
    new = _ratios(model, recent)
    if not len(old) or not len(new):
        return {"previous": previous[0].label, "rows": 0}
    return {
        "previous": previous[0].label,
        "rows": len(new),
        "psi": round(psi(old, new), 4),
        "ks": round(float(ks_2samp(old, new).statistic), 4),
        "alarm_share_previous": round(float(np.mean(old > 1.0)), 5),
        "alarm_share_new": round(float(np.mean(new > 1.0)), 5),
    }


def _ratios(model: AssetTypeModel, frames: list[Frame]) -> FloatArray:
    parts = [model.score_window(f).ratio for f in frames]
    values = np.concatenate(parts) if parts else np.zeros(0)
    return np.asarray(values[np.isfinite(values)], dtype=np.float64)


def psi(expected: FloatArray, actual: FloatArray, bins: int = 10) -> float:
    """Population stability index of `actual` against `expected`, on the deciles of `expected`."""
    edges = np.unique(np.quantile(expected, np.linspace(0, 1, bins + 1)))
    edges[0], edges[-1] = -np.inf, np.inf
    e = np.histogram(expected, edges)[0] / len(expected) + 1e-4
    a = np.histogram(actual, edges)[0] / len(actual) + 1e-4
    return float(np.sum((a - e) * np.log(a / e)))


def _assets(conn: psycopg.Connection, device_ids: list[int]) -> list[int]:
    rows = conn.execute("SELECT DISTINCT asset_id FROM fleet.devices WHERE id = ANY(%s)", (device_ids,)).fetchall()
    return sorted(int(r[0]) for r in rows if r[0] is not None)
