"""The simulator against a real broker: one MQTT connection per device with birth and last will, QoS-1
telemetry, a connectivity loss that really disconnects and later flushes its backlog with the original
timestamps, and a replayed data set."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from ingest.mqtt_url import parse_mqtt_url
from simulators.config import SimulatorSettings
from simulators.fleet import FleetReport, run_fleet
from simulators.plan import plan_fleet
from simulators.replay import replay_file
from simulators.scenarios import parse_scenario
from tests.support.tcp_proxy import CuttableProxy

pytestmark = pytest.mark.integration

SAMPLES = 60
INTERVAL = 10.0
OFFLINE_FROM, OFFLINE_FOR = 200.0, 200.0


@dataclass(frozen=True)
class Received:
    at: float
    device: str
    kind: str
    payload: dict[str, Any]
    retained: bool


@dataclass
class Recorder:
    """A plain paho subscriber that keeps every message of one tenant, in arrival order."""

    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        _, _, device, kind = message.topic.split("/")
        payload = orjson.loads(message.payload) if message.payload else {}
        with self.lock:
            self.messages.append(Received(time.monotonic(), device, kind, payload, bool(message.retain)))

    def of(self, device: str, kind: str) -> list[Received]:
        with self.lock:
            return [m for m in self.messages if m.device == device and m.kind == kind]


def subscribe(mqtt_url: str, topic: str) -> tuple[mqtt.Client, Recorder]:
    endpoint = parse_mqtt_url(mqtt_url)
    recorder = Recorder()
    subscribed = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
    client.on_message = recorder.on_message
    client.on_subscribe = lambda *args: subscribed.set()
    client.on_connect = lambda c, *args: c.subscribe(topic, qos=1)
    client.connect(endpoint.host, endpoint.port)
    client.loop_start()
    assert subscribed.wait(10), "subscriber did not subscribe"
    return client, recorder


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def sim_tenant() -> str:
    return f"sim{time.time_ns() % 10**10}"


@pytest.fixture
def recorder(mqtt_url: str, sim_tenant: str) -> Iterator[Recorder]:
    client, recorded = subscribe(mqtt_url, f"assetpulse/{sim_tenant}/#")
    yield recorded
    for device in {m.device for m in recorded.messages}:  # leave no retained statuses behind
        client.publish(f"assetpulse/{sim_tenant}/{device}/status", b"", qos=1, retain=True).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()


def scenario_yaml(tenant: str) -> str:
    return f"""
        seed: 5
        tenant: {tenant}
        sample_interval_s: {INTERVAL}
        fleet: {{key_prefix: it, assets: {{pump: 2, compressor: 1, generator: 1}}}}
        faults:
          - device: it-compressor-001
            kind: connectivity_loss
            onset_s: {OFFLINE_FROM}
            duration_s: {OFFLINE_FOR}
          - {{device: it-pump-001, kind: bearing_wear, onset_s: 100, time_to_failure_s: 1000}}
    """


def test_fleet_publishes_births_telemetry_wills_and_a_backlog_with_original_timestamps(
    mqtt_url: str, sim_tenant: str, recorder: Recorder, tmp_path: Path
) -> None:
    scenario = parse_scenario(scenario_yaml(sim_tenant))
    devices = [d.key for d in plan_fleet(scenario).devices]
    report = run_fleet(
        SimulatorSettings(mqtt_url=mqtt_url), scenario, samples=SAMPLES, truth_path=tmp_path / "truth.json"
    )
    assert wait_for(lambda: all(said_goodbye(recorder, d) for d in devices)), "not every device said goodbye"

    # one connection (client id) per device, each announcing itself with a birth before its telemetry
    assert sorted(report.client_ids) == sorted(devices)
    assert len(set(report.client_ids.values())) == len(devices)
    for device in devices:
        statuses = recorder.of(device, "status")
        assert statuses[0].payload["state"] == "online" and statuses[0].payload["device_type"] in device
        assert statuses[0].at <= recorder.of(device, "telemetry")[0].at

    # every sample arrived (at-least-once: count distinct sequence numbers), in readings of the right grid
    for device in devices:
        groups = [g for m in recorder.of(device, "telemetry") for g in readings(m)]
        assert {g["seq"] for g in groups} == set(range(SAMPLES)), device
        assert report.samples[device] == SAMPLES and report.undelivered[device] == 0

    # the connectivity loss: the broker published the last will, the device came back (second birth) and
    # flushed what it measured while offline in a batch, stamped with the original, earlier times
    lost = "it-compressor-001"
    states = [(m.payload["state"], m.payload.get("reason")) for m in recorder.of(lost, "status")]
    assert states == [
        ("online", None),
        ("offline", "connection_lost"),
        ("online", None),
        ("offline", "shutdown"),
    ]
    will_at = recorder.of(lost, "status")[1].at
    batches = [m for m in recorder.of(lost, "telemetry") if "readings" in m.payload]
    assert batches and batches[0].at > will_at
    flushed = [g for m in batches for g in readings(m)]
    offsets = [(parse_ts(g) - report.start).total_seconds() for g in flushed]
    assert offsets == sorted(offsets)
    assert offsets[0] >= OFFLINE_FROM and offsets[0] < OFFLINE_FROM + INTERVAL
    assert sum(OFFLINE_FROM <= o < OFFLINE_FROM + OFFLINE_FOR for o in offsets) == OFFLINE_FOR / INTERVAL
    newest_live_before_flush = max(
        parse_ts(g)
        for d in devices
        if d != lost
        for m in recorder.of(d, "telemetry")
        if m.at < batches[0].at
        for g in readings(m)
    )
    assert parse_ts(flushed[0]) < newest_live_before_flush - timedelta(seconds=OFFLINE_FOR / 2)

    # other devices never lost their connection
    for device in devices:
        if device != lost:
            assert [m.payload["state"] for m in recorder.of(device, "status")] == ["online", "offline"]

    # ground truth, in Python and on disk
    kinds = {(f.device_key, f.kind) for f in report.truth.faults}
    assert kinds == {(lost, "connectivity_loss"), ("it-pump-001", "bearing_wear")}
    written = orjson.loads((tmp_path / "truth.json").read_bytes())
    assert {f["kind"] for f in written["faults"]} == {"connectivity_loss", "bearing_wear"}


def test_statuses_are_retained_so_a_late_subscriber_sees_every_device_offline(
    mqtt_url: str, sim_tenant: str, recorder: Recorder
) -> None:
    scenario = parse_scenario(scenario_yaml(sim_tenant))
    report = run_fleet(SimulatorSettings(mqtt_url=mqtt_url), scenario, samples=5)
    assert wait_for(lambda: len([m for m in recorder.messages if m.payload.get("reason") == "shutdown"]) == 4)
    client, late = subscribe(mqtt_url, f"assetpulse/{sim_tenant}/+/status")
    try:
        assert wait_for(lambda: len(late.messages) == len(report.client_ids))
        assert all(m.retained and m.payload["state"] == "offline" for m in late.messages)
    finally:
        client.disconnect()
        client.loop_stop()


def test_stop_event_ends_a_paced_run_cleanly(mqtt_url: str, sim_tenant: str, recorder: Recorder) -> None:
    scenario = parse_scenario(scenario_yaml(sim_tenant)).model_copy(update={"speed": 100.0})
    stop = threading.Event()
    threading.Timer(1.0, stop.set).start()
    started = time.monotonic()
    report = run_fleet(SimulatorSettings(mqtt_url=mqtt_url), scenario, stop)
    assert time.monotonic() - started < 8
    assert report.interrupted
    taken = sum(report.samples.values())
    assert 20 <= taken <= 80  # ~1 s at 100x with 10 s samples: ~10 per device
    assert report.end is not None and report.end <= datetime.now(report.start.tzinfo) + timedelta(seconds=300)


def test_devices_reconnect_after_a_network_partition_and_lose_nothing(
    mqtt_url: str, sim_tenant: str, recorder: Recorder
) -> None:
    endpoint = parse_mqtt_url(mqtt_url)
    proxy = CuttableProxy((endpoint.host, endpoint.port))
    scenario = parse_scenario(scenario_yaml(sim_tenant)).model_copy(
        update={"faults": [], "speed": 100.0, "duration_s": 300.0}
    )
    devices = [d.key for d in plan_fleet(scenario).devices]
    outcome: list[FleetReport] = []
    settings = SimulatorSettings(mqtt_url=f"mqtt://127.0.0.1:{proxy.port}")
    runner = threading.Thread(target=lambda: outcome.append(run_fleet(settings, scenario)))
    runner.start()
    try:
        assert wait_for(lambda: all(recorder.of(d, "telemetry") for d in devices)), "fleet did not start"
        proxy.cut()
        time.sleep(1.0)
        proxy.restore()
        runner.join(30)
        assert proxy.wait_idle(), "the devices' connections did not end after the fleet stopped"
    finally:
        proxy.close()
    assert outcome, "run_fleet did not return"
    report = outcome[0]
    assert wait_for(lambda: all(said_goodbye(recorder, d) for d in devices), timeout=30.0), {
        d: [(m.payload.get("state"), m.payload.get("reason")) for m in recorder.of(d, "status")]
        for d in devices
        if not said_goodbye(recorder, d)
    }
    for device in devices:
        states = [m.payload["state"] for m in recorder.of(device, "status")]
        assert states[:3] == ["online", "offline", "online"], states  # birth, will on the cut, birth again
        groups = [g for m in recorder.of(device, "telemetry") for g in readings(m)]
        assert {g["seq"] for g in groups} == set(range(report.samples[device])), device
        assert report.samples[device] == 30 and report.undelivered[device] == 0


def test_replayed_skab_file_keeps_its_spacing_and_publishes_no_label_columns(
    mqtt_url: str, sim_tenant: str, recorder: Recorder, shared_data: Path
) -> None:
    path = shared_data / "skab" / "valve1" / "0.csv"
    report = replay_file(
        SimulatorSettings(mqtt_url=mqtt_url), path, device_key="skab-0", tenant=sim_tenant, speed=5000.0
    )
    assert wait_for(lambda: any(m.payload.get("reason") == "shutdown" for m in recorder.of("skab-0", "status")))
    groups = [g for m in recorder.of("skab-0", "telemetry") for g in readings(m)]
    assert len({g["seq"] for g in groups}) == report.rows == 1147
    metrics = {name for g in groups for name in g["metrics"]}
    assert "anomaly" not in metrics and "changepoint" not in metrics
    assert "Volume_Flow_RateRMS" in metrics
    stamps = sorted(parse_ts(g) for g in groups)
    assert stamps[-1] - stamps[0] == timedelta(minutes=19, seconds=59)  # the original span, re-based
    assert [f.kind for f in report.truth.faults].count("anomaly") >= 1


def said_goodbye(recorder: Recorder, device: str) -> bool:
    statuses = recorder.of(device, "status")
    return bool(statuses) and statuses[-1].payload.get("reason") == "shutdown"


def readings(message: Received) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = message.payload.get("readings", [message.payload])
    return groups


def parse_ts(group: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(group["ts"]))
