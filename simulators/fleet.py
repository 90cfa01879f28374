"""Run a simulated fleet against a real MQTT broker: `run_fleet(settings, scenario, stop_event)`.

Each device has its own MQTT connection (`simulators.link.DeviceLink`); one thread drives them all through a
`NetworkLoop`.  Readings carry simulated timestamps on a grid of `sample_interval_s` (each device offset a
little, so a fleet does not report in lock-step):

* paced mode (default): simulated time advances `speed` times faster than the wall clock;
* fast mode (`samples=N`): N readings per device, published as fast as the broker acknowledges them.

Where the simulated time starts, unless the scenario says (`start:`): a bounded run (fast mode, or a
`duration_s` at a `speed` above 1) is back-dated so that its last reading is stamped about "now" when it is
sent, because an ingestor refuses readings from the future; an unbounded run starts at now.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ingest.mqtt_url import parse_mqtt_url
from service_core.exceptions import ConfigurationError
from simulators import registry
from simulators.config import SimulatorSettings
from simulators.devices import SimulatedDevice
from simulators.link import DeviceLink
from simulators.mqtt_loop import NetworkLoop
from simulators.plan import FleetPlan, plan_fleet
from simulators.scenarios import Scenario
from simulators.truth import GroundTruth

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0
CLOSE_TIMEOUT_S = 5.0
_PROGRESS_EVERY_S = 10.0


@dataclass(slots=True)
class FleetReport:
    """What a run did: the ground truth and, per device, readings taken, sent and left undelivered."""

    truth: GroundTruth
    start: datetime
    end: datetime | None = None
    client_ids: dict[str, str] = field(default_factory=dict)
    samples: dict[str, int] = field(default_factory=dict)
    readings_sent: dict[str, int] = field(default_factory=dict)
    undelivered: dict[str, int] = field(default_factory=dict)
    interrupted: bool = False

    @property
    def total_sent(self) -> int:
        return sum(self.readings_sent.values())


def resolve_start(scenario: Scenario, *, samples: int | None, now: datetime) -> datetime:
    """The simulated time of the run's start (see the module docstring)."""
    if scenario.start is not None:
        return scenario.start
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    if samples is not None:
        return now - timedelta(seconds=samples * scenario.sample_interval_s)
    if scenario.duration_s is not None and scenario.speed > 1:
        span = scenario.duration_s
        return now - timedelta(seconds=span - span / scenario.speed)
    return now


def run_fleet(
    settings: SimulatorSettings,
    scenario: Scenario,
    stop_event: threading.Event | None = None,
    *,
    samples: int | None = None,
    truth_path: Path | None = None,
    register: bool | None = None,
    drain_timeout_s: float = 30.0,
    credentials: Mapping[str, tuple[str, str]] | None = None,
) -> FleetReport:
    """Simulate `scenario` until its duration is over, `samples` readings per device were taken, `stop_event`
    is set or the user presses Ctrl-C; then say goodbye and disconnect every device.

    `register`: register the devices in `settings.database_url` first (None: if a database URL is set).
    `credentials`: (username, password) by device key, for a broker that authenticates each device (a device
    without an entry logs in as the MQTT URL says).
    Raises `ConfigurationError` for a bad MQTT URL and `ServiceUnavailable` when the broker cannot be reached.
    """
    if samples is not None and samples < 1:
        raise ConfigurationError(f"samples must be at least 1, got {samples}")
    plan = plan_fleet(scenario)
    if register or (register is None and settings.database_url):
        _register(settings, plan)
    start = resolve_start(scenario, samples=samples, now=datetime.now(UTC))
    truth = plan.ground_truth(start)
    if truth_path is not None:
        truth.write(truth_path)
    runner = FleetRunner(
        settings,
        plan,
        start=start,
        samples=samples,
        stop_event=stop_event or threading.Event(),
        credentials=credentials or {},
    )
    report = runner.run(truth, drain_timeout_s=drain_timeout_s)
    if truth_path is not None:
        report.truth.write(truth_path)
        log.info("ground truth of %d faults written to %s", len(report.truth.faults), truth_path)
    return report


def _register(settings: SimulatorSettings, plan: FleetPlan) -> None:
    if not settings.database_url:
        raise ConfigurationError("registering the fleet needs ASSETPULSE_DATABASE_URL")
    registry.register_devices(
        settings.database_url,
        tenant=plan.tenant,
        devices=[(d.key, d.asset_type) for d in plan.devices],
        source=f"simulator:{plan.scenario.name}",
    )


class FleetRunner:
    """Takes the samples in simulated-time order and hands them to the devices' links."""

    def __init__(
        self,
        settings: SimulatorSettings,
        plan: FleetPlan,
        *,
        start: datetime,
        samples: int | None,
        stop_event: threading.Event,
        credentials: Mapping[str, tuple[str, str]] | None = None,
    ) -> None:
        self.scenario = plan.scenario
        self.start = start
        self.samples_per_device = samples
        self.stop_event = stop_event
        self.loop = NetworkLoop()
        self.devices = plan.build_devices(start)
        endpoint = parse_mqtt_url(settings.mqtt_url)
        logins = credentials or {}
        self.links = [
            DeviceLink(
                endpoint=replace(endpoint, username=logins[d.key][0], password=logins[d.key][1])
                if d.key in logins
                else endpoint,
                loop=self.loop,
                tenant=plan.tenant,
                device_key=d.key,
                device_type=d.spec.asset_type,
                protocol=settings.mqtt_protocol,
                backlog_limit=d.backlog_limit(),
            )
            for d in self.devices
        ]
        self.taken = [0] * len(self.devices)
        self.last_offset: float | None = None
        self._interrupted = False

    def run(self, truth: GroundTruth, *, drain_timeout_s: float) -> FleetReport:
        drain = drain_timeout_s
        try:
            self._connect_all()
            self._produce()
        except KeyboardInterrupt:
            log.info("interrupted: stopping the fleet")
            self._interrupted = True
        except BaseException:
            drain = 0.0
            raise
        finally:
            stopping = self._interrupted or self.stop_event.is_set()
            self._shutdown(min(drain, 5.0) if stopping else drain)
        end = None if self.last_offset is None else self.start + timedelta(seconds=self.last_offset)
        return FleetReport(
            truth=truth.observed_until(end) if end is not None else truth,
            start=self.start,
            end=end,
            client_ids={link.device_key: link.client_id for link in self.links},
            samples={d.key: n for d, n in zip(self.devices, self.taken, strict=True)},
            readings_sent={link.device_key: link.stats.readings_sent for link in self.links},
            undelivered={link.device_key: len(link.backlog) + link.unacked for link in self.links},
            interrupted=self._interrupted or self.stop_event.is_set(),
        )

    # -- phases ----------------------------------------------------------------------------------------------
    def _connect_all(self) -> None:
        log.info("connecting %d simulated devices", len(self.links))
        for link in self.links:
            link.open()
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        while not all(link.connected for link in self.links) and time.monotonic() < deadline:
            self._service(0.05)
        missing = [link.device_key for link in self.links if not link.connected]
        if missing:
            log.warning("%d devices not connected yet (%s...); they buffer until they are", len(missing), missing[0])

    def _produce(self) -> None:
        heap = [(d.sample_offset(0), i, 0) for i, d in enumerate(self.devices)]
        heapq.heapify(heap)
        wall_start = last_progress = time.monotonic()
        produced = 0
        while heap and not self.stop_event.is_set():
            offset, i, k = heap[0]
            if self._past_duration(offset):
                break
            if not self._ready(i, offset, wall_start):
                continue
            heapq.heappop(heap)
            self._take_sample(self.devices[i], self.links[i], offset)
            self.taken[i] += 1
            if self.samples_per_device is None or k + 1 < self.samples_per_device:
                heapq.heappush(heap, (self.devices[i].sample_offset(k + 1), i, k + 1))
            produced += 1
            if produced % 100 == 0:
                self._service(0.0)
            if time.monotonic() - last_progress >= _PROGRESS_EVERY_S:
                last_progress = time.monotonic()
                self._log_progress(offset)

    def _past_duration(self, offset: float) -> bool:
        duration = self.scenario.duration_s
        return self.samples_per_device is None and duration is not None and offset >= duration

    def _ready(self, index: int, offset: float, wall_start: float) -> bool:
        """True when sample `offset` of device `index` may be taken now; otherwise wait a little."""
        if self.samples_per_device is None:
            wait = wall_start + offset / self.scenario.speed - time.monotonic()
            if wait > 0:
                self._service(min(wait, 0.2))
                return False
            return True
        link = self.links[index]
        if link.connected and link.backlog:  # back-pressure: its PUBACK window is full
            self._service(0.01)
            return False
        return True

    def _take_sample(self, device: SimulatedDevice, link: DeviceLink, offset: float) -> None:
        sample = device.sample(offset)
        if sample.offline and link.network_up:
            link.drop_network()
            self._wait_until(lambda: not link.has_socket, 2.0)
        elif not sample.offline and not link.network_up:
            link.restore_network()
        if sample.group is not None:
            link.submit(sample.group)
        self.last_offset = offset if self.last_offset is None else max(self.last_offset, offset)

    def _shutdown(self, drain_timeout_s: float) -> None:
        try:
            self._wait_until(lambda: all(link.drained for link in self.links), drain_timeout_s)
            left = sum(len(link.backlog) + link.unacked for link in self.links)
            if left:
                log.warning("stopping with %d readings undelivered (offline devices or a slow broker)", left)
            for link in self.links:
                link.close()
            self._wait_until(lambda: all(link.closed for link in self.links), CLOSE_TIMEOUT_S)
        finally:
            self.loop.close()
        log.info("fleet stopped: %d readings sent", sum(link.stats.readings_sent for link in self.links))

    # -- helpers ---------------------------------------------------------------------------------------------
    def _service(self, timeout: float) -> None:
        self.loop.poll(timeout)
        for link in self.links:
            link.maintain()

    def _wait_until(self, condition: Callable[[], bool], timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() >= deadline:
                return False
            self._service(0.02)
        return True

    def _log_progress(self, offset: float) -> None:
        sent = sum(link.stats.readings_sent for link in self.links)
        log.info("simulated time %s: %d readings sent", (self.start + timedelta(seconds=offset)).isoformat(), sent)
