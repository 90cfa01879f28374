"""The benchmark's data: N messages of K metrics over D devices, derived from the message index alone.

Every process (publishers, the COPY baseline, the verifier) computes the same message from its index, so no
data set is shipped between processes.  Message `i` belongs to device `i % D`; that device's `i // D`-th
reading is stamped `first_ts_us + (i // D) * step_us`, so timestamps are unique per device and all lie within
the hour before the run.  Values are multiples of 1/1024 below 1024: exactly representable in JSON, float8 and
in sums, which lets the verifier compare what was sent with what was stored without rounding.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import numpy.typing as npt
import orjson

from ingest.payloads import telemetry_topic

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
VALUE_SCALE = 1024
VALUE_UNITS = 1 << 20  # values are units / VALUE_SCALE, below 1024
WINDOW_US = 58 * 60 * 1_000_000  # readings span at most 58 minutes, ending a minute before the run
FINGERPRINT_MODULUS = 2_147_483_647
TS_MODULUS = 1_000_003


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What identifies the readings of one (device, metric) series without listing them."""

    count: int
    sum_units: int  # sum of value * 1024
    sum_offsets: int  # sum of microseconds since `first_ts_us`
    mixed: int  # sum of units * (offset mod 1000003 + 1), mod 2**31 - 1: pairs values with their instants


@dataclass(frozen=True, slots=True)
class BenchSpec:
    messages: int
    metrics: int
    devices: int
    tenant: str
    first_ts_us: int
    step_us: int
    seed: int = 0

    @classmethod
    def generate(
        cls,
        *,
        messages: int,
        metrics: int,
        devices: int,
        now: datetime | None = None,
        tenant: str | None = None,
    ) -> BenchSpec:
        """A spec whose readings all lie in the hour before `now` (the ingestor accepts them)."""
        if messages < 1 or metrics < 1 or devices < 1:
            raise ValueError("messages, metrics and devices must be at least 1")
        per_device = -(-messages // devices)
        step_us = WINDOW_US // per_device
        if step_us < 1:
            raise ValueError(f"{per_device} messages per device do not fit in an hour 1 µs apart; add devices")
        now_us = _epoch_us(now or datetime.now(UTC))
        first_ts_us = now_us - 60_000_000 - (per_device - 1) * step_us
        return cls(
            messages=messages,
            metrics=metrics,
            devices=devices,
            tenant=tenant or f"bench_{secrets.token_hex(4)}",
            first_ts_us=first_ts_us,
            step_us=step_us,
            seed=secrets.randbelow(VALUE_UNITS),
        )

    # -- names ------------------------------------------------------------------------------------------
    @property
    def sent_readings(self) -> int:
        return self.messages * self.metrics

    def device_key(self, device: int) -> str:
        return f"dev-{device:05d}"

    def device_keys(self) -> list[str]:
        return [self.device_key(d) for d in range(self.devices)]

    def metric_name(self, metric: int) -> str:
        return f"bench_m{metric:02d}"

    def metric_names(self) -> list[str]:
        return [self.metric_name(k) for k in range(self.metrics)]

    # -- one message --------------------------------------------------------------------------------------
    def device_of(self, index: int) -> int:
        return index % self.devices

    def ts_us(self, index: int) -> int:
        return self.first_ts_us + (index // self.devices) * self.step_us

    def value_units(self, index: int, metric: int) -> int:
        x = (index * 1_000_003 + metric * 7_919 + self.seed) % VALUE_UNITS
        return (x * 40_503 + 12_345) % VALUE_UNITS

    def topic(self, index: int) -> str:
        return telemetry_topic(self.tenant, self.device_key(self.device_of(index)))

    def payload(self, index: int) -> bytes:
        metrics = {self.metric_name(k): self.value_units(index, k) / VALUE_SCALE for k in range(self.metrics)}
        return orjson.dumps({"ts": iso_utc(self.ts_us(index)), "metrics": metrics})

    def messages_for(self, indices: range) -> list[tuple[str, bytes]]:
        return [(self.topic(i), self.payload(i)) for i in indices]

    # -- rows for the database baselines -------------------------------------------------------------------
    def rows(
        self, indices: range, device_ids: list[int], metric_ids: list[int]
    ) -> Iterator[tuple[int, int, datetime, float]]:
        """(device_id, metric_id, ts, value) of the readings of messages `indices`."""
        for i in indices:
            device_id = device_ids[self.device_of(i)]
            ts = EPOCH + timedelta(microseconds=self.ts_us(i))
            for k in range(self.metrics):
                yield device_id, metric_ids[k], ts, self.value_units(i, k) / VALUE_SCALE

    def days(self) -> list[date]:
        """The UTC days the readings fall on (one or two)."""
        first_day = (EPOCH + timedelta(microseconds=self.first_ts_us)).date()
        last_day = (EPOCH + timedelta(microseconds=self.ts_us(self.messages - 1))).date()
        return sorted({first_day, last_day})

    # -- what the store must hold --------------------------------------------------------------------------
    def expected_fingerprints(self) -> dict[tuple[str, str], Fingerprint]:
        """The fingerprint of every (device_key, metric_name) series, computed with numpy."""
        index = np.arange(self.messages, dtype=np.int64)
        device = index % self.devices
        offsets = (index // self.devices) * self.step_us
        ts_factor = offsets % TS_MODULUS + 1
        count = np.bincount(device, minlength=self.devices).astype(np.int64)
        sum_offsets = _group_sum(device, offsets, self.devices)
        out: dict[tuple[str, str], Fingerprint] = {}
        for k in range(self.metrics):
            units = self._units_vector(index, k)
            sum_units = _group_sum(device, units, self.devices)
            mixed = _group_sum(device, (units * ts_factor) % FINGERPRINT_MODULUS, self.devices)
            for d in range(self.devices):
                if count[d]:
                    out[(self.device_key(d), self.metric_name(k))] = Fingerprint(
                        int(count[d]),
                        int(sum_units[d]),
                        int(sum_offsets[d]),
                        int(mixed[d]) % FINGERPRINT_MODULUS,
                    )
        return out

    def _units_vector(self, index: npt.NDArray[np.int64], metric: int) -> npt.NDArray[np.int64]:
        x = (index * 1_000_003 + metric * 7_919 + self.seed) % VALUE_UNITS
        result: npt.NDArray[np.int64] = (x * 40_503 + 12_345) % VALUE_UNITS
        return result


def _group_sum(groups: npt.NDArray[np.int64], values: npt.NDArray[np.int64], size: int) -> npt.NDArray[np.int64]:
    total = np.zeros(size, dtype=np.int64)
    np.add.at(total, groups, values)
    return total


def _epoch_us(moment: datetime) -> int:
    delta = moment.astimezone(UTC) - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def iso_utc(epoch_us: int) -> str:
    """ISO 8601 with microseconds and a Z, as devices send it."""
    return (EPOCH + timedelta(microseconds=epoch_us)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
