"""Per-signal sensor-fault checks, kept apart from equipment faults (pure numpy).  Each takes a window of one
device's rows (a `Frame`, oldest first) and answers rows x signals booleans; row t uses rows up to t only.

* stuck    the value has not changed at all over as many rows of one duty state as make that a one-in-a-billion
           event in healthy data of that state (at most `STUCK_ROWS`), for a signal that in healthy data almost
           never repeats exactly (noise keeps it moving);
* dropout  the metric is missing from more than half of the last `DROPOUT_ROWS` rows, or from each of the last
           k rows where k (at least 2) is how many misses in a row healthy data makes a one-in-a-million event,
           while healthy data has it in at least 95% of rows;
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

import warnings

import numpy as np

from detection.features import TINY, BoolArray, FloatArray, Frame, SignalModel

STUCK_ROWS = 8
DROPOUT_ROWS = 10
SPIKE_ROWS = 5
SPIKE_Z = 12.0
SPIKE_COUNT_ROWS = 40
SPIKE_MIN_COUNT = 2
REPEAT_RATE_MAX = 0.05
REPEAT_RATE_FLOOR = 2e-4  # about three repeats in the ~15,000 running rows a type's model is trained on
PRESENCE_MIN = 0.95


def same_state_run(frame: Frame, rows: int) -> BoolArray:
    """True at row t when rows t-rows+1..t exist and share t's duty state."""
    n = len(frame)
    if n == 0:
        return np.zeros(0, dtype=np.bool_)
    changed = np.r_[True, frame.running[1:] != frame.running[:-1]]
    run_start = np.maximum.accumulate(np.where(changed, np.arange(n), 0))
    return np.asarray(np.arange(n) - run_start + 1 >= rows, dtype=np.bool_)


def _trailing_all(flags: BoolArray, rows: int) -> BoolArray:
    """True at row t when flags[t-rows+1..t] are all true (rows before the start count as false)."""
    totals = np.cumsum(np.vstack([np.zeros((1, flags.shape[1])), flags.astype(np.float64)]), axis=0)
    out = np.zeros(flags.shape, dtype=np.bool_)
    if len(flags) >= rows:
        out[rows - 1 :] = (totals[rows:] - totals[:-rows]) >= rows - 0.5
    return out


def _medians_before(values: FloatArray, rows: int, lag: int) -> FloatArray:
    """Row t: per signal, the median of the non-missing values of rows t-lag-rows..t-lag-1 (NaN: none, or no
    history)."""
    n, m = values.shape
    out = np.full((n, m), np.nan)
    if n >= rows + lag:
        windows = np.lib.stride_tricks.sliding_window_view(values, rows, axis=0)  # window i: rows i..i+rows-1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out[rows + lag :] = np.nanmedian(windows[: n - rows - lag], axis=-1)
    return out


def _step_scales(frame: Frame, model: SignalModel) -> FloatArray:
    return np.where(frame.running[:, None], model.step_scale[True], model.step_scale[False])


def stuck(frame: Frame, model: SignalModel, rows: int = STUCK_ROWS) -> BoolArray:
    """Per signal and duty state, the exact repeats in a row that healthy data makes a one-in-a-billion event
    (`repeats_needed`, at most `rows - 1`): a noisy signal that stops moving is known after a few readings."""
    n, m = frame.values.shape
    if n < 2:
        return np.zeros((n, m), dtype=np.bool_)
    repeats = np.vstack([np.zeros((1, m), dtype=np.bool_), np.abs(np.diff(frame.values, axis=0)) < TINY])
    flat = np.zeros((n, m), dtype=np.bool_)
    for state in (True, False):
        for j, k in enumerate(repeats_needed(model.repeat_rate[state], most=rows - 1)):
            run = _trailing_all(repeats[:, [j]], k)[:, 0] & same_state_run(frame, k + 1)
            flat[:, j] |= run & (frame.running == state)
    varies = np.where(frame.running[:, None], model.repeat_rate[True], model.repeat_rate[False]) < REPEAT_RATE_MAX
    return np.asarray(flat & varies, dtype=np.bool_)


def repeats_needed(repeat_rate: FloatArray, *, most: int, chance: float = 1e-9) -> list[int]:
    """Per signal, the exact repeats in a row that healthy data (independent repeats at its rate, never taken
    below `REPEAT_RATE_FLOOR`: a rate of 0 in the training rows is not proof of none) shows with less than
    `chance`: at least 2, at most `most`."""
    rate = np.clip(repeat_rate, REPEAT_RATE_FLOOR, 1.0 - 1e-12)
    rows = np.ceil(np.log(chance) / np.log(rate))
    return [int(k) for k in np.clip(rows, 2, most)]


def dropout(frame: Frame, model: SignalModel, rows: int = DROPOUT_ROWS) -> BoolArray:
    n, m = frame.values.shape
    missing = np.isnan(frame.values).astype(np.float64)
    totals = np.cumsum(np.vstack([np.zeros((1, m)), missing]), axis=0)
    out = np.zeros((n, m), dtype=np.bool_)
    if n >= rows:
        share = (totals[rows:] - totals[:-rows]) / rows
        out[rows - 1 :] = share > 0.5
    for j, k in enumerate(run_of_misses(model.presence)):
        out[:, j] |= _trailing_all(missing[:, [j]] > 0, k)[:, 0]
    return np.asarray(out & (model.presence >= PRESENCE_MIN), dtype=np.bool_)


def run_of_misses(presence: FloatArray, chance: float = 1e-6) -> list[int]:
    """Per signal, the misses in a row that healthy data (independent misses at its rate) shows with less than
    `chance`: at least 2, at most `DROPOUT_ROWS`."""
    miss = np.clip(1.0 - presence, 1e-12, 1.0 - 1e-12)
    rows = np.ceil(np.log(chance) / np.log(miss))
    return [int(k) for k in np.clip(rows, 2, DROPOUT_ROWS)]


def jumps(frame: Frame, model: SignalModel, rows: int = SPIKE_ROWS, z: float = SPIKE_Z) -> FloatArray:
    """Size of each value's jump from the median of the previous `rows` rows of the same duty state, in robust
    healthy step scales (0 where the state changed or there is no history)."""
    median = _medians_before(frame.values, rows, 0)
    size = np.nan_to_num(np.abs(frame.values - median) / _step_scales(frame, model), nan=0.0)
    return np.asarray(np.where(same_state_run(frame, rows + 1)[:, None], size, 0.0), dtype=np.float64)


def spikes(frame: Frame, model: SignalModel, rows: int = SPIKE_ROWS, z: float = SPIKE_Z) -> BoolArray:
    """Row t says row t-1 was a spike: it jumped by more than `z` and row t came back (within z/2 of the median
    before the jump).  A jump that stays is a step (an equipment fault), not a spike; the cost is one row."""
    n, m = frame.values.shape
    out = np.zeros((n, m), dtype=np.bool_)
    if n < 2:
        return out
    median = _medians_before(frame.values, rows, 1)
    scale = _step_scales(frame, model)
    previous = np.vstack([np.full((1, m), np.nan), frame.values[:-1]])
    jumped = np.nan_to_num(np.abs(previous - median) / scale, nan=0.0) > z
    back = np.nan_to_num(np.abs(frame.values - median) / scale, nan=np.inf) < z / 2
    return np.asarray(jumped & back & same_state_run(frame, rows + 2)[:, None], dtype=np.bool_)


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
