"""Operating-condition residuals: every other signal predicted from the signals that say what the machine is asked
to do and where it stands (its drivers: the electrical load and the ambient temperature), by ridge regression on
the drivers now and their recent history.

A fault that moves several responses together (lost cooling heats the motor and, with it, the discharge air)
still agrees with itself, so a model that predicts each signal from all the others (`SignalModel`, PCA) barely
sees it; measured against what the load and the weather explain, the same shift stands out at any hour of the
duty cycle.  This is the regression-residual member of the MSET family the detection issue names, with the
operating inputs as its only regressors.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from detection.features import BoolArray, FloatArray, ewma

# Signals that drive the others, by name (device profiles use these): the load the machine carries (its current)
# and its surroundings.  An asset type without any of them has no driver model.
DRIVER_SIGNALS = ("current", "ambient_temperature")
# EWMA spans (rows) of the drivers' history: heat follows the load through a thermal lag of many minutes
DRIVER_SPANS = (5, 10, 20, 40, 80)
RIDGE = 1e-3
MIN_RESIDUAL = 1e-3
# How strongly a unit's adapted coefficients are pulled toward its type's, as a share of the unit's rows: a light
# pull that keeps what the unit's learning day hardly exercises near the type's coefficients
PRIOR_WEIGHT = 0.05
# A gap in a device's readings (offline, or its history and its live stream joined) longer than this many of its
# usual sampling steps breaks the drivers' history: the thermal state moved on unseen.  The EWMAs restart after it
# and the model is silent until the slowest of them has mostly forgotten its restart: 1.5 spans (e^-3 of the
# restart value left in the span-80 EWMA; the faster ones, which carry the thermal lags of minutes, have forgotten
# it entirely).  It was 3 spans (e^-6), which kept the model silent for two hours after every gap: a machine that
# lost its cooling in that time was seen by the multivariate scorer alone, an hour and more late.  Measured on
# healthy units restarted after a gap (48 simulated units x 4 h, tuning seeds), a silence of 30, 60 or 120 rows
# raised no condition the 240 did not.
GAP_STEPS = 5.0
WARMUP_ROWS = 3 * max(DRIVER_SPANS) // 2


def segments(ts: FloatArray) -> list[tuple[int, int]]:
    """[first, last) row ranges of `ts` between gaps (steps over `GAP_STEPS` times the median step)."""
    if len(ts) < 2:
        return [(0, len(ts))]
    steps = np.diff(ts)
    cuts = (np.nonzero(steps > GAP_STEPS * float(np.median(steps)))[0] + 1).tolist()
    bounds = [0, *cuts, len(ts)]
    return list(itertools.pairwise(bounds))


def warm(ts: FloatArray) -> BoolArray:
    """Rows whose drivers' history is trustworthy: not within `WARMUP_ROWS` after a gap (the first segment, whose
    start is the window's, counts as warm: callers give it context rows or skip its warm-up themselves)."""
    out = np.ones(len(ts), dtype=np.bool_)
    for first, last in segments(ts)[1:]:
        out[first : min(last, first + WARMUP_ROWS)] = False
    return out


def driver_indices(signals: Sequence[str]) -> NDArray[np.int64]:
    return np.array([i for i, s in enumerate(signals) if s in DRIVER_SIGNALS], dtype=np.int64)


@dataclass(slots=True)
class DriverModel:
    """Ridge regression of the response signals on driver features (`features`); residuals in their own healthy
    standard deviations; the score of a row is the mean squared residual over its trusted responses."""

    drivers: NDArray[np.int64]
    responses: NDArray[np.int64]
    spans: tuple[int, ...] = DRIVER_SPANS
    coef: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    residual_scale: FloatArray = field(default_factory=lambda: np.ones(0))

    @classmethod
    def for_signals(cls, signals: Sequence[str]) -> DriverModel | None:
        drivers = driver_indices(signals)
        responses = np.array([i for i in range(len(signals)) if i not in set(drivers.tolist())], dtype=np.int64)
        return cls(drivers, responses) if len(drivers) and len(responses) else None

    def features(self, ts: FloatArray, z: FloatArray, raw: FloatArray, running: BoolArray) -> FloatArray:
        """Per row: the drivers now and squared, the EWMAs of both over every row since the last gap (`segments`;
        running rows as scored in `z`, stopped rows as read in `raw`, a missing value keeping the level) and a
        constant.  Heat goes with the square of the current through a first-order lag, so lagged squares at several
        spans span it for any thermal time constant in their range."""
        now = z[:, self.drivers]
        series = np.where(running[:, None], now, raw[:, self.drivers])
        both = np.hstack([series, series**2])
        lagged = np.zeros((len(z), len(self.spans) * both.shape[1]))
        for first, last in segments(ts):
            part = both[first:last]
            start = np.nan_to_num(part[0])
            lagged[first:last] = np.hstack([ewma(part, span, start=start) for span in self.spans])
        return np.hstack([now, now**2, lagged, np.ones((len(z), 1))])

    def fit(self, x: FloatArray, z: FloatArray) -> None:
        """Fit on healthy rows: `x` their features, `z` their standardised signals."""
        y = z[:, self.responses]
        gram = x.T @ x + RIDGE * len(x) * np.eye(x.shape[1])
        self.coef = np.asarray(np.linalg.solve(gram, x.T @ y), dtype=np.float64)
        self.residual_scale = (y - x @ self.coef).std(axis=0) + MIN_RESIDUAL

    def adapted(self, x: FloatArray, z: FloatArray) -> DriverModel:
        """This model refitted on one unit's healthy rows, shrunk toward these coefficients (ridge around them, not
        around zero): a unit's heat per unit of load and its thermal lag differ from its type's with its nameplate.
        The residual scale stays the type's, so a unit's limit means what the type's does."""
        y = z[:, self.responses]
        weight = PRIOR_WEIGHT * len(x)
        gram = x.T @ x + weight * np.eye(x.shape[1])
        coef = np.asarray(np.linalg.solve(gram, x.T @ y + weight * self.coef), dtype=np.float64)
        return DriverModel(self.drivers, self.responses, self.spans, coef, self.residual_scale)

    def residuals(self, x: FloatArray, z: FloatArray) -> FloatArray:
        """Rows x responses: signed residuals in healthy residual standard deviations."""
        return np.asarray((z[:, self.responses] - x @ self.coef) / self.residual_scale, dtype=np.float64)

    def score(self, x: FloatArray, z: FloatArray, distrusted: BoolArray) -> FloatArray:
        """Mean squared residual over each row's trusted responses (0 where none is trusted)."""
        squared = self.residuals(x, z) ** 2
        trusted = ~distrusted[:, self.responses]
        count = trusted.sum(axis=1)
        total = np.where(trusted, squared, 0.0).sum(axis=1)
        return np.asarray(np.where(count > 0, total / np.maximum(count, 1), 0.0), dtype=np.float64)
