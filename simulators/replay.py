"""Replay a recorded data set (SKAB or NAB CSV) as one device over MQTT, time-compressed.

Timestamps are re-based to a new start with their original spacing (so rollups stay meaningful); only the
publishing pace is compressed: a row is sent `(its original offset) / speed` wall-clock seconds after the
first.  Unless `start` is given the time line is back-dated so that the last reading is stamped about "now"
when it is sent (an ingestor refuses readings from the future).  Rows that fall due together (a high `speed`)
leave as one batch message.  SKAB's `anomaly`/`changepoint` columns and NAB's labelled windows become the
ground truth.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from ingest.mqtt_url import parse_mqtt_url
from ingest.payloads import reading
from service_core.exceptions import ConfigurationError, ServiceUnavailable
from simulators import registry
from simulators.config import SimulatorSettings
from simulators.datasets import Dataset, load_dataset
from simulators.link import DeviceLink
from simulators.mqtt_loop import NetworkLoop
from simulators.truth import DeviceRecord, GroundTruth

log = logging.getLogger(__name__)

DEFAULT_DEVICE_TYPES = {"skab": "pump", "nab": "sensor"}
_MAX_BATCH = 500


@dataclass(slots=True)
class ReplayReport:
    truth: GroundTruth
    rows: int
    readings_sent: int
    undelivered: int
    interrupted: bool


def replay_start(dataset: Dataset, *, speed: float, now: datetime) -> datetime:
    """Back-date the re-based time line so the last row is stamped about `now` when it is published."""
    span = dataset.span.total_seconds()
    start = now - timedelta(seconds=span - span / speed)
    return start.replace(microsecond=start.microsecond // 1000 * 1000)


def replay_file(
    settings: SimulatorSettings,
    path: Path,
    *,
    device_key: str,
    tenant: str,
    speed: float = 1.0,
    fmt: Literal["auto", "skab", "nab"] = "auto",
    device_type: str | None = None,
    start: datetime | None = None,
    stop_event: threading.Event | None = None,
    truth_path: Path | None = None,
    register: bool | None = None,
) -> ReplayReport:
    """Publish the rows of `path` as device `tenant/device_key`; see the module docstring."""
    if speed <= 0:
        raise ConfigurationError(f"speed must be positive, got {speed}")
    dataset = load_dataset(path, fmt)
    device_type = device_type or DEFAULT_DEVICE_TYPES[dataset.format]
    if register or (register is None and settings.database_url):
        _register(settings, tenant=tenant, device_key=device_key, device_type=device_type)
    start = start or replay_start(dataset, speed=speed, now=datetime.now(UTC))
    truth = replay_truth(dataset, tenant=tenant, device_key=device_key, device_type=device_type, start=start)
    if truth_path is not None:
        truth.write(truth_path)
    log.info("replaying %d rows of %s as %s/%s at %gx", len(dataset.rows), path, tenant, device_key, speed)
    loop = NetworkLoop()
    link = DeviceLink(
        endpoint=parse_mqtt_url(settings.mqtt_url),
        loop=loop,
        tenant=tenant,
        device_key=device_key,
        device_type=device_type,
        protocol=settings.mqtt_protocol,
    )
    return _Replayer(dataset, link, loop, stop_event or threading.Event()).run(truth, start=start, speed=speed)


def replay_truth(dataset: Dataset, *, tenant: str, device_key: str, device_type: str, start: datetime) -> GroundTruth:
    """The data set's labels on the re-based time line."""
    return GroundTruth(
        tenant=tenant,
        start=start,
        sample_interval_s=None,
        scenario=f"replay:{dataset.format}:{dataset.name}",
        end=start + dataset.span,
        devices=[DeviceRecord(device_key, device_type)],
        faults=dataset.truth_records(device_key, start),
    )


def _register(settings: SimulatorSettings, *, tenant: str, device_key: str, device_type: str) -> None:
    if not settings.database_url:
        raise ConfigurationError("registering the device needs ASSETPULSE_DATABASE_URL")
    registry.register_devices(
        settings.database_url, tenant=tenant, devices=[(device_key, device_type)], source="replay"
    )


class _Replayer:
    def __init__(self, dataset: Dataset, link: DeviceLink, loop: NetworkLoop, stop_event: threading.Event) -> None:
        self.dataset = dataset
        self.link = link
        self.loop = loop
        self.stop_event = stop_event
        self.interrupted = False
        self.rows_done = 0

    def run(self, truth: GroundTruth, *, start: datetime, speed: float) -> ReplayReport:
        try:
            self.link.open()
            self._wait_until(lambda: self.link.connected, 10.0)
            if not self.link.connected:
                raise ServiceUnavailable(f"the broker did not accept {self.link.client_id} within 10 s")
            self._publish(start, speed)
        except KeyboardInterrupt:
            self.interrupted = True
        finally:
            self._finish()
        return ReplayReport(
            truth=truth,
            rows=self.rows_done,
            readings_sent=self.link.stats.readings_sent,
            undelivered=len(self.link.backlog) + self.link.unacked,
            interrupted=self.interrupted or self.stop_event.is_set(),
        )

    def _publish(self, start: datetime, speed: float) -> None:
        stamps = self.dataset.rebased(start)
        first = self.dataset.timestamps[0]
        wall_start = time.monotonic()
        i = 0
        while i < len(stamps) and not self.stop_event.is_set():
            due = wall_start + (self.dataset.timestamps[i] - first).total_seconds() / speed
            wait = due - time.monotonic()
            if wait > 0 or (self.link.connected and self.link.backlog):
                self._service(min(max(wait, 0.005), 0.2))
                continue
            end = i
            while end < len(stamps) and end - i < _MAX_BATCH and self._due(end, first, wall_start, speed):
                end += 1
            for j in range(i, max(end, i + 1)):
                if self.dataset.rows[j]:
                    self.link.backlog.append(reading(stamps[j], self.dataset.rows[j], j))
            self.link.pump()
            i = self.rows_done = max(end, i + 1)

    def _due(self, index: int, first: datetime, wall_start: float, speed: float) -> bool:
        offset = (self.dataset.timestamps[index] - first).total_seconds() / speed
        return wall_start + offset <= time.monotonic()

    def _finish(self) -> None:
        try:
            if self.link.connected:
                self._wait_until(lambda: self.link.drained, 5.0 if self.stop_event.is_set() else 30.0)
            self.link.close()
            self._wait_until(lambda: self.link.closed, 5.0)
        finally:
            self.loop.close()

    def _service(self, timeout: float) -> None:
        self.loop.poll(timeout)
        self.link.maintain()

    def _wait_until(self, condition: Callable[[], bool], timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition() and time.monotonic() < deadline:
            self._service(0.02)
