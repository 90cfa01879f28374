"""`assetpulse eval rul`: C-MAPSS (FD001 layout); tune on training engines held out engine-wise, refit on all
training engines, predict the RUL at the last cycle of every test engine, score RMSE and PHM08."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from detection.rul import Engine, FloatArray, ModelConfig, RulModel, engine_folds, phm08_score, rmse

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


def cut_rul(length: int, rng: np.random.Generator) -> int:
    """Cycles left at a random cut of a run of `length` cycles, as the C-MAPSS test set has them: between
    `MIN_RUL` and `MAX_RUL`, keeping at least `MIN_HISTORY` cycles of history when the run is long enough."""
    return int(rng.integers(MIN_RUL, max(min(MAX_RUL, length - MIN_HISTORY), MIN_RUL) + 1))


def truncate(engines: Sequence[Engine], seed: int) -> tuple[list[Engine], FloatArray]:
    """Cut run-to-failure engines at random cycles (`cut_rul`): the histories and their true RUL."""
    rng = np.random.default_rng(seed)
    cut, truth = [], []
    for engine in engines:
        keep = max(len(engine.cycles) - cut_rul(len(engine.cycles), rng), 1)
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


@dataclass(frozen=True, slots=True)
class CrossValidation:
    """Scores of one configuration over engine-wise folds, at random cuts of each held-out engine."""

    rmse: float  # against the true RUL at the cut, as `evaluate` scores the test engines
    capped_rmse: float  # against the true RUL capped at the model's cap
    phm08_per_engine: float  # mean PHM08 term per cut
    cuts: int
    band_coverage: float | None = None  # share of true RUL inside the band (when the band was fitted)
    mean_band_width: float | None = None


def cross_validate(engines: Sequence[Engine], config: ModelConfig, *, folds: int = 5, cuts: int = 10,
                   seed: int = 0, band: bool = False) -> CrossValidation:  # fmt: skip
    """Fit `config` on all folds but one (engine-wise), score `cuts` random cuts (`cut_rul`) of every engine of
    the held-out fold, over every fold.  Features are causal, so the estimate at a cut is the estimate at that
    cycle of the whole engine's path."""
    rng = np.random.default_rng(seed + 1)
    point, low, high, truth = [], [], [], []
    for held in engine_folds(len(engines), folds, seed):
        held_set = set(held.tolist())
        model = RulModel(config)
        model.fit([e for i, e in enumerate(engines) if i not in held_set], band=band)
        for i in held:
            engine = engines[i]
            path = model.path(engine)
            rows = np.array([len(engine.cycles) - 1 - cut_rul(len(engine.cycles), rng) for _ in range(cuts)])
            rows = np.maximum(rows, 0)
            estimate = path[rows]
            lower, upper = model.band_around(estimate)
            point.append(estimate)
            low.append(lower)
            high.append(upper)
            truth.append(engine.cycles[-1] - engine.cycles[rows])
    p, lo, hi, t = (np.concatenate(a) for a in (point, low, high, truth))
    return CrossValidation(
        rmse=rmse(p, t),
        capped_rmse=rmse(p, np.minimum(t, config.cap)),
        phm08_per_engine=phm08_score(p, t) / len(t),
        cuts=len(t),
        band_coverage=float(np.mean((t >= lo) & (t <= hi))) if band else None,
        mean_band_width=float(np.mean(hi - lo)) if band else None,
    )
