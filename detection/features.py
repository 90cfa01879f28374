"""Rows of one asset type, and the healthy-data statistics the live detector compares new rows with (pure numpy).

A row is one reading group of a device (all metrics with the same timestamp); a metric missing from it is NaN.
`running` (1/0) is the duty-cycle state: the multivariate model is fitted on and applied to running rows only,
since a stopped machine has no load-driven physics to check.  Monotonic counters (run hours) are left out.

`SignalModel` holds, per signal: the standardiser, a linear "what the other signals predict" regression (its
residuals drive the per-signal contributions, drift and imputation of missing or distrusted signals), the
residual scale, and the sensor-check calibration (how often the value repeats exactly, how large a normal step
is, how often the metric is present).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.signal import lfilter

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]
STATE_SIGNAL = "running"
TINY = 1e-9
RIDGE = 1e-3


@dataclass(frozen=True, slots=True)
class Frame:
    """One device's rows in time order: `ts` (epoch seconds), values (rows x signals, NaN = missing), running."""

    ts: FloatArray
    values: FloatArray
    running: BoolArray

    def __len__(self) -> int:
        return len(self.ts)

    def tail(self, rows: int) -> Frame:
        return Frame(self.ts[-rows:], self.values[-rows:], self.running[-rows:]) if rows else empty_frame(self.width)

    @property
    def width(self) -> int:
        return int(self.values.shape[1])


def empty_frame(width: int) -> Frame:
    return Frame(np.zeros(0), np.zeros((0, width)), np.zeros(0, dtype=np.bool_))


def concat(first: Frame, second: Frame) -> Frame:
    return Frame(
        np.r_[first.ts, second.ts],
        np.vstack([first.values, second.values]),
        np.r_[first.running, second.running].astype(np.bool_),
    )


def choose_signals(devices: Sequence[dict[str, FloatArray]]) -> list[str]:
    """Signals for the model, from each device's metric columns: every metric but the state signal and those
    that are a monotonic counter on every device (non-decreasing and growing: run hours)."""
    names = sorted({name for columns in devices for name in columns} - {STATE_SIGNAL})
    return [name for name in names if not all(_is_counter(columns.get(name)) for columns in devices)]


def _is_counter(column: FloatArray | None) -> bool:
    if column is None:
        return True
    values = column[~np.isnan(column)]
    steps = np.diff(values)
    return len(values) >= 2 and bool(np.all(steps >= 0)) and float(steps.sum()) > 0


def frame_from_columns(ts: FloatArray, columns: dict[str, FloatArray], signals: Sequence[str]) -> Frame:
    """A frame of `signals` (missing ones all NaN); running when the state signal says so (or absent)."""
    n = len(ts)
    values = np.column_stack([columns.get(s, np.full(n, np.nan)) for s in signals]) if signals else np.zeros((n, 0))
    state = columns.get(STATE_SIGNAL)
    running = np.ones(n, dtype=np.bool_) if state is None else np.nan_to_num(state, nan=1.0) > 0.5
    return Frame(np.asarray(ts, dtype=np.float64), np.asarray(values, dtype=np.float64), running)


@dataclass(slots=True)
class SignalModel:
    """Healthy statistics of one asset type's signals, fitted on its running rows (see the module doc)."""

    signals: list[str]
    mean: FloatArray = field(default_factory=lambda: np.zeros(0))
    scale: FloatArray = field(default_factory=lambda: np.ones(0))
    coef: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))  # coef[:, j] predicts z_j from the others
    residual_scale: FloatArray = field(default_factory=lambda: np.ones(0))
    step_scale: dict[bool, FloatArray] = field(default_factory=dict)  # robust size of a normal step, per state
    repeat_rate: dict[bool, FloatArray] = field(default_factory=dict)  # share of exact repeats, per state
    presence: FloatArray = field(default_factory=lambda: np.ones(0))

    def fit(self, frames: Sequence[Frame]) -> None:
        rows = np.vstack([f.values[f.running] for f in frames])
        filled = np.where(np.isnan(rows), np.nanmean(rows, axis=0), rows)
        self.mean = filled.mean(axis=0)
        self.scale = filled.std(axis=0) + TINY + 1e-6 * np.abs(self.mean)
        z = self.standardise(filled)
        m = z.shape[1]
        self.coef = np.zeros((m, m))
        for j in range(m):
            others = [k for k in range(m) if k != j]
            a = z[:, others]
            self.coef[others, j] = np.linalg.solve(a.T @ a + RIDGE * len(z) * np.eye(m - 1), a.T @ z[:, j])
        self.residual_scale = (z - z @ self.coef).std(axis=0) + 1e-3
        every = np.vstack([f.values for f in frames])
        self.presence = 1.0 - np.isnan(every).mean(axis=0)
        for state in (True, False):
            steps = [np.diff(f.values[f.running == state], axis=0) for f in frames]
            diffs = np.vstack([s for s in steps if len(s)]) if any(len(s) for s in steps) else np.zeros((0, m))
            self.step_scale[state] = _robust_scale(diffs)
            self.repeat_rate[state] = (np.abs(diffs) < TINY).mean(axis=0) if len(diffs) else np.ones(m)

    def standardise(self, rows: FloatArray) -> FloatArray:
        return np.asarray((rows - self.mean) / self.scale, dtype=np.float64)

    def impute(self, z: FloatArray, distrusted: BoolArray) -> FloatArray:
        """Standardised rows with missing or distrusted entries replaced by what the other signals predict."""
        out = np.where(distrusted, 0.0, z)
        for _ in range(3):
            out = np.where(distrusted, out @ self.coef, out)
        return np.asarray(out, dtype=np.float64)

    def residuals(self, z: FloatArray) -> FloatArray:
        """Per-signal residuals (in residual standard deviations) of each signal against the others' prediction."""
        return np.asarray((z - z @ self.coef) / self.residual_scale, dtype=np.float64)


def contributions(residuals: FloatArray) -> FloatArray:
    """Shares (rows sum to 1) of each signal in the squared residuals: which signals disagree with the rest."""
    squared = residuals**2
    return np.asarray(squared / (squared.sum(axis=1, keepdims=True) + TINY), dtype=np.float64)


def _robust_scale(diffs: FloatArray) -> FloatArray:
    if not len(diffs):
        return np.ones(diffs.shape[1])
    median = np.nanmedian(diffs, axis=0)
    mad = np.nanmedian(np.abs(diffs - median), axis=0)
    return np.asarray(1.4826 * mad + 1e-3 * (np.nanstd(diffs, axis=0) + TINY), dtype=np.float64)


def ewma(values: FloatArray, span: int, start: FloatArray | None = None) -> FloatArray:
    """Exponentially weighted mean down the rows (causal), optionally continuing from `start`; a missing value
    keeps the level."""
    alpha = 2.0 / (span + 1.0)
    level = np.zeros(values.shape[1]) if start is None else start.copy()
    if not np.isnan(values).any():
        filtered, _ = lfilter([alpha], [1.0, alpha - 1.0], values, axis=0, zi=((1 - alpha) * level)[None, :])
        return np.asarray(filtered, dtype=np.float64)
    out = np.empty_like(values)
    for i, row in enumerate(values):
        level = np.where(np.isnan(row), level, (1 - alpha) * level + alpha * np.nan_to_num(row))
        out[i] = level
    return out
