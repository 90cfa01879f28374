"""`assetpulse eval nab`: run the causal streaming detector over a NAB corpus, write NAB results, score them."""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from detection.evaluate import nab_scoring
from detection.evaluate.nab_scoring import FileRows
from detection.streaming import StreamingConfig, score_series

log = logging.getLogger(__name__)

Detector = Callable[["NabFile"], list[float]]
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True, slots=True)
class NabFile:
    relative_path: str
    timestamps: list[str]
    values: list[float]
    windows: list[tuple[int, int]]


def load_corpus(data_dir: Path) -> list[NabFile]:
    """Every data file listed in `labels/combined_windows.json` that exists under `data/`."""
    labels = json.loads((data_dir / "labels" / "combined_windows.json").read_text())
    corpus = []
    for relative_path in sorted(labels):
        path = data_dir / "data" / relative_path
        if not path.is_file():
            continue
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        timestamps = [r["timestamp"] for r in rows]
        stamps = np.array([t.replace(" ", "T") for t in timestamps], dtype="datetime64[us]")
        windows = nab_scoring.window_bounds(stamps, [(w[0], w[1]) for w in labels[relative_path]])
        corpus.append(NabFile(relative_path, timestamps, [float(r["value"]) for r in rows], windows))
    return corpus


def daily_period(timestamps: Sequence[str], probation: int) -> int:
    """Rows per day from the spacing of the probationary rows' timestamps (0 when a day is longer than them)."""
    head = np.array([t.replace(" ", "T") for t in timestamps[: max(probation, 2)]], dtype="datetime64[s]")
    step = float(np.median(np.diff(head).astype(np.float64))) if len(head) > 1 else 0.0
    period = round(SECONDS_PER_DAY / step) if step > 0 else 0
    return period if 2 <= period <= probation else 0


def streaming_detector(config: StreamingConfig, *, seasonal: bool = True) -> Detector:
    """The causal detector; it learns from the probationary rows like any other and scores every row."""

    def detect(data_file: NabFile) -> list[float]:
        probation = nab_scoring.probationary_length(len(data_file.values))
        period = daily_period(data_file.timestamps, probation) if seasonal else 0
        return score_series(data_file.values, replace(config, period=period))

    return detect


def write_results(out_dir: Path, data_file: NabFile, scores: Sequence[float]) -> None:
    """NAB's results format: timestamp,value,anomaly_score,label, one file per data file."""
    labels = nab_scoring.window_labels(len(data_file.values), data_file.windows)
    target = out_dir / data_file.relative_path
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "value", "anomaly_score", "label"])
        for row in zip(data_file.timestamps, data_file.values, scores, labels, strict=True):
            writer.writerow([row[0], repr(row[1]), f"{row[2]:.6f}", int(row[3])])


def detect_corpus(corpus: Sequence[NabFile], detector: Detector) -> list[NDArray[np.float64]]:
    """Anomaly scores of every file, rounded as they are written to the results files."""
    scores = []
    for data_file in corpus:
        raw = np.clip(np.asarray(detector(data_file), dtype=np.float64), 0.0, 1.0)
        scores.append(np.round(raw, 6))
    return scores


def score_results(corpus: Sequence[NabFile], scores: Sequence[NDArray[np.float64]]) -> dict[str, object]:
    """Normalised NAB score per profile, with each profile's corpus-optimised threshold."""
    files: list[FileRows] = [nab_scoring.file_rows(s, f.windows) for f, s in zip(corpus, scores, strict=True)]
    report: dict[str, object] = {}
    details = {}
    for profile in nab_scoring.PROFILES:
        result = nab_scoring.score_corpus(files, profile)
        report[profile.name.removesuffix("_rate")] = round(result.normalized, 2)
        details[profile.name] = {
            "threshold": result.threshold,
            "raw": round(result.raw, 4),
            "null": round(result.null, 4),
            "perfect": round(result.perfect, 4),
        }
    report["profiles"] = details
    report["files"] = len(files)
    report["windows"] = sum(f.window_count for f in files)
    return report


def split_half(corpus: Sequence[NabFile], scores: Sequence[NDArray[np.float64]], half: int) -> dict[str, object]:
    """Scores (each with its own optimised threshold) of the files at even (`half` 0) or odd (1) positions."""
    chosen = [(f, s) for i, (f, s) in enumerate(zip(corpus, scores, strict=True)) if i % 2 == half]
    if not chosen:
        return {}
    report = score_results([f for f, _ in chosen], [s for _, s in chosen])
    return {k: report[k] for k in ("standard", "reward_low_FP", "reward_low_FN", "files", "windows")}


def holdout_report(corpus: Sequence[NabFile], scores: Sequence[NDArray[np.float64]]) -> dict[str, object]:
    """Scores over the files the detector's settings were not tuned on (odd positions in path order)."""
    return split_half(corpus, scores, 1)
