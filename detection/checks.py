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

import numpy as np

from detection.features import TINY, BoolArray, FloatArray, Frame, IntArray, SignalModel

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
    return np.asarray(_state_run_lengths(frame) >= rows, dtype=np.bool_)


def _state_run_lengths(frame: Frame) -> FloatArray:
    """Row t: how many rows up to t (itself included) share t's duty state without a break."""
    n = len(frame)
    if n == 0:
        return np.zeros(0)
    changed = np.r_[True, frame.running[1:] != frame.running[:-1]]
    run_start = np.maximum.accumulate(np.where(changed, np.arange(n), 0))
    return np.asarray(np.arange(n) - run_start + 1, dtype=np.float64)


def _trailing_all_each(flags: BoolArray, rows: IntArray) -> BoolArray:
    """True at row t of column j when flags[t-rows[j]+1..t, j] are all true (rows before the start count as
    false), all columns at once."""
    n, m = flags.shape
    totals = np.cumsum(np.vstack([np.zeros((1, m)), flags.astype(np.float64)]), axis=0)
    end = np.arange(1, n + 1)[:, None]
    start = end - rows[None, :]
    columns = np.arange(m)[None, :]
    counted = totals[end, columns] - totals[np.maximum(start, 0), columns]
    return np.asarray((start >= 0) & (counted >= rows[None, :] - 0.5), dtype=np.bool_)


def _medians_before(values: FloatArray, rows: int, lag: int) -> FloatArray:
    """Row t: per signal, the median of the non-missing values of rows t-lag-rows..t-lag-1 (NaN: none, or no
    history)."""
    n, m = values.shape
    out = np.full((n, m), np.nan)
    if n >= rows + lag:
        windows = np.lib.stride_tricks.sliding_window_view(values, rows, axis=0)  # window i: rows i..i+rows-1
        out[rows + lag :] = nanmedian_last(windows[: n - rows - lag])
    return out


def nanmedian_last(windows: FloatArray) -> FloatArray:
    """`np.nanmedian(windows, axis=-1)`, the same values without its masked-array path for short rows (which
    was the detector's costliest step): sort, missing values last, and average the two middle present ones."""
    ordered = np.sort(windows, axis=-1)
    present = np.count_nonzero(~np.isnan(ordered), axis=-1)
    low = np.maximum(present - 1, 0) // 2
    high = present // 2 - (present == 0)
    pick = np.stack([low, np.maximum(high, 0)], axis=-1)
    middle = np.take_along_axis(ordered, pick, axis=-1)
    median = (middle[..., 0] + middle[..., 1]) / 2.0
    return np.asarray(np.where(present > 0, median, np.nan), dtype=np.float64)


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
    lengths = _state_run_lengths(frame)
    for state in (True, False):
        needed = np.array(repeats_needed(model.repeat_rate[state], most=rows - 1), dtype=np.int64)
        run = _trailing_all_each(repeats, needed) & (lengths[:, None] >= needed[None, :] + 1)
        flat |= run & (frame.running == state)[:, None]
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
    out |= _trailing_all_each(missing > 0, np.array(run_of_misses(model.presence), dtype=np.int64))
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
