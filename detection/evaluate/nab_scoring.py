"""NAB scoring, after numenta/NAB `nab/sweeper.py`, `nab/runner.py` and `config/profiles.json` (NAB v1.1).

Per row: inside a window the row is worth `tpWeight * S(pos) / S(-1)` with pos = -(right - i + 1) / width (the
first row of a window is worth exactly tpWeight); outside a window it costs `fpWeight * S(|i - right_prev| /
(width_prev - 1))` after a window, or `-fpWeight` before any window.  S is the scaled sigmoid.  A window is worth
the best (= earliest) of its detected rows, or `-fnWeight` when none is detected.  Rows of the probationary period
(first 15 %, at most 750 rows) are not scored.  The threshold is chosen per profile by sweeping every distinct
anomaly score over the whole corpus (NAB's optimize step), and the corpus total is normalised between the null
detector (a constant score) and a perfect one (`tpWeight` per window): 100 * (raw - null) / (perfect - null).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

PROBATIONARY_FRACTION = 0.15
NULL_SCORE = 0.5


@dataclass(frozen=True, slots=True)
class CostProfile:
    name: str
    tp_weight: float
    fp_weight: float
    fn_weight: float


PROFILES: tuple[CostProfile, ...] = (
    CostProfile("standard", 1.0, 0.11, 1.0),
    CostProfile("reward_low_FP_rate", 1.0, 0.22, 1.0),
    CostProfile("reward_low_FN_rate", 1.0, 0.11, 2.0),
)


@dataclass(frozen=True, slots=True)
class FileRows:
    """The scorable rows of one data file: anomaly scores, unweighted sweep values, window ids (-1: none)."""

    anomaly_scores: FloatArray
    unweighted: FloatArray
    window_ids: IntArray
    window_count: int


@dataclass(frozen=True, slots=True)
class ProfileResult:
    profile: str
    threshold: float
    raw: float
    null: float
    perfect: float
    normalized: float


def scaled_sigmoid(position: FloatArray) -> FloatArray:
    """NAB's scaled sigmoid: 2 * sigmoid(-5 * position) - 1, and -1 past 3 widths after a window."""
    values = 2.0 / (1.0 + np.exp(5.0 * np.minimum(position, 3.0))) - 1.0
    return np.where(position > 3.0, -1.0, values)


def probationary_length(rows: int, fraction: float = PROBATIONARY_FRACTION) -> int:
    """Rows at the start of a file that are never scored: floor(15 %) and at most 750."""
    return math.ceil(min(math.floor(fraction * rows), fraction * 5000))


def window_bounds(timestamps: NDArray[np.datetime64], windows: Sequence[tuple[str, str]]) -> list[tuple[int, int]]:
    """Index of the first and last row of each labelled window (rows whose timestamps fall inside it)."""
    bounds = []
    for start, end in windows:
        left = int(np.searchsorted(timestamps, np.datetime64(start.replace(" ", "T")), side="left"))
        right = int(np.searchsorted(timestamps, np.datetime64(end.replace(" ", "T")), side="right")) - 1
        if right >= left:
            bounds.append((left, right))
    return sorted(bounds)


def window_labels(rows: int, bounds: Sequence[tuple[int, int]]) -> IntArray:
    """1 for rows inside a labelled window, else 0."""
    labels = np.zeros(rows, dtype=np.int64)
    for left, right in bounds:
        labels[left : right + 1] = 1
    return labels


def file_rows(anomaly_scores: FloatArray, bounds: Sequence[tuple[int, int]]) -> FileRows:
    """Sweep values of one file's rows (NAB `calcSweepScore`), without the probationary rows."""
    rows = len(anomaly_scores)
    index = np.arange(rows, dtype=np.float64)
    unweighted = np.full(rows, -1.0)
    window_ids = np.full(rows, -1, dtype=np.int64)
    max_tp = float(scaled_sigmoid(np.array([-1.0]))[0])
    for number, (left, right) in enumerate(bounds):
        width = float(right - left + 1)
        inside = slice(left, right + 1)
        unweighted[inside] = scaled_sigmoid(-(right - index[inside] + 1.0) / width) / max_tp
        window_ids[inside] = number
        following_end = bounds[number + 1][0] if number + 1 < len(bounds) else rows
        after = slice(right + 1, following_end)
        if width > 1:
            unweighted[after] = scaled_sigmoid(np.abs(right - index[after]) / (width - 1.0))
    first = probationary_length(rows)
    scored_windows = {int(w) for w in window_ids[first:] if w >= 0}
    return FileRows(
        anomaly_scores=np.asarray(anomaly_scores[first:], dtype=np.float64),
        unweighted=unweighted[first:],
        window_ids=window_ids[first:],
        window_count=len(scored_windows),
    )


def _weighted(rows: FileRows, profile: CostProfile) -> FloatArray:
    return np.where(rows.window_ids >= 0, rows.unweighted * profile.tp_weight, rows.unweighted * profile.fp_weight)


def score_at_threshold(files: Sequence[FileRows], profile: CostProfile, threshold: float) -> float:
    """Raw NAB score of a corpus when rows with anomaly score >= threshold are detections."""
    total = 0.0
    for rows in files:
        sweep = _weighted(rows, profile)
        detected = rows.anomaly_scores >= threshold
        total += float(sweep[detected & (rows.window_ids < 0)].sum())
        for window in np.unique(rows.window_ids[rows.window_ids >= 0]):
            hits = detected & (rows.window_ids == window)
            total += float(sweep[hits].max()) if hits.any() else -profile.fn_weight
    return total


def sweep_thresholds(files: Sequence[FileRows], profile: CostProfile) -> tuple[FloatArray, FloatArray]:
    """Every candidate threshold (descending, starting above 1) and the corpus raw score at each."""
    scores = np.concatenate([f.anomaly_scores for f in files])
    sweep = np.concatenate([_weighted(f, profile) for f in files])
    offsets = np.cumsum([0] + [int(f.window_ids.max(initial=-1)) + 1 for f in files[:-1]])
    windows = np.concatenate(
        [np.where(f.window_ids >= 0, f.window_ids + offset, -1) for f, offset in zip(files, offsets, strict=True)]
    )
    order = np.argsort(-scores, kind="stable")
    scores, sweep, windows = scores[order], sweep[order], windows[order]
    delta = np.where(windows < 0, sweep, 0.0)
    inside = np.nonzero(windows >= 0)[0]
    grouped = inside[np.lexsort((inside, windows[inside]))]
    starts = np.r_[0, np.nonzero(np.diff(windows[grouped]))[0] + 1]
    for segment in np.split(grouped, starts[1:]):
        best = np.maximum.accumulate(np.maximum(sweep[segment], -profile.fn_weight))
        delta[segment] = np.diff(np.r_[-profile.fn_weight, best])
    window_total = len(np.unique(windows[inside]))
    totals = -profile.fn_weight * window_total + np.cumsum(delta)
    last_of_run = np.r_[np.nonzero(np.diff(scores))[0], len(scores) - 1] if len(scores) else np.array([], dtype=int)
    thresholds = np.r_[1.1, scores[last_of_run]]
    return thresholds, np.r_[-profile.fn_weight * window_total, totals[last_of_run]]


def optimize_threshold(files: Sequence[FileRows], profile: CostProfile) -> tuple[float, float]:
    """NAB's optimize step: the threshold with the best corpus score (the highest such threshold on ties)."""
    thresholds, totals = sweep_thresholds(files, profile)
    best = int(np.argmax(totals))
    return float(thresholds[best]), float(totals[best])


def null_files(files: Sequence[FileRows]) -> list[FileRows]:
    """The same corpus scored by NAB's null detector (a constant anomaly score of 0.5)."""
    return [
        FileRows(np.full_like(f.anomaly_scores, NULL_SCORE), f.unweighted, f.window_ids, f.window_count) for f in files
    ]


def score_corpus(files: Sequence[FileRows], profile: CostProfile) -> ProfileResult:
    """Optimised threshold, raw score and normalised NAB score of a corpus for one profile."""
    threshold, raw = optimize_threshold(files, profile)
    _, null = optimize_threshold(null_files(files), profile)
    perfect = profile.tp_weight * sum(f.window_count for f in files)
    normalized = 100.0 * (raw - null) / (perfect - null) if perfect != null else 0.0
    return ProfileResult(profile.name, threshold, raw, null, perfect, normalized)
