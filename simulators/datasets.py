"""Public anomaly data sets read as one device's readings, with their labels as ground truth (pure parsing).

SKAB (Skoltech Anomaly Benchmark): ';'-separated, a `datetime` column, the sensor columns, and the label
columns `anomaly` and `changepoint`, which are labels, never metrics.  NAB (Numenta Anomaly Benchmark):
`timestamp,value`; its labelled anomaly windows come from `labels/combined_windows.json` beside `data/`.
Timestamps without a zone are taken as UTC (only their spacing matters once re-based).
"""

from __future__ import annotations

import csv
import itertools
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import orjson

from service_core.exceptions import InvalidInput
from simulators.faults import FaultRecord

Format = Literal["skab", "nab"]
SKAB_LABEL_COLUMNS = ("anomaly", "changepoint")
_METRIC_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.]{0,63}$")


class DatasetError(InvalidInput):
    """A data file that cannot be replayed, with a message that says why."""


@dataclass(frozen=True, slots=True)
class LabelledSpan:
    kind: str
    onset: datetime
    end: datetime | None


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    format: Format
    timestamps: list[datetime]
    rows: list[dict[str, float]]
    labels: list[LabelledSpan]

    @property
    def metrics(self) -> list[str]:
        return sorted({name for row in self.rows for name in row})

    @property
    def span(self) -> timedelta:
        return self.timestamps[-1] - self.timestamps[0]

    def rebased(self, start: datetime) -> list[datetime]:
        """The timestamps moved to begin at `start`, with their original spacing."""
        first = self.timestamps[0]
        return [start + (ts - first) for ts in self.timestamps]

    def truth_records(self, device_key: str, start: datetime) -> list[FaultRecord]:
        """The labels as ground truth, on the re-based time line."""
        shift = start - self.timestamps[0]
        return [
            FaultRecord(
                device_key=device_key,
                kind=span.kind,
                category="labelled",
                onset=span.onset + shift,
                failure=None,
                end=None if span.end is None else span.end + shift,
                metrics=tuple(self.metrics),
                params={"source": self.name},
            )
            for span in self.labels
        ]


def sanitise_metric_name(column: str) -> str:
    """A column name as a metric name (`^[A-Za-z][A-Za-z0-9_.]{0,63}$`): `Volume Flow RateRMS` ->
    `Volume_Flow_RateRMS`."""
    name = re.sub(r"[^A-Za-z0-9_.]+", "_", column.strip()).strip("_.")
    if not name or not name[0].isalpha():
        name = "m_" + name
    name = name[:64]
    if not _METRIC_NAME.match(name):  # pragma: no cover - the substitutions above make this unreachable
        raise DatasetError(f"column {column!r} cannot be made a metric name")
    return name


def detect_format(path: Path) -> Format:
    header = _first_line(path)
    if ";" in header and "datetime" in header.split(";"):
        return "skab"
    if [c.strip() for c in header.split(",")] == ["timestamp", "value"]:
        return "nab"
    raise DatasetError(f"{path}: cannot tell the format from its header {header[:80]!r}; give --format skab|nab")


def load_dataset(path: Path, fmt: Literal["auto", "skab", "nab"] = "auto") -> Dataset:
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    chosen: Format = detect_format(path) if fmt == "auto" else fmt
    loader = _load_skab if chosen == "skab" else _load_nab
    try:
        dataset = loader(path)
    except (ValueError, KeyError, csv.Error) as exc:
        raise DatasetError(f"{path}: not a {chosen.upper()} file: {exc}") from exc
    if not dataset.rows:
        raise DatasetError(f"{path}: no readings")
    return _in_time_order(dataset)


def _in_time_order(dataset: Dataset) -> Dataset:
    stamps = dataset.timestamps
    if all(a <= b for a, b in itertools.pairwise(stamps)):
        return dataset
    order = sorted(range(len(stamps)), key=stamps.__getitem__)
    rows = [dataset.rows[i] for i in order]
    return Dataset(dataset.name, dataset.format, [stamps[i] for i in order], rows, dataset.labels)


def _load_skab(path: Path) -> Dataset:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle, delimiter=";")
        if not reader.fieldnames or "datetime" not in reader.fieldnames:
            raise ValueError("no 'datetime' column")
        sensors = [c for c in reader.fieldnames if c != "datetime" and c not in SKAB_LABEL_COLUMNS]
        names = _unique_names(sensors)
        timestamps, rows, flags = [], [], []
        for record in reader:
            timestamps.append(_parse_time(record["datetime"]))
            rows.append(_finite_values({names[c]: record[c] for c in sensors}))
            flags.append({label: _flag(record.get(label)) for label in SKAB_LABEL_COLUMNS})
    return Dataset(path.stem, "skab", timestamps, rows, _skab_labels(timestamps, flags))


def _load_nab(path: Path) -> Dataset:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or "timestamp" not in reader.fieldnames:
            raise ValueError("no 'timestamp' column")
        timestamps, rows = [], []
        for record in reader:
            timestamps.append(_parse_time(record["timestamp"]))
            rows.append(_finite_values({"value": record["value"]}))
    return Dataset(path.stem, "nab", timestamps, rows, _nab_labels(path))


def _skab_labels(timestamps: list[datetime], flags: list[dict[str, bool]]) -> list[LabelledSpan]:
    """Runs of `anomaly == 1` as spans (ending at the next normal row), `changepoint == 1` as points."""
    spans: list[LabelledSpan] = []
    run_start: datetime | None = None
    for ts, flag in zip(timestamps, flags, strict=True):
        if flag["changepoint"]:
            spans.append(LabelledSpan("changepoint", ts, ts))
        if flag["anomaly"] and run_start is None:
            run_start = ts
        elif not flag["anomaly"] and run_start is not None:
            spans.append(LabelledSpan("anomaly", run_start, ts))
            run_start = None
    if run_start is not None:
        spans.append(LabelledSpan("anomaly", run_start, timestamps[-1]))
    return sorted(spans, key=lambda s: (s.onset, s.kind))


def _nab_labels(path: Path) -> list[LabelledSpan]:
    """NAB's labelled windows for this file, when the data set's `labels/combined_windows.json` is there."""
    for root in path.parents:
        labels_file = root / "labels" / "combined_windows.json"
        if labels_file.is_file() and (root / "data") in path.parents:
            key = path.relative_to(root / "data").as_posix()
            windows = orjson.loads(labels_file.read_bytes()).get(key, [])
            return [LabelledSpan("anomaly_window", _parse_time(a), _parse_time(b)) for a, b in windows]
    return []


def _unique_names(columns: list[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for column in columns:
        name, n = sanitise_metric_name(column), 2
        while name in names.values():
            name, n = f"{sanitise_metric_name(column)[:60]}_{n}", n + 1
        names[column] = name
    return names


def _finite_values(raw: dict[str, str | None]) -> dict[str, float]:
    values: dict[str, float] = {}
    for name, text in raw.items():
        if text is None or not text.strip():
            continue
        value = float(text)
        if math.isfinite(value):
            values[name] = value
    return values


def _flag(text: str | None) -> bool:
    return bool(text and text.strip() and float(text) >= 0.5)


def _parse_time(text: str) -> datetime:
    ts = datetime.fromisoformat(text.strip())
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _first_line(path: Path) -> str:
    try:
        with path.open(encoding="utf-8") as handle:
            return handle.readline().strip().lstrip("\ufeff")
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read: {exc}") from exc
