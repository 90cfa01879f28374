"""`assetpulse eval skab`: SKAB's outlier task; per file, the first 400 rows fit the model, the rest is scored.

Metrics follow SKAB's leaderboard: the `anomaly` labels and the alarms of every test part are concatenated, and
F1, FAR = FP / (FP + TN) and MAR = FN / (FN + TP) are computed point-wise over them (fractions, not percent).

The model and its alarm rule are chosen from a small grid of candidates (scorer x smoothing x limit x hold) by
leave-one-file-out: each file's alarms come from the candidate that does best on the other files (highest F1
among those with FAR <= `MAX_FAR`), so the headline figures never use a file's labels to score that file.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from detection.multivariate import (
    AlarmRule,
    DriftTolerantScorer,
    FloatArray,
    IsolationForestScorer,
    MsetScorer,
    PcaResidualScorer,
    Scorer,
)

TRAIN_ROWS = 400
SKIPPED_COLUMNS = ("datetime", "anomaly", "changepoint")
MAX_FAR = 0.15
MIN_ROUGHNESS = 0.7

# Scorers on the sensors that vary row to row (slowly drifting temperatures are left out, see `rough_columns`).
SCORERS: dict[str, Callable[[], Scorer]] = {
    "mset": lambda: DriftTolerantScorer(MsetScorer(), MIN_ROUGHNESS),
    "pca": lambda: DriftTolerantScorer(PcaResidualScorer(), MIN_ROUGHNESS),
    "isolation_forest": lambda: DriftTolerantScorer(IsolationForestScorer(), MIN_ROUGHNESS),
}
RULES: tuple[AlarmRule, ...] = tuple(
    AlarmRule(smoothing=smoothing, quantile=quantile, factor=factor, hold=hold)
    for smoothing, quantile, factor, hold in itertools.product((10, 30, 60), (0.99, 1.0), (1.0, 1.2, 1.5), (0, 30))
)


@dataclass(frozen=True, slots=True)
class SkabFile:
    name: str
    rows: FloatArray
    anomaly: NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Metrics:
    f1: float
    far: float
    mar: float
    tp: int
    fp: int
    fn: int
    tn: int


@dataclass(frozen=True, slots=True)
class Candidate:
    scorer: str
    rule: AlarmRule

    def describe(self) -> dict[str, object]:
        rule = self.rule
        return {
            "scorer": self.scorer,
            "smoothing": rule.smoothing,
            "quantile": rule.quantile,
            "factor": rule.factor,
            "hold": rule.hold,
        }


@dataclass(frozen=True, slots=True)
class Selection:
    """Leave-one-file-out result: pooled metrics and the candidate used for each file."""

    metrics: Metrics
    chosen: list[Candidate]


def _order(path: Path) -> tuple[int, str]:
    return (int(path.stem), path.name) if path.stem.isdigit() else (1 << 30, path.name)


def load_folder(folder: Path) -> list[SkabFile]:
    """Every labelled `;`-separated CSV of a folder, in numeric order of their names."""
    files = []
    for path in sorted(folder.glob("*.csv"), key=_order):
        with path.open(newline="") as handle:
            reader = csv.DictReader(handle, delimiter=";")
            records = list(reader)
            sensors = [c for c in reader.fieldnames or [] if c not in SKIPPED_COLUMNS]
        if not records or "anomaly" not in records[0]:
            continue
        rows = np.array([[float(r[c]) for c in sensors] for r in records], dtype=np.float64)
        anomaly = np.array([round(float(r["anomaly"])) for r in records], dtype=np.int64)
        files.append(SkabFile(f"{folder.name}/{path.name}", rows, anomaly))
    return files


def load_corpus(data_dir: Path) -> list[SkabFile]:
    """The labelled files of every sub-folder (folders without labels, like anomaly-free, are skipped)."""
    return [f for folder in sorted(p for p in data_dir.iterdir() if p.is_dir()) for f in load_folder(folder)]


def file_scores(data_file: SkabFile, make_scorer: Callable[[], Scorer]) -> tuple[FloatArray, FloatArray]:
    """Scores of the training rows and of the test rows, from a model fitted on the first 400 rows only."""
    train, test = data_file.rows[:TRAIN_ROWS], data_file.rows[TRAIN_ROWS:]
    scorer = make_scorer()
    scorer.fit(train)
    return scorer.score(train), scorer.score(test)


def rule_alarms(scores: tuple[FloatArray, FloatArray], rule: AlarmRule) -> NDArray[np.bool_]:
    """Alarms for the test rows; the limit comes from the training rows' scores only."""
    healthy, test = scores
    return rule.alarms(test, rule.limit(healthy), history=healthy)


def detect_file(data_file: SkabFile, make_scorer: Callable[[], Scorer], rule: AlarmRule) -> NDArray[np.bool_]:
    """Alarms for the test rows of one file, from a model and a limit fitted on its first 400 rows only."""
    return rule_alarms(file_scores(data_file, make_scorer), rule)


def metrics(labels: NDArray[np.int64], alarms: NDArray[np.bool_]) -> Metrics:
    """Point-wise F1, false alarm rate and missed alarm rate."""
    truth = labels.astype(bool)
    tp = int(np.sum(truth & alarms))
    fp = int(np.sum(~truth & alarms))
    fn = int(np.sum(truth & ~alarms))
    tn = int(np.sum(~truth & ~alarms))
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    far = fp / (fp + tn) if fp + tn else 0.0
    mar = fn / (fn + tp) if fn + tp else 0.0
    return Metrics(f1, far, mar, tp, fp, fn, tn)


def evaluate(files: Sequence[SkabFile], make_scorer: Callable[[], Scorer], rule: AlarmRule) -> Metrics:
    """Metrics over the concatenated test parts of `files`."""
    labels = np.concatenate([f.anomaly[TRAIN_ROWS:] for f in files])
    alarms = np.concatenate([detect_file(f, make_scorer, rule) for f in files])
    return metrics(labels, alarms)


def candidate_alarms(
    files: Sequence[SkabFile], scorers: dict[str, Callable[[], Scorer]], rules: Sequence[AlarmRule]
) -> dict[Candidate, list[NDArray[np.bool_]]]:
    """Test-row alarms of every file under every candidate (each scorer is fitted once per file)."""
    alarms: dict[Candidate, list[NDArray[np.bool_]]] = {}
    for name, make in scorers.items():
        scores = [file_scores(f, make) for f in files]
        for rule in rules:
            alarms[Candidate(name, rule)] = [rule_alarms(s, rule) for s in scores]
    return alarms


def pooled(
    files: Sequence[SkabFile], alarms: Sequence[NDArray[np.bool_]], indices: Sequence[int] | None = None
) -> Metrics:
    """Metrics over the concatenated test parts of the files at `indices` (all files by default)."""
    chosen = range(len(files)) if indices is None else indices
    labels = np.concatenate([files[i].anomaly[TRAIN_ROWS:] for i in chosen])
    return metrics(labels, np.concatenate([alarms[i] for i in chosen]))


def best_candidate(
    files: Sequence[SkabFile],
    alarms: dict[Candidate, list[NDArray[np.bool_]]],
    indices: Sequence[int],
    max_far: float = MAX_FAR,
) -> Candidate:
    """The candidate with the highest F1 among those with FAR <= max_far on `indices` (highest F1 if none)."""

    def key(candidate: Candidate) -> tuple[bool, float]:
        result = pooled(files, alarms[candidate], indices)
        return (result.far <= max_far, result.f1)

    return max(alarms, key=key)


def leave_one_file_out(
    files: Sequence[SkabFile], alarms: dict[Candidate, list[NDArray[np.bool_]]], max_far: float = MAX_FAR
) -> Selection:
    """Each file is scored by the candidate chosen on all the other files."""
    chosen = [
        best_candidate(files, alarms, [j for j in range(len(files)) if j != i], max_far) for i in range(len(files))
    ]
    held = [alarms[candidate][i] for i, candidate in enumerate(chosen)]
    return Selection(pooled(files, held), chosen)
