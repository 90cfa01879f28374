"""Remaining useful life from run-to-failure histories.

Each cycle (an hour, for the product's own assets) gets trailing-window features of the wear-following sensors,
standardised by the training runs' mean and spread (optionally after an exponentially weighted smoothing); a
blend of gradient-boosting regressors (and, when asked, a ridge model) estimates the RUL capped at `cap`.  The
estimate at a run's last cycle averages the estimates at its last `history` cycles, each moved forward by the
cycles since (an earlier estimate of 60 made 3 cycles ago says 57 now), which steadies it without looking ahead.
The band is calibrated, not assumed: the runs are split engine-wise, each part is scored by a model fitted on the
others, and the band around an estimate is the spread of the errors those held-out runs show at similar
estimates (split-conformal, per bin of the estimate).  Every step uses a cycle and earlier ones only, so the same
model scores a live asset from its history so far."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.signal import lfilter
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge

FloatArray = NDArray[np.float64]
RUL_CAP = 125.0
WINDOWS = (5, 15, 30)
SLOPE_WINDOWS = (10, 30)
TINY = 1e-9
BAND_BINS = 4  # bins of the estimate, each with its own calibrated band
BAND_HORIZON = 1.2  # calibration errors are measured against the true RUL up to this many caps


@dataclass(frozen=True, slots=True)
class Engine:
    unit: int
    cycles: FloatArray
    sensors: FloatArray


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """How the RUL model is built; the defaults are the ones chosen by engine-wise cross-validation on the
    C-MAPSS FD001 training engines (see `detection.evaluate.cmapss.cross_validate`)."""

    max_iter: int = 300
    learning_rate: float = 0.05
    max_leaf_nodes: int = 15
    min_samples_leaf: int = 20
    band: tuple[float, float] = (0.1, 0.9)  # quantiles of the calibrated error around the estimate
    cap: float = RUL_CAP
    ewm_alpha: float = 0.0  # exponentially weighted smoothing of the sensors before the windows; 0: none
    with_cycle: bool = True  # the cycle number (age of the run) as a feature
    plateau_weight: float = 1.0  # weight of the training rows whose true RUL is above the cap
    extra_leaf_nodes: tuple[int, ...] = ()  # more gradient-boosting members, averaged with the first
    ridge_weight: float = 0.0  # share of a ridge model on the same features in the blend
    history: int = 1  # cycles whose estimates, moved forward to the last cycle, are averaged
    calibration_folds: int = 5


def capped_rul(cycles: FloatArray, cap: float = RUL_CAP) -> FloatArray:
    """Piecewise-linear target of a run-to-failure engine: cycles left, capped at `cap`."""
    return np.asarray(np.minimum(cycles[-1] - cycles, cap), dtype=np.float64)


def informative_columns(engines: Sequence[Engine], min_std: float = 1e-4, min_corr: float = 0.2) -> list[int]:
    """Sensors that vary and follow wear: |correlation with the capped RUL| of at least `min_corr`."""
    rows = np.vstack([e.sensors for e in engines])
    target = np.concatenate([capped_rul(e.cycles) for e in engines])
    chosen = []
    for column in range(rows.shape[1]):
        values = rows[:, column]
        if values.std() <= min_std * (abs(values.mean()) + 1.0):
            continue
        if abs(float(np.corrcoef(values, target)[0, 1])) >= min_corr:
            chosen.append(column)
    return chosen


def trailing_mean(values: FloatArray, window: int) -> FloatArray:
    """Mean over each row and the `window - 1` before it (fewer at the start), per column."""
    totals = np.cumsum(np.vstack([np.zeros((1, values.shape[1])), values]), axis=0)
    index = np.arange(1, len(values) + 1)
    start = np.maximum(index - window, 0)
    return np.asarray((totals[index] - totals[start]) / (index - start)[:, None], dtype=np.float64)


def trailing_slope(values: FloatArray, window: int) -> FloatArray:
    """Least-squares slope per cycle over each row and the `window - 1` before it (0 for a single row)."""
    t = np.arange(len(values), dtype=np.float64)[:, None]
    mean_t = trailing_mean(t, window)
    mean_v = trailing_mean(values, window)
    cov = trailing_mean(t * values, window) - mean_t * mean_v
    var = trailing_mean(t * t, window) - mean_t**2
    return np.asarray(np.where(var > TINY, cov / np.maximum(var, TINY), 0.0), dtype=np.float64)


def smoothed(values: FloatArray, alpha: float) -> FloatArray:
    """Exponentially weighted mean down the rows (s = alpha * x + (1 - alpha) * previous s, from the first row)."""
    if alpha <= 0.0 or len(values) == 0:
        return values
    initial = (1.0 - alpha) * values[:1]
    out, _ = lfilter([alpha], [1.0, alpha - 1.0], values, axis=0, zi=initial)
    return np.asarray(out, dtype=np.float64)


def features(engine: Engine, columns: Sequence[int], *, ewm_alpha: float = 0.0, with_cycle: bool = True,
             scale: tuple[FloatArray, FloatArray] | None = None) -> FloatArray:  # fmt: skip
    """One row per cycle: (the cycle,) last values, trailing means, spreads and slopes of the chosen sensors,
    standardised by `scale` (mean, spread) when given and smoothed by `ewm_alpha` when positive."""
    values = engine.sensors[:, list(columns)]
    if scale is not None:
        values = (values - scale[0]) / scale[1]
    values = smoothed(values, ewm_alpha)
    parts = [engine.cycles[:, None]] if with_cycle else []
    parts.append(values)
    for window in WINDOWS:
        mean = trailing_mean(values, window)
        spread = np.sqrt(np.maximum(trailing_mean(values**2, window) - mean**2, 0.0))
        parts.extend([mean, spread])
    parts.extend(trailing_slope(values, window) for window in SLOPE_WINDOWS)
    return np.hstack(parts)


def carried_forward(raw: FloatArray, cycles: FloatArray, history: int, cap: float) -> FloatArray:
    """At each cycle, the mean of the raw estimates at it and the `history - 1` cycles before it, each less the
    cycles elapsed since it was made, clipped to [0, cap]."""
    total = np.zeros_like(raw)
    count = np.zeros_like(raw)
    for lag in range(min(history, len(raw))):
        total[lag:] += raw[: len(raw) - lag] - (cycles[lag:] - cycles[: len(raw) - lag])
        count[lag:] += 1.0
    return np.asarray(np.clip(total / np.maximum(count, 1.0), 0.0, cap), dtype=np.float64)


def engine_folds(count: int, folds: int, seed: int = 0) -> list[NDArray[np.int64]]:
    """Engine indices split into `folds` groups of near-equal size, shuffled by `seed`."""
    order = np.random.default_rng(seed).permutation(count)
    return [order[k::folds] for k in range(folds)]


@dataclass(frozen=True, slots=True)
class Band:
    """Calibrated errors (true - estimate) by bin of the estimate: bin edges and the low/high error per bin."""

    edges: FloatArray
    low: FloatArray
    high: FloatArray

    def around(self, point: FloatArray) -> tuple[FloatArray, FloatArray]:
        which = np.searchsorted(self.edges, point, side="right")
        return point + self.low[which], point + self.high[which]


def calibrated_band(point: FloatArray, truth: FloatArray, quantiles: tuple[float, float]) -> Band:
    """Split-conformal band: per quantile bin of the held-out estimates, the quantiles of their errors (with the
    finite-sample correction that makes the coverage at least nominal)."""
    bins = max(1, min(BAND_BINS, len(point) // 50))
    edges = np.quantile(point, np.linspace(0, 1, bins + 1)[1:-1]) if bins > 1 else np.zeros(0)
    which = np.searchsorted(edges, point, side="right")
    low, high = np.zeros(bins), np.zeros(bins)
    for b in range(bins):
        errors = np.sort(truth[which == b] - point[which == b])
        n = len(errors)
        if n == 0:
            continue
        low[b] = min(float(errors[max(int(np.floor(quantiles[0] * (n + 1))) - 1, 0)]), 0.0)
        high[b] = max(float(errors[min(int(np.ceil(quantiles[1] * (n + 1))) - 1, n - 1)]), 0.0)
    return Band(np.asarray(edges, dtype=np.float64), low, high)


@dataclass(slots=True)
class RulModel:
    """Point estimate of the capped RUL and its calibrated band, fitted on run-to-failure engines."""

    config: ModelConfig = field(default_factory=ModelConfig)
    columns: list[int] = field(default_factory=list)
    _scale: tuple[FloatArray, FloatArray] | None = None
    _models: list[HistGradientBoostingRegressor] = field(default_factory=list)
    _ridge: Ridge | None = None
    _ridge_scale: tuple[FloatArray, FloatArray] | None = None
    _band: Band | None = None

    def fit(self, engines: Sequence[Engine], *, band: bool = True) -> None:
        """Fit the point models and, with `band`, calibrate the band on engine-wise held-out parts."""
        self._fit_point(engines)
        self._band = self._calibrate(engines) if band else None

    def _fit_point(self, engines: Sequence[Engine]) -> None:
        config = self.config
        self.columns = informative_columns(engines)
        rows = np.vstack([e.sensors[:, self.columns] for e in engines])
        self._scale = (rows.mean(axis=0), np.maximum(rows.std(axis=0), TINY))
        x = np.vstack([self._features(e) for e in engines])
        uncapped = np.concatenate([e.cycles[-1] - e.cycles for e in engines])
        y = np.minimum(uncapped, config.cap)
        weight = np.where(uncapped > config.cap, config.plateau_weight, 1.0)
        self._models = []
        for leaves in (config.max_leaf_nodes, *config.extra_leaf_nodes):
            model = HistGradientBoostingRegressor(
                max_iter=config.max_iter,
                learning_rate=config.learning_rate,
                max_leaf_nodes=leaves,
                min_samples_leaf=config.min_samples_leaf,
                random_state=0,
            )
            self._models.append(model.fit(x, y, sample_weight=weight))
        self._ridge = None
        if config.ridge_weight > 0:
            self._ridge_scale = (x.mean(axis=0), np.maximum(x.std(axis=0), TINY))
            ridge = Ridge(alpha=1.0)
            self._ridge = ridge.fit((x - self._ridge_scale[0]) / self._ridge_scale[1], y, sample_weight=weight)

    def _features(self, engine: Engine) -> FloatArray:
        return features(engine, self.columns, ewm_alpha=self.config.ewm_alpha, with_cycle=self.config.with_cycle,
                        scale=self._scale)  # fmt: skip

    def _calibrate(self, engines: Sequence[Engine]) -> Band | None:
        """Errors of models fitted without each part of the engines, on that part: every cycle whose true RUL is
        within `BAND_HORIZON` caps (further ones are measured as if at that horizon)."""
        folds = min(self.config.calibration_folds, len(engines))
        if folds < 2:
            return None
        points, truths = [], []
        for held in engine_folds(len(engines), folds):
            member = RulModel(self.config)
            member._fit_point([e for i, e in enumerate(engines) if i not in set(held.tolist())])
            for i in held:
                engine = engines[i]
                horizon = BAND_HORIZON * self.config.cap
                truth = engine.cycles[-1] - engine.cycles
                near = truth <= horizon
                points.append(member.path(engine)[near])
                truths.append(truth[near])
        return calibrated_band(np.concatenate(points), np.concatenate(truths), self.config.band)

    def raw_path(self, engine: Engine) -> FloatArray:
        """The blend's estimate at every cycle of the engine, before carrying earlier estimates forward."""
        x = self._features(engine)
        gbm = np.mean([m.predict(x) for m in self._models], axis=0)
        if self._ridge is None or self._ridge_scale is None:
            return np.asarray(gbm, dtype=np.float64)
        ridge = self._ridge.predict((x - self._ridge_scale[0]) / self._ridge_scale[1])
        share = self.config.ridge_weight
        return np.asarray((1.0 - share) * gbm + share * np.clip(ridge, 0.0, self.config.cap), dtype=np.float64)

    def path(self, engine: Engine) -> FloatArray:
        """The point estimate at every cycle of the engine (each from that cycle and earlier ones only)."""
        return carried_forward(self.raw_path(engine), engine.cycles, self.config.history, self.config.cap)

    def band_around(self, point: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Low and high end of the calibrated band around estimates (the estimate itself without a band)."""
        if self._band is None:
            return point, point
        low, high = self._band.around(point)
        return np.maximum(np.minimum(low, point), 0.0), np.maximum(high, point)

    def predict_last(self, engines: Sequence[Engine]) -> tuple[FloatArray, FloatArray, FloatArray]:
        """RUL at each engine's last observed cycle: estimate, lower and upper end of the band."""
        point = np.array([self.path(e)[-1] for e in engines], dtype=np.float64)
        low, high = self.band_around(point)
        return point, low, high


def rmse(predicted: FloatArray, true: FloatArray) -> float:
    return float(np.sqrt(np.mean((predicted - true) ** 2)))


def phm08_score(predicted: FloatArray, true: FloatArray) -> float:
    """PHM08: sum of exp(-d/13) - 1 for early (d < 0) and exp(d/10) - 1 for late predictions, d = pred - true."""
    d = predicted - true
    return float(np.sum(np.where(d < 0, np.exp(-d / 13.0) - 1.0, np.exp(d / 10.0) - 1.0)))
