"""The ingestor against a real broker: what devices send over MQTT ends up stored, quarantined or
dead-lettered, and device birth/last-will messages drive the registry."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import pytest

from ingest.config import IngestSettings
from ingest.service import IngestService
from tests.factories import register_devices, rows, scalar, telemetry_payload
from tests.support.processes import connect_client, wait_until

pytestmark = pytest.mark.integration


@contextmanager
def running_ingestor(
    database_url: str, mqtt_url: str, client_id: str, group: str, protocol: str = "3.1.1"
) -> Iterator[IngestService]:
    settings = IngestSettings(
        mqtt_url=mqtt_url, client_id=client_id, shared_group=group, metrics_port=0, mqtt_protocol=protocol
    )
    service = IngestService(settings, database_url)
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,))
    thread.start()
    try:
        assert service.source.connected.wait(10), "ingestor did not connect"
        yield service
    finally:
        stop.set()
        thread.join(30)


def publish_all(mqtt_url: str, messages: list[tuple[str, bytes]]) -> None:
    client = connect_client(mqtt_url)
    infos = [client.publish(topic, payload, qos=1) for topic, payload in messages]
    for info in infos:
        info.wait_for_publish(10)
    client.loop_stop()
    client.disconnect()


@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
def test_every_malformed_input_over_mqtt_is_kept_with_its_reason(
    database_url: str, mqtt_url: str, tenant: str, protocol: str
):
    register_devices(database_url, tenant, ["p1"])
    now = datetime.now(UTC)
    good = f"assetpulse/{tenant}/p1/telemetry"
    with running_ingestor(database_url, mqtt_url, f"ing-{tenant}", tenant, protocol):
        publish_all(
            mqtt_url,
            [
                (good, b"{not json"),
                (good, b'{"ts": "2026-01-01T00:00:00Z", "metrics": {"a": [1]}}'),
                (good, b'{"ts": "2026-01-01T00:00:00Z", "metrics": {"a": NaN}}'),
                (good, b'{"ts": 1, "metrics": {"a": 1}}' + b" " * 300_000),
                (f"assetpulse/{tenant}/p1/telemetry/extra", telemetry_payload(now, a=1)),
                (f"assetpulse/{tenant}/ghost/telemetry", telemetry_payload(now, a=1)),
                (good, telemetry_payload(now + timedelta(days=1), a=1)),
                (good, telemetry_payload(now, a=1, b=2)),
            ],
        )
        wait_until(
            lambda: (
                scalar(database_url, "SELECT count(*) FROM ingest.dead_letters") == 5
                and scalar(database_url, "SELECT count(*) FROM ingest.quarantine") == 2
            ),
            timeout=20,
        )
    assert scalar(database_url, "SELECT count(*) FROM telemetry.readings") == 2
    assert {r[0] for r in rows(database_url, "SELECT reason FROM ingest.dead_letters")} == {
        "not_json",
        "invalid_payload",
        "non_finite",
        "oversize",
        "bad_topic",
    }
    assert {r[0] for r in rows(database_url, "SELECT reason FROM ingest.quarantine")} == {
        "unknown_device",
        "future_timestamp",
    }


def test_birth_and_last_will_drive_device_status(database_url: str, mqtt_url: str, tenant: str):
    register_devices(database_url, tenant, ["p1"])
    status_topic = f"assetpulse/{tenant}/p1/status"
    with running_ingestor(database_url, mqtt_url, f"ing-{tenant}", tenant):
        device = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"{tenant}-p1")
        will = json.dumps({"state": "offline"}).encode()  # no ts: the ingestor stamps it on arrival
        device.will_set(status_topic, will, qos=1, retain=True)
        host, port = mqtt_url.removeprefix("mqtt://").split(":")
        device.connect(host, int(port), keepalive=5)
        device.loop_start()
        birth = json.dumps({"state": "online", "ts": datetime.now(UTC).isoformat()}).encode()
        device.publish(status_topic, birth, qos=1, retain=True).wait_for_publish(5)
        wait_until(lambda: scalar(database_url, "SELECT status FROM fleet.devices") == "online", timeout=10)
        device.loop_stop()
        sock = device.socket()
        assert sock is not None
        sock.close()  # the device vanishes without a goodbye: the broker publishes its last will
        wait_until(
            lambda: scalar(database_url, "SELECT status FROM fleet.devices") == "offline",
            timeout=30,
            message="last will did not mark the device offline",
        )


@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
def test_two_ingestors_share_the_stream_and_store_each_reading_once(
    database_url: str, mqtt_url: str, tenant: str, protocol: str
):
    devices = [f"d{i}" for i in range(8)]
    register_devices(database_url, tenant, devices)
    start = datetime.now(UTC) - timedelta(minutes=5)
    messages = [
        (
            f"assetpulse/{tenant}/{devices[i % 8]}/telemetry",
            telemetry_payload(start + timedelta(milliseconds=i), a=i, b=-i),
        )
        for i in range(4000)
    ]
    with (
        running_ingestor(database_url, mqtt_url, f"a-{tenant}", tenant, protocol) as first,
        running_ingestor(database_url, mqtt_url, f"b-{tenant}", tenant, protocol) as second,
    ):
        publish_all(mqtt_url, messages)
        wait_until(lambda: scalar(database_url, "SELECT count(*) FROM telemetry.readings") == 8000, timeout=60)
        shares = [first.metrics.messages_received._value.get(), second.metrics.messages_received._value.get()]
    # the broker is shared with other tests, so other tenants' stray messages may be counted too
    assert sum(shares) >= 4000 and min(shares) > 0, f"stream was not shared: {shares}"
    assert scalar(database_url, "SELECT sum(n) FROM telemetry.rollup_1m") == 8000
