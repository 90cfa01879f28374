"""Simulated readings without MQTT, from the simulator's own device code: training history, a healthy fleet,
and the "twin" (same device and seed, without its faults) that tells when a fault became detectable."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np

from detection.features import FloatArray, Frame, frame_from_columns
from ingest.payloads import ReadingGroup
from simulators.devices import DeviceSpec, SimulatedDevice
from simulators.faults import Fault


def simulate(
    spec: DeviceSpec, faults: list[Fault], *, seed: int, start: datetime, interval_s: float, samples: int
) -> list[ReadingGroup]:
    """The reading groups device `spec` sends over `samples` sampling instants (dropped-out rows omitted)."""
    device = SimulatedDevice(spec, faults, seed=seed, start=start, interval_s=interval_s)
    out = []
    for k in range(samples):
        group = device.sample(device.sample_offset(k)).group
        if group is not None:
            out.append(group)
    return out


def columns_of(groups: Sequence[ReadingGroup]) -> tuple[FloatArray, dict[str, FloatArray]]:
    """Epoch-second timestamps and one NaN-padded column per metric."""
    ts = np.array([g.ts.timestamp() for g in groups], dtype=np.float64)
    names = sorted({name for g in groups for name in g.metrics})
    columns = {n: np.array([g.metrics.get(n, np.nan) for g in groups], dtype=np.float64) for n in names}
    return ts, columns


def frame_of(groups: Sequence[ReadingGroup], signals: Sequence[str]) -> Frame:
    ts, columns = columns_of(groups)
    return frame_from_columns(ts, columns, signals)
