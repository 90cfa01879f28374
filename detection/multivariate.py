"""Multivariate residual scorers: fit on an asset's healthy rows, then score new rows one batch at a time.

Every scorer standardises with the healthy rows' statistics and returns one non-negative score per row (higher
is more anomalous).  `AlarmRule` turns scores into alarms: a trailing mean over `smoothing` rows (so a score at
row t uses rows up to t only), compared with a limit taken from the healthy rows' own smoothed scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from sklearn.ensemble import IsolationForest

FloatArray = NDArray[np.float64]
TINY = 1e-9


class Scorer(Protocol):
    def fit(self, healthy: FloatArray) -> None: ...

    def score(self, rows: FloatArray) -> FloatArray: ...


@dataclass(slots=True)
class _Standardiser:
    mean: FloatArray = field(default_factory=lambda: np.zeros(0))
    scale: FloatArray = field(default_factory=lambda: np.ones(0))

    def fit(self, healthy: FloatArray) -> FloatArray:
        self.mean = healthy.mean(axis=0)
        self.scale = healthy.std(axis=0) + TINY + 1e-6 * np.abs(self.mean)
        return self.apply(healthy)

    def apply(self, rows: FloatArray) -> FloatArray:
        return np.asarray((rows - self.mean) / self.scale, dtype=np.float64)


@dataclass(slots=True)
class PcaResidualScorer:
    """Hotelling's T² on the leading components plus Q (squared prediction error) off them, each over its
    healthy mean so the two weigh alike; `variance` is the share of variance the kept components explain."""

    variance: float = 0.9
    _standardiser: _Standardiser = field(default_factory=_Standardiser)
    _components: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    _eigenvalues: FloatArray = field(default_factory=lambda: np.zeros(0))
    _t2_scale: float = 1.0
    _q_scale: float = 1.0

    def fit(self, healthy: FloatArray) -> None:
        z = self._standardiser.fit(healthy)
        _, singular, vt = np.linalg.svd(z - z.mean(axis=0), full_matrices=False)
        eigenvalues = singular**2 / max(len(z) - 1, 1)
        share = np.cumsum(eigenvalues) / max(float(eigenvalues.sum()), TINY)
        kept = int(np.searchsorted(share, self.variance) + 1)
        self._components = vt[:kept].T
        self._eigenvalues = eigenvalues[:kept] + TINY
        t2, q = self._parts(healthy)
        self._t2_scale = float(t2.mean()) + TINY
        self._q_scale = float(q.mean()) + TINY

    def _parts(self, rows: FloatArray) -> tuple[FloatArray, FloatArray]:
        z = self._standardiser.apply(rows)
        projected = z @ self._components
        t2 = np.sum(projected**2 / self._eigenvalues, axis=1)
        q = np.sum((z - projected @ self._components.T) ** 2, axis=1)
        return t2, q

    def score(self, rows: FloatArray) -> FloatArray:
        t2, q = self._parts(rows)
        return np.asarray(t2 / self._t2_scale + q / self._q_scale, dtype=np.float64)


@dataclass(slots=True)
class MsetScorer:
    """MSET-style similarity-based modelling: each row is estimated as a kernel-weighted blend of healthy memory
    rows, and the score is the squared standardised residual of that estimate."""

    memory_size: int = 200
    bandwidth: float = 1.0
    _standardiser: _Standardiser = field(default_factory=_Standardiser)
    _memory: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    _scale: float = 1.0

    def fit(self, healthy: FloatArray) -> None:
        z = self._standardiser.fit(healthy)
        step = max(len(z) // self.memory_size, 1)
        self._memory = z[::step][: self.memory_size]
        self._scale = float(self._residual(z).mean()) + TINY

    def _residual(self, z: FloatArray) -> FloatArray:
        distances = ((z[:, None, :] - self._memory[None, :, :]) ** 2).sum(axis=2)
        width = self.bandwidth**2 * z.shape[1]
        weights = np.exp(-(distances - distances.min(axis=1, keepdims=True)) / width)
        estimate = weights @ self._memory / weights.sum(axis=1, keepdims=True)
        return np.asarray(((z - estimate) ** 2).sum(axis=1), dtype=np.float64)

    def score(self, rows: FloatArray) -> FloatArray:
        return self._residual(self._standardiser.apply(rows)) / self._scale


@dataclass(slots=True)
class IsolationForestScorer:
    """scikit-learn's Isolation Forest on standardised rows; the score is the negated decision function."""

    trees: int = 200
    seed: int = 0
    _standardiser: _Standardiser = field(default_factory=_Standardiser)
    _forest: IsolationForest | None = None

    def fit(self, healthy: FloatArray) -> None:
        self._forest = IsolationForest(n_estimators=self.trees, random_state=self.seed)
        self._forest.fit(self._standardiser.fit(healthy))

    def score(self, rows: FloatArray) -> FloatArray:
        if self._forest is None:
            raise RuntimeError("IsolationForestScorer.score called before fit")
        return np.asarray(-self._forest.decision_function(self._standardiser.apply(rows)) + 0.5, dtype=np.float64)


def trailing_mean(scores: FloatArray, rows: int) -> FloatArray:
    """Mean of each score and the `rows - 1` before it (fewer at the start): causal smoothing."""
    totals = np.cumsum(np.r_[0.0, scores])
    index = np.arange(1, len(scores) + 1)
    start = np.maximum(index - rows, 0)
    return np.asarray((totals[index] - totals[start]) / (index - start), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class AlarmRule:
    """Alarm when the trailing mean of the score passes `factor` times the `quantile` of the healthy rows'
    smoothed scores; hold an alarm for `hold` rows."""

    smoothing: int = 10
    quantile: float = 0.99
    factor: float = 1.5
    hold: int = 0

    def limit(self, healthy_scores: FloatArray) -> float:
        return self.factor * float(np.quantile(trailing_mean(healthy_scores, self.smoothing), self.quantile))

    def alarms(self, scores: FloatArray, limit: float, history: FloatArray | None = None) -> NDArray[np.bool_]:
        """Alarms for `scores`; `history` (the rows just before) primes the trailing mean."""
        past = history[-(self.smoothing - 1) :] if history is not None and self.smoothing > 1 else np.zeros(0)
        smoothed = trailing_mean(np.r_[past, scores], self.smoothing)[len(past) :]
        raised = smoothed > limit
        if self.hold > 0:
            raised = trailing_mean(raised.astype(np.float64), self.hold + 1) > 0
        return np.asarray(raised, dtype=np.bool_)


def rough_columns(healthy: FloatArray, min_roughness: float) -> NDArray[np.int64]:
    """Columns whose healthy rows vary from row to row, not by slow drift: std(diff) / std >= `min_roughness`.

    A slowly drifting signal (a temperature) keeps leaving the range a short healthy history saw, so a level
    model of it raises false alarms; white-ish noise has a ratio near sqrt(2), a slow drift near 0.
    """
    roughness = np.diff(healthy, axis=0).std(axis=0) / (healthy.std(axis=0) + TINY)
    chosen = np.nonzero(roughness >= min_roughness)[0]
    return chosen if len(chosen) else np.arange(healthy.shape[1])


@dataclass(slots=True)
class DriftTolerantScorer:
    """Another scorer restricted to the columns `rough_columns` keeps from the healthy rows."""

    inner: Scorer
    min_roughness: float = 0.7
    columns: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def fit(self, healthy: FloatArray) -> None:
        self.columns = rough_columns(healthy, self.min_roughness)
        self.inner.fit(healthy[:, self.columns])

    def score(self, rows: FloatArray) -> FloatArray:
        return self.inner.score(rows[:, self.columns])
