"""Per-signal sensor-fault checks, kept apart from equipment faults (pure numpy).  Each takes a window of one
device's rows (a `Frame`, oldest first) and answers rows x signals booleans; row t uses rows up to t only.

* stuck    the value has not changed at all over `STUCK_ROWS` rows of one duty state, for a signal that in
           healthy data of that state almost never repeats exactly (noise keeps it moving);
* dropout  the metric is missing from more than half of the last `DROPOUT_ROWS` rows, while healthy data has it
           in at least 95% of them;
* spike    a jump from the median of the previous `SPIKE_ROWS` rows (same duty state) of more than `SPIKE_Z`
           robust step scales (1.4826 x MAD of healthy first differences) that comes back on the next row
           (so known one row late; a jump that stays is a step), at least twice in `SPIKE_COUNT_ROWS` rows;
* drift    the signal's residual against what the other signals predict, smoothed (EWMA), beyond its healthy
           limit, reached gradually (a step is an equipment fault, not a calibration drift), and the others are
           fine: with that one signal set aside (imputed from the others) the equipment score is normal.
           A slow single-signal divergence is ambiguous by nature (a drifting sensor or a fault with one
           symptom); the detector calls it drift.
"""

from __future__ import annotations

import numpy as np

from detection.features import TINY, BoolArray, FloatArray, Frame, SignalModel

STUCK_ROWS = 8
DROPOUT_ROWS = 10
SPIKE_ROWS = 5
SPIKE_Z = 12.0
SPIKE_COUNT_ROWS = 40
SPIKE_MIN_COUNT = 2
REPEAT_RATE_MAX = 0.05
PRESENCE_MIN = 0.95


def same_state_run(frame: Frame, rows: int) -> BoolArray:
    """True at row t when rows t-rows+1..t exist and share t's duty state."""
    n = len(frame)
    out = np.zeros(n, dtype=np.bool_)
    for t in range(rows - 1, n):
        out[t] = bool(np.all(frame.running[t - rows + 1 : t + 1] == frame.running[t]))
    return out


def stuck(frame: Frame, model: SignalModel, rows: int = STUCK_ROWS) -> BoolArray:
    n, m = frame.values.shape
    out = np.zeros((n, m), dtype=np.bool_)
    same = same_state_run(frame, rows)
    for t in np.nonzero(same)[0]:
        window = frame.values[t - rows + 1 : t + 1]
        varies = model.repeat_rate[bool(frame.running[t])] < REPEAT_RATE_MAX
        flat = np.all(np.abs(np.diff(window, axis=0)) < TINY, axis=0) & ~np.any(np.isnan(window), axis=0)
        out[t] = flat & varies
    return out


def dropout(frame: Frame, model: SignalModel, rows: int = DROPOUT_ROWS) -> BoolArray:
    n, m = frame.values.shape
    missing = np.isnan(frame.values).astype(np.float64)
    totals = np.cumsum(np.vstack([np.zeros((1, m)), missing]), axis=0)
    out = np.zeros((n, m), dtype=np.bool_)
    if n >= rows:
        share = (totals[rows:] - totals[:-rows]) / rows
        out[rows - 1 :] = (share > 0.5) & (model.presence >= PRESENCE_MIN)
    return out


def jumps(frame: Frame, model: SignalModel, rows: int = SPIKE_ROWS, z: float = SPIKE_Z) -> FloatArray:
    """Size of each value's jump from the median of the previous `rows` rows of the same duty state, in robust
    healthy step scales (0 where the state changed or there is no history)."""
    n, m = frame.values.shape
    out = np.zeros((n, m))
    same = same_state_run(frame, rows + 1)
    for t in np.nonzero(same)[0]:
        before = frame.values[t - rows : t]
        present = ~np.all(np.isnan(before), axis=0)
        if not present.any():
            continue
        median = np.full(m, np.nan)
        median[present] = np.nanmedian(before[:, present], axis=0)
        scale = model.step_scale[bool(frame.running[t])]
        out[t] = np.nan_to_num(np.abs(frame.values[t] - median) / scale, nan=0.0)
    return out


def spikes(frame: Frame, model: SignalModel, rows: int = SPIKE_ROWS, z: float = SPIKE_Z) -> BoolArray:
    """Row t says row t-1 was a spike: it jumped by more than `z` and row t came back (within z/2 of the median
    before the jump).  A jump that stays is a step (an equipment fault), not a spike; the cost is one row."""
    n, m = frame.values.shape
    out = np.zeros((n, m), dtype=np.bool_)
    same = same_state_run(frame, rows + 2)
    for t in np.nonzero(same)[0]:
        before = frame.values[t - 1 - rows : t - 1]
        present = ~np.all(np.isnan(before), axis=0)
        if not present.any():
            continue
        median = np.full(m, np.nan)
        median[present] = np.nanmedian(before[:, present], axis=0)
        scale = model.step_scale[bool(frame.running[t])]
        jumped = np.nan_to_num(np.abs(frame.values[t - 1] - median) / scale, nan=0.0) > z
        back = np.nan_to_num(np.abs(frame.values[t] - median) / scale, nan=np.inf) < z / 2
        out[t] = jumped & back
    return out


def first_jumps(frame: Frame, model: SignalModel) -> BoolArray:
    """Values to keep out of the equipment score: a jump whose previous row did not jump (a possible spike).
    From the second row of a lasting step on, the value is trusted: steps are equipment faults."""
    raw = jumps(frame, model) > SPIKE_Z
    previous = np.vstack([np.zeros((1, raw.shape[1]), dtype=np.bool_), raw[:-1]])
    return np.asarray(raw & ~previous, dtype=np.bool_)


def spike_episodes(flags: BoolArray, rows: int = SPIKE_COUNT_ROWS, count: int = SPIKE_MIN_COUNT) -> BoolArray:
    """True where at least `count` spikes of the signal fell in the last `rows` rows: one spike is noise."""
    totals = np.cumsum(np.vstack([np.zeros((1, flags.shape[1])), flags.astype(np.float64)]), axis=0)
    index = np.arange(1, len(flags) + 1)
    start = np.maximum(index - rows, 0)
    return np.asarray((totals[index] - totals[start]) >= count, dtype=np.bool_)


def drift_candidates(smoothed_residuals: FloatArray, fast_residuals: FloatArray, limits: FloatArray) -> BoolArray:
    """Signals whose smoothed residual is beyond its limit, having got there gradually (the fast-smoothed residual
    within half a limit plus a fifth of the slow one: a step is not a drift).  The model confirms a candidate only when
    setting that one signal aside brings the equipment score back under its limit (the others are fine)."""
    ratio = np.abs(np.nan_to_num(smoothed_residuals)) / (limits + TINY)
    slow = np.abs(np.nan_to_num(smoothed_residuals))
    gradual = np.abs(np.nan_to_num(fast_residuals - smoothed_residuals)) < 0.5 * limits + 0.2 * slow
    return np.asarray((ratio > 1.0) & gradual, dtype=np.bool_)
