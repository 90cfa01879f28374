"""Injectable faults and the ground truth each one leaves behind (pure: no I/O).

Three categories:
  equipment     change the physics through `signals.Effects`: gradual degradations that end in a failure
                (`bearing_wear`, `fouling`; the asset trips at the failure time and stays down until repaired)
                and sudden faults (`overheating`, `leak`, `electrical`).
  sensor        distort what one metric reports without touching the physics (`stuck`, `dropout`, `spike`,
                `drift`).
  connectivity  `connectivity_loss`: the device is offline; it keeps measuring, buffers the readings and
                flushes them as a backlog, with their original timestamps, when it is back.

Times are seconds of simulated time since the start of the run (`onset_s`); `FaultRecord` turns them into
absolute timestamps for the ground truth.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from enum import StrEnum
from typing import ClassVar, Literal

import numpy as np

from simulators.signals import NO_EFFECTS, Effects

Category = Literal["equipment", "sensor", "connectivity", "labelled"]


class FaultKind(StrEnum):
    BEARING_WEAR = "bearing_wear"
    FOULING = "fouling"
    OVERHEATING = "overheating"
    LEAK = "leak"
    ELECTRICAL = "electrical"
    STUCK = "stuck"
    DROPOUT = "dropout"
    SPIKE = "spike"
    DRIFT = "drift"
    CONNECTIVITY_LOSS = "connectivity_loss"


@dataclass(frozen=True, slots=True)
class FaultRecord:
    """Ground truth of one injected fault (or one labelled anomaly of a replayed data set)."""

    device_key: str
    kind: str
    category: Category
    onset: datetime
    failure: datetime | None
    end: datetime | None
    metrics: tuple[str, ...]
    params: dict[str, float | str] = field(default_factory=dict)


@dataclass(kw_only=True)
class Fault(ABC):
    """A fault on one device, active from `onset_s` for `duration_s` seconds (None: until the run ends)."""

    kind: ClassVar[FaultKind]
    category: ClassVar[Category]
    symptoms: ClassVar[tuple[str, ...]] = ()

    device_key: str
    onset_s: float
    duration_s: float | None = None

    @property
    def end_s(self) -> float | None:
        return None if self.duration_s is None else self.onset_s + self.duration_s

    @property
    def failure_s(self) -> float | None:
        return None

    def is_active(self, elapsed_s: float) -> bool:
        end = self.end_s
        return self.onset_s <= elapsed_s and (end is None or elapsed_s < end)

    def affected_metrics(self, device_metrics: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(m for m in self.symptoms if m in device_metrics)

    def params(self) -> dict[str, float | str]:
        base = {"device_key", "onset_s", "duration_s"}
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in base and f.init}

    def record(self, start: datetime, device_metrics: tuple[str, ...]) -> FaultRecord:
        def at(offset: float | None) -> datetime | None:
            return None if offset is None else start + timedelta(seconds=offset)

        onset = start + timedelta(seconds=self.onset_s)
        return FaultRecord(
            device_key=self.device_key,
            kind=self.kind.value,
            category=self.category,
            onset=onset,
            failure=at(self.failure_s),
            end=at(self.end_s),
            metrics=self.affected_metrics(device_metrics),
            params=self.params(),
        )


# -- equipment -----------------------------------------------------------------------------------------------
class EquipmentFault(Fault):
    category: ClassVar[Category] = "equipment"

    def effects(self, elapsed_s: float, rng: np.random.Generator) -> Effects:
        if not self.is_active(elapsed_s):
            return NO_EFFECTS
        return self._effects(elapsed_s, rng)

    @abstractmethod
    def _effects(self, elapsed_s: float, rng: np.random.Generator) -> Effects: ...


@dataclass(kw_only=True)
class Degradation(EquipmentFault):
    """Wear that grows from the onset to a failure after `time_to_failure_s`; the asset then trips and stays
    down until `repair_after_s` later (None: for the rest of the run)."""

    time_to_failure_s: float
    repair_after_s: float | None = None

    def __post_init__(self) -> None:
        if self.time_to_failure_s <= 0:
            raise ValueError("time_to_failure_s must be positive")
        self.duration_s = None if self.repair_after_s is None else self.time_to_failure_s + self.repair_after_s

    @property
    def failure_s(self) -> float:
        return self.onset_s + self.time_to_failure_s

    def progress(self, elapsed_s: float) -> float:
        """0 at the onset, 1 at the failure."""
        return min(1.0, max(0.0, (elapsed_s - self.onset_s) / self.time_to_failure_s))

    def _effects(self, elapsed_s: float, rng: np.random.Generator) -> Effects:
        worn = self._wear(self.progress(elapsed_s))
        return worn.combine(Effects(tripped=True)) if elapsed_s >= self.failure_s else worn

    @abstractmethod
    def _wear(self, progress: float) -> Effects: ...


@dataclass(kw_only=True)
class BearingWear(Degradation):
    kind: ClassVar[FaultKind] = FaultKind.BEARING_WEAR
    symptoms: ClassVar[tuple[str, ...]] = ("vibration_rms", "temperature", "discharge_temperature")

    vibration_gain_at_failure: float = 5.0
    heat_at_failure: float = 25.0

    def _wear(self, progress: float) -> Effects:
        severity = progress**2  # slow at first, accelerating toward the failure (P-F curve)
        return Effects(
            vibration_gain=1.0 + (self.vibration_gain_at_failure - 1.0) * severity,
            extra_heat=self.heat_at_failure * severity,
        )


@dataclass(kw_only=True)
class Fouling(Degradation):
    kind: ClassVar[FaultKind] = FaultKind.FOULING
    symptoms: ClassVar[tuple[str, ...]] = ("flow", "pressure", "current", "temperature")

    flow_loss_at_failure: float = 0.5
    pressure_rise_at_failure: float = 0.35
    current_rise_at_failure: float = 0.25

    def _wear(self, progress: float) -> Effects:
        severity = progress**1.5
        return Effects(
            flow_factor=1.0 - self.flow_loss_at_failure * severity,
            pressure_factor=1.0 + self.pressure_rise_at_failure * severity,
            current_factor=1.0 + self.current_rise_at_failure * severity,
        )


@dataclass(kw_only=True)
class Overheating(EquipmentFault):
    """Lost cooling: the machine heats `delta_c` above normal, through its thermal lag."""

    kind: ClassVar[FaultKind] = FaultKind.OVERHEATING
    symptoms: ClassVar[tuple[str, ...]] = ("temperature", "discharge_temperature")

    delta_c: float = 30.0

    def _effects(self, elapsed_s: float, rng: np.random.Generator) -> Effects:
        return Effects(extra_heat=self.delta_c)


@dataclass(kw_only=True)
class Leak(EquipmentFault):
    kind: ClassVar[FaultKind] = FaultKind.LEAK
    symptoms: ClassVar[tuple[str, ...]] = ("pressure", "flow")

    severity: float = 0.4

    def _effects(self, elapsed_s: float, rng: np.random.Generator) -> Effects:
        return Effects(pressure_factor=1.0 - self.severity, flow_factor=1.0 - 0.5 * self.severity)


@dataclass(kw_only=True)
class Electrical(EquipmentFault):
    """A failing phase: current imbalance, random current spikes and some extra heat."""

    kind: ClassVar[FaultKind] = FaultKind.ELECTRICAL
    symptoms: ClassVar[tuple[str, ...]] = ("current", "current_imbalance")

    imbalance_pct: float = 12.0
    spike_probability: float = 0.2
    spike_factor: float = 2.5

    def _effects(self, elapsed_s: float, rng: np.random.Generator) -> Effects:
        spiking = float(rng.random()) < self.spike_probability
        return Effects(
            current_imbalance=self.imbalance_pct,
            current_spike=self.spike_factor if spiking else 1.0,
            extra_heat=0.3 * self.imbalance_pct,
        )


# -- sensor --------------------------------------------------------------------------------------------------
@dataclass(kw_only=True)
class SensorFault(Fault):
    category: ClassVar[Category] = "sensor"

    metric: str = "temperature"

    def affected_metrics(self, device_metrics: tuple[str, ...]) -> tuple[str, ...]:
        return (self.metric,)

    def distort(self, elapsed_s: float, metrics: dict[str, float], rng: np.random.Generator) -> None:
        """Change `metrics` in place as the faulty sensor would report them."""
        if self.is_active(elapsed_s) and self.metric in metrics:
            self._distort(elapsed_s, metrics, rng)

    @abstractmethod
    def _distort(self, elapsed_s: float, metrics: dict[str, float], rng: np.random.Generator) -> None: ...


@dataclass(kw_only=True)
class Stuck(SensorFault):
    """The sensor keeps reporting the value it read at the onset."""

    kind: ClassVar[FaultKind] = FaultKind.STUCK
    _held: float | None = field(default=None, init=False, repr=False)

    def _distort(self, elapsed_s: float, metrics: dict[str, float], rng: np.random.Generator) -> None:
        if self._held is None:
            self._held = metrics[self.metric]
        metrics[self.metric] = self._held


@dataclass(kw_only=True)
class Dropout(SensorFault):
    """The metric is missing from the readings."""

    kind: ClassVar[FaultKind] = FaultKind.DROPOUT

    def _distort(self, elapsed_s: float, metrics: dict[str, float], rng: np.random.Generator) -> None:
        del metrics[self.metric]


@dataclass(kw_only=True)
class Spike(SensorFault):
    """With `probability` per reading, the value jumps by `magnitude` times its size (at least 1 unit)."""

    kind: ClassVar[FaultKind] = FaultKind.SPIKE

    probability: float = 0.2
    magnitude: float = 2.0

    def _distort(self, elapsed_s: float, metrics: dict[str, float], rng: np.random.Generator) -> None:
        if float(rng.random()) < self.probability:
            value = metrics[self.metric]
            metrics[self.metric] = round(value + self.magnitude * max(abs(value), 1.0), 4)


@dataclass(kw_only=True)
class Drift(SensorFault):
    """A calibration drift of `rate_per_hour` units per hour of simulated time since the onset."""

    kind: ClassVar[FaultKind] = FaultKind.DRIFT

    rate_per_hour: float = 2.0

    def _distort(self, elapsed_s: float, metrics: dict[str, float], rng: np.random.Generator) -> None:
        offset = self.rate_per_hour * (elapsed_s - self.onset_s) / 3600.0
        metrics[self.metric] = round(metrics[self.metric] + offset, 4)


# -- connectivity --------------------------------------------------------------------------------------------
@dataclass(kw_only=True)
class ConnectivityLoss(Fault):
    """The device is offline; it buffers up to `buffer_limit` readings (oldest dropped first)."""

    kind: ClassVar[FaultKind] = FaultKind.CONNECTIVITY_LOSS
    category: ClassVar[Category] = "connectivity"

    buffer_limit: int = 100_000

    def affected_metrics(self, device_metrics: tuple[str, ...]) -> tuple[str, ...]:
        return device_metrics


FAULT_TYPES: dict[FaultKind, type[Fault]] = {
    cls.kind: cls
    for cls in (
        BearingWear,
        Fouling,
        Overheating,
        Leak,
        Electrical,
        Stuck,
        Dropout,
        Spike,
        Drift,
        ConnectivityLoss,
    )
}


# -- a device's faults together: each fault draws from its own random stream ---------------------------------
def combined_effects(faults: list[tuple[Fault, np.random.Generator]], elapsed_s: float) -> Effects:
    effects = NO_EFFECTS
    for fault, rng in faults:
        if isinstance(fault, EquipmentFault):
            effects = effects.combine(fault.effects(elapsed_s, rng))
    return effects


def distort(faults: list[tuple[Fault, np.random.Generator]], elapsed_s: float, metrics: dict[str, float]) -> None:
    for fault, rng in faults:
        if isinstance(fault, SensorFault):
            fault.distort(elapsed_s, metrics, rng)


def is_offline(faults: list[Fault], elapsed_s: float) -> bool:
    return any(isinstance(f, ConnectivityLoss) and f.is_active(elapsed_s) for f in faults)


def buffer_limit(faults: list[Fault], default: int = 100_000) -> int:
    limits = [f.buffer_limit for f in faults if isinstance(f, ConnectivityLoss)]
    return min(limits) if limits else default
