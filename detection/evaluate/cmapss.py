"""`assetpulse eval rul`: C-MAPSS (FD001 layout); tune on training engines held out engine-wise, refit on all
training engines, predict the RUL at the last cycle of every test engine, score RMSE and PHM08."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from detection.rul import Engine, FloatArray, ModelConfig, RulModel, phm08_score, rmse

log = logging.getLogger(__name__)

MIN_RUL, MAX_RUL, MIN_HISTORY = 5, 145, 31
SENSOR_START = 5  # unit, cycle, three operational settings, then the 21 sensors
CANDIDATES = (
    ModelConfig(max_iter=150, learning_rate=0.05, max_leaf_nodes=7),
    ModelConfig(max_iter=150, learning_rate=0.05, max_leaf_nodes=15),
)


@dataclass(frozen=True, slots=True)
class RulReport:
    rmse: float
    phm08_score: float
    engines: int
    band_coverage: float
    mean_band_width: float
    config: ModelConfig
    validation_rmse: float


def load_engines(path: Path) -> list[Engine]:
    """Whitespace-separated C-MAPSS rows grouped by unit, in cycle order."""
    table = np.loadtxt(path, dtype=np.float64, ndmin=2)
    engines = []
    for unit in np.unique(table[:, 0]):
        rows = table[table[:, 0] == unit]
        rows = rows[np.argsort(rows[:, 1])]
        engines.append(Engine(int(unit), rows[:, 1], rows[:, SENSOR_START:]))
    return engines


def load_truth(path: Path) -> FloatArray:
    return np.loadtxt(path, dtype=np.float64, ndmin=1).reshape(-1)


def truncate(engines: Sequence[Engine], seed: int) -> tuple[list[Engine], FloatArray]:
    """Cut run-to-failure engines at random cycles, as the C-MAPSS test set does (true RUL up to about 145 and
    at least 31 cycles of history): the histories and their true RUL."""
    rng = np.random.default_rng(seed)
    cut, truth = [], []
    for engine in engines:
        length = len(engine.cycles)
        rul = int(rng.integers(MIN_RUL, max(min(MAX_RUL, length - MIN_HISTORY), MIN_RUL) + 1))
        keep = max(length - rul, 1)
        cut.append(Engine(engine.unit, engine.cycles[:keep], engine.sensors[:keep]))
        truth.append(float(engine.cycles[-1] - engine.cycles[keep - 1]))
    return cut, np.array(truth)


def split_engines(engines: Sequence[Engine], every: int) -> tuple[list[Engine], list[Engine]]:
    """Engine-wise split: every `every`-th engine is held out."""
    held = [e for i, e in enumerate(engines) if i % every == every - 1]
    kept = [e for i, e in enumerate(engines) if i % every != every - 1]
    return kept, held


def tune(engines: Sequence[Engine], candidates: Sequence[ModelConfig] = CANDIDATES) -> tuple[ModelConfig, float]:
    """The candidate with the lowest RMSE on training engines held out (a fifth of them, truncated at random)."""
    fit_on, held = split_engines(engines, 5)
    histories, truth = truncate(held, seed=0)
    best: tuple[ModelConfig, float] | None = None
    for config in candidates:
        model = RulModel(config)
        model.fit(fit_on, band=False)
        error = rmse(model.predict_last(histories)[0], np.minimum(truth, 125.0))
        log.info("validation RMSE %.3f for %s", error, config)
        if best is None or error < best[1]:
            best = (config, error)
    if best is None:
        raise ValueError("no candidate configuration")
    return best


def evaluate(train: Sequence[Engine], test: Sequence[Engine], truth: FloatArray) -> RulReport:
    """Tune on held-out training engines, refit on all of them, and score the test engines."""
    if len(test) != len(truth):
        raise ValueError(f"{len(test)} test engines but {len(truth)} true RUL values")
    config, validation = tune(train)
    model = RulModel(config)
    model.fit(train)
    point, low, high = model.predict_last(test)
    return RulReport(
        rmse=rmse(point, truth),
        phm08_score=phm08_score(point, truth),
        engines=len(test),
        band_coverage=float(np.mean((truth >= low) & (truth <= high))),
        mean_band_width=float(np.mean(high - low)),
        config=config,
        validation_rmse=validation,
    )
