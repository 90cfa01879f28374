"""Remaining useful life from run-to-failure histories: trailing-window features, a gradient-boosting regressor
for the (capped) RUL and two quantile models for an uncertainty band.  Features at a cycle use that cycle and
earlier ones only, so the same model scores a live asset from its history so far."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from sklearn.ensemble import HistGradientBoostingRegressor

FloatArray = NDArray[np.float64]
RUL_CAP = 125.0
WINDOWS = (5, 15, 30)
TINY = 1e-9


@dataclass(frozen=True, slots=True)
class Engine:
    unit: int
    cycles: FloatArray
    sensors: FloatArray


@dataclass(frozen=True, slots=True)
class ModelConfig:
    max_iter: int = 300
    learning_rate: float = 0.05
    max_leaf_nodes: int = 15
    min_samples_leaf: int = 20
    band: tuple[float, float] = (0.1, 0.9)


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


def features(engine: Engine, columns: Sequence[int]) -> FloatArray:
    """One row per cycle: the cycle, last values, trailing means, spreads and slopes of the chosen sensors."""
    values = engine.sensors[:, list(columns)]
    parts = [engine.cycles[:, None], values]
    for window in WINDOWS:
        mean = trailing_mean(values, window)
        spread = np.sqrt(np.maximum(trailing_mean(values**2, window) - mean**2, 0.0))
        parts.extend([mean, spread])
    parts.extend(trailing_slope(values, window) for window in (10, 30))
    return np.hstack(parts)


@dataclass(slots=True)
class RulModel:
    """Point estimate and quantile band of the capped RUL, fitted on run-to-failure engines."""

    config: ModelConfig = field(default_factory=ModelConfig)
    columns: list[int] = field(default_factory=list)
    _models: list[HistGradientBoostingRegressor] = field(default_factory=list)

    def fit(self, engines: Sequence[Engine], *, band: bool = True) -> None:
        """Fit the point model and, with `band`, the two quantile models."""
        self.columns = informative_columns(engines)
        x = np.vstack([features(e, self.columns) for e in engines])
        y = np.concatenate([capped_rul(e.cycles) for e in engines])
        losses: list[tuple[str, float | None]] = [("squared_error", None)]
        losses += [("quantile", q) for q in self.config.band] if band else []
        self._models = []
        for loss, quantile in losses:
            model = HistGradientBoostingRegressor(
                loss=loss,
                quantile=quantile,
                max_iter=self.config.max_iter,
                learning_rate=self.config.learning_rate,
                max_leaf_nodes=self.config.max_leaf_nodes,
                min_samples_leaf=self.config.min_samples_leaf,
                random_state=0,
            )
            self._models.append(model.fit(x, y))

    def predict_last(self, engines: Sequence[Engine]) -> tuple[FloatArray, FloatArray, FloatArray]:
        """RUL at each engine's last observed cycle: estimate, lower and upper band."""
        x = np.vstack([features(e, self.columns)[-1:] for e in engines])
        point, *bounds = (np.clip(m.predict(x), 0.0, RUL_CAP) for m in self._models)
        low, high = bounds if bounds else (point, point)
        return point, np.minimum(low, point), np.maximum(high, point)


def rmse(predicted: FloatArray, true: FloatArray) -> float:
    return float(np.sqrt(np.mean((predicted - true) ** 2)))


def phm08_score(predicted: FloatArray, true: FloatArray) -> float:
    """PHM08: sum of exp(-d/13) - 1 for early (d < 0) and exp(d/10) - 1 for late predictions, d = pred - true."""
    d = predicted - true
    return float(np.sum(np.where(d < 0, np.exp(-d / 13.0) - 1.0, np.exp(d / 10.0) - 1.0)))
