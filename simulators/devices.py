"""A simulated device: its signal model, its faults, its reading counter and its store-and-forward buffer.

Pure: a device is sampled at a given simulated instant and answers with a reading group (or nothing when every
metric dropped out) and whether it is offline; the MQTT side (`simulators.fleet`) decides what to send.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from ingest.payloads import ReadingGroup, reading
from simulators.faults import Fault, buffer_limit, combined_effects, distort, is_offline
from simulators.signals import ASSET_TYPES, AssetModel, device_rng, profile_for

DEFAULT_BATCH_SIZE = 500
_GOLDEN = 0.6180339887498949


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """Who a simulated device is: its key, asset type and the number within its type (1-based)."""

    key: str
    asset_type: str
    number: int

    @property
    def random_id(self) -> tuple[int, int]:
        """Identifies the device's random streams: independent of the rest of the fleet."""
        return (ASSET_TYPES.index(self.asset_type), self.number)

    def phase_s(self, interval_s: float) -> float:
        """Offset of this device's sampling grid, so a fleet does not report all at the same instant."""
        type_index, number = self.random_id
        return interval_s * ((0.25 * type_index + _GOLDEN * number) % 1.0)

    @property
    def metrics(self) -> tuple[str, ...]:
        return profile_for(self.asset_type).metrics


@dataclass(frozen=True, slots=True)
class Sample:
    elapsed_s: float
    group: ReadingGroup | None
    offline: bool


class SimulatedDevice:
    """Samples one device at increasing simulated instants (seconds since the start of the run)."""

    def __init__(self, spec: DeviceSpec, faults: list[Fault], *, seed: int, start: datetime, interval_s: float) -> None:
        self.spec = spec
        self.start = start
        self.interval_s = interval_s
        self.faults = faults
        self.model = AssetModel(profile_for(spec.asset_type), device_rng(seed, spec.random_id), start=start)
        self._fault_streams = [(f, device_rng(seed, spec.random_id, 1 + i)) for i, f in enumerate(faults)]
        self._elapsed_s = 0.0
        self._seq = 0

    @property
    def key(self) -> str:
        return self.spec.key

    def sample_offset(self, k: int) -> float:
        """Simulated seconds since the start at which sample number `k` (from 0) is taken."""
        return self.spec.phase_s(self.interval_s) + k * self.interval_s

    def sample(self, elapsed_s: float) -> Sample:
        if elapsed_s < self._elapsed_s:
            raise ValueError(f"{self.key}: time went backwards ({elapsed_s} < {self._elapsed_s})")
        effects = combined_effects(self._fault_streams, elapsed_s)
        metrics = self.model.step(elapsed_s - self._elapsed_s, effects)
        self._elapsed_s = elapsed_s
        distort(self._fault_streams, elapsed_s, metrics)
        group = None
        if metrics:
            group = reading(self.start + timedelta(seconds=elapsed_s), metrics, self._seq)
            self._seq += 1
        return Sample(elapsed_s, group, is_offline(self.faults, elapsed_s))

    def backlog_limit(self) -> int:
        return buffer_limit(self.faults)


class Backlog:
    """Readings a device holds while it cannot send them; when full, the oldest are dropped (and counted)."""

    def __init__(self, limit: int = 100_000) -> None:
        if limit < 1:
            raise ValueError("backlog limit must be at least 1")
        self._items: deque[ReadingGroup] = deque(maxlen=limit)
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._items)

    def append(self, group: ReadingGroup) -> None:
        if len(self._items) == self._items.maxlen:
            self.dropped += 1
        self._items.append(group)

    def requeue(self, groups: list[ReadingGroup]) -> None:
        """Put readings taken by `take_batch` back at the front, in their order (they were not delivered)."""
        for group in reversed(groups):
            if len(self._items) == self._items.maxlen:
                self.dropped += 1
                self._items.pop()  # full: the newest reading makes room, as `append` drops the oldest
            self._items.appendleft(group)

    def take_batch(self, max_groups: int = DEFAULT_BATCH_SIZE) -> list[ReadingGroup]:
        """The oldest `max_groups` readings, removed from the backlog."""
        count = min(max_groups, len(self._items))
        return [self._items.popleft() for _ in range(count)]
