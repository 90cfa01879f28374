"""`assetpulse eval skab`: SKAB's outlier task; per file, the first 400 rows fit the model, the rest is scored.

Metrics follow SKAB's leaderboard: the `anomaly` labels and the alarms of every test part are concatenated, and
F1, FAR = FP / (FP + TN) and MAR = FN / (FN + TP) are computed point-wise over them (fractions, not percent).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from detection.multivariate import AlarmRule, FloatArray, Scorer

TRAIN_ROWS = 400
SKIPPED_COLUMNS = ("datetime", "anomaly", "changepoint")


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


def detect_file(data_file: SkabFile, make_scorer: Callable[[], Scorer], rule: AlarmRule) -> NDArray[np.bool_]:
    """Alarms for the test rows of one file, from a model and a limit fitted on its first 400 rows only."""
    train, test = data_file.rows[:TRAIN_ROWS], data_file.rows[TRAIN_ROWS:]
    scorer = make_scorer()
    scorer.fit(train)
    healthy_scores = scorer.score(train)
    return rule.alarms(scorer.score(test), rule.limit(healthy_scores), history=healthy_scores)


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
