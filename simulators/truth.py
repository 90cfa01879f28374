"""Ground truth of a simulated run or a replay: which device had which fault, when, on which metrics.

Written as JSON (`*.json`: run metadata, devices and faults) or CSV (any other suffix: one row per fault), so
detection can be scored against it.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import orjson

from simulators.faults import FaultRecord

CSV_COLUMNS = (
    "tenant",
    "device_key",
    "device_type",
    "kind",
    "category",
    "onset",
    "failure",
    "end",
    "metrics",
)


@dataclass(frozen=True, slots=True)
class DeviceRecord:
    device_key: str
    device_type: str


@dataclass(slots=True)
class GroundTruth:
    """What was simulated: `faults` are in onset order; times are simulated (reading) timestamps."""

    tenant: str
    start: datetime
    sample_interval_s: float | None
    seed: int | None = None
    scenario: str = ""
    end: datetime | None = None
    devices: list[DeviceRecord] = field(default_factory=list)
    faults: list[FaultRecord] = field(default_factory=list)

    def device_type(self, device_key: str) -> str:
        return next((d.device_type for d in self.devices if d.device_key == device_key), "")

    def faults_of(self, device_key: str) -> list[FaultRecord]:
        return [f for f in self.faults if f.device_key == device_key]

    def observed_until(self, end: datetime) -> GroundTruth:
        """The truth of a run that stopped at `end`: faults that had not begun yet are left out."""
        return GroundTruth(
            tenant=self.tenant,
            start=self.start,
            sample_interval_s=self.sample_interval_s,
            seed=self.seed,
            scenario=self.scenario,
            end=end,
            devices=list(self.devices),
            faults=[f for f in self.faults if f.onset <= end],
        )

    def to_json(self) -> bytes:
        document = {
            "scenario": self.scenario,
            "tenant": self.tenant,
            "seed": self.seed,
            "start": self.start,
            "end": self.end,
            "sample_interval_s": self.sample_interval_s,
            "devices": [{"device_key": d.device_key, "device_type": d.device_type} for d in self.devices],
            "faults": [self._fault_row(f) | {"params": f.params} for f in self.faults],
        }
        return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_UTC_Z)

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for fault in self.faults:
            row = self._fault_row(fault)
            writer.writerow({k: _csv_cell(row[k]) for k in CSV_COLUMNS})
        return out.getvalue()

    def write(self, path: Path) -> None:
        """Write atomically (a reader never sees half a file): JSON for `*.json`, CSV otherwise."""
        data = self.to_json() if path.suffix.lower() == ".json" else self.to_csv().encode()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _fault_row(self, fault: FaultRecord) -> dict[str, object]:
        return {
            "tenant": self.tenant,
            "device_key": fault.device_key,
            "device_type": self.device_type(fault.device_key),
            "kind": fault.kind,
            "category": fault.category,
            "onset": fault.onset,
            "failure": fault.failure,
            "end": fault.end,
            "metrics": list(fault.metrics),
        }


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)
