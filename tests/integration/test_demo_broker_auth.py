"""The brokers the demo starts itself (amqtt in-process, or a Mosquitto child) with `BrokerAuth`: devices get in
only with the credentials the registry issued them and stay on their own topics, only the ingestor's service user
reads everything, strangers, wrong passwords and revoked devices are refused.  Real PostgreSQL, real brokers."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import psycopg
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from ingest.brokers import AmqttBroker, BrokerAuth, MosquittoProcess, mosquitto_binary
from service_core.devices import service as devices_service
from service_core.devices.broker_auth import ingest_account, mosquitto_hash
from service_core.devices.schemas import DeviceCreate, DeviceCredentialsPublic

pytestmark = pytest.mark.integration

INGEST_USER = "assetpulse-ingest"
INGEST_PASSWORD = "ingest-" + uuid.uuid4().hex


@dataclass
class Client:
    """One MQTT 3.1.1 connection (amqtt speaks nothing newer); `refused` when the CONNACK said no."""

    client: mqtt.Client
    reason: Any
    received: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.reason.is_failure)

    def subscribe(self, topic: str) -> int:
        """The SUBACK's granted QoS, 128 (0x80) when refused."""
        codes: list[Any] = []
        done = threading.Event()

        def on_subscribe(_c: mqtt.Client, _u: Any, _mid: int, granted: list[Any], _p: Any) -> None:
            codes.extend(granted)
            done.set()

        self.client.on_subscribe = on_subscribe
        self.client.subscribe(topic, qos=1)
        assert done.wait(10), "no SUBACK"
        return int(codes[0].value)

    def publish(self, topic: str) -> None:
        self.client.publish(topic, b'{"probe": true}', qos=1).wait_for_publish(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def connect(port: int, username: str | None, password: str | None = None) -> Client:
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex[:10]}", protocol=MQTTProtocolVersion.MQTTv311
    )
    if username is not None:
        client.username_pw_set(username, password)
    answers: list[Any] = []
    session = Client(client, None)
    client.on_connect = lambda _c, _u, _f, reason, _p: answers.append(reason)
    client.on_message = lambda _c, _u, message: session.received.append(message.topic)
    client.connect("127.0.0.1", port)
    client.loop_start()
    wait_for(lambda: bool(answers), "no CONNACK")
    session.reason = answers[0]
    if session.refused:
        session.close()
    return session


def wait_for(condition: Callable[[], bool], message: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.05)


@dataclass
class Fleet:
    port: int
    tenant: str
    a: DeviceCredentialsPublic
    b: DeviceCredentialsPublic
    database_url: str
    broker: AmqttBroker | MosquittoProcess

    def topic(self, device: DeviceCredentialsPublic, kind: str = "telemetry") -> str:
        return f"assetpulse/{self.tenant}/{device.device.device_key}/{kind}"

    def apply_registry(self) -> None:
        """What `assetpulse demo` does every few seconds for Mosquitto; amqtt reads the registry at each CONNECT."""
        if isinstance(self.broker, MosquittoProcess):
            assert self.broker.sync_auth()


@pytest.fixture(params=["amqtt", "mosquitto"])
def fleet(request: pytest.FixtureRequest, database_url: str, tenant: str, tmp_path: Path) -> Iterator[Fleet]:
    with psycopg.connect(database_url) as conn:
        a, b = (
            devices_service.add(conn, device_in=DeviceCreate(tenant=tenant, device_key=key, device_type="pump"))
            for key in ("aa:bb:01", "pump-2")
        )
        devices_service.register(conn, device_in=DeviceCreate(tenant=tenant, device_key="no-creds", device_type="pump"))
    auth = BrokerAuth(database_url, (ingest_account(INGEST_USER, mosquitto_hash(INGEST_PASSWORD)),))
    broker: AmqttBroker | MosquittoProcess
    if request.param == "amqtt":
        broker = AmqttBroker(auth=auth).start()
    else:
        if mosquitto_binary() is None:
            pytest.skip("mosquitto is not installed")
        broker = MosquittoProcess(tmp_path / "mosquitto", persistence=False, auth=auth).start()
    yield Fleet(broker.port, tenant, a, b, database_url, broker)
    broker.stop()


def test_only_registered_devices_with_their_own_password_get_in(fleet: Fleet):
    a = connect(fleet.port, fleet.a.username, fleet.a.password)
    assert not a.refused, a.reason
    assert fleet.a.username == f"{fleet.tenant}/aa%3Abb%3A01"  # a key with ':' authenticates too
    a.close()
    assert connect(fleet.port, None).refused, "anonymous"
    assert connect(fleet.port, fleet.a.username, fleet.b.password).refused, "another device's password"
    assert connect(fleet.port, fleet.a.username, "").refused, "no password"
    assert connect(fleet.port, f"{fleet.tenant}/no-such-device", fleet.a.password).refused, "unknown device"
    assert connect(fleet.port, f"{fleet.tenant}/no-creds", "whatever-password").refused, "device without credentials"
    assert connect(fleet.port, INGEST_USER, "assetpulse-ingest-dev").refused, "the development default"
    ingest = connect(fleet.port, INGEST_USER, INGEST_PASSWORD)
    assert not ingest.refused, ingest.reason
    ingest.close()


def test_a_device_publishes_only_as_itself_and_only_the_ingestor_reads_everything(fleet: Fleet):
    ingest = connect(fleet.port, INGEST_USER, INGEST_PASSWORD)
    a = connect(fleet.port, fleet.a.username, fleet.a.password)
    b = connect(fleet.port, fleet.b.username, fleet.b.password)
    try:
        assert ingest.subscribe("assetpulse/#") == 1
        assert a.subscribe(fleet.topic(fleet.a, "command")) == 1, "its own commands it may read"
        refused = [a.subscribe(topic) == 0x80 for topic in ("assetpulse/#", fleet.topic(fleet.b))]
        # amqtt refuses the SUBACK; Mosquitto 2 grants it and withholds every message the device may not read
        assert refused == ([True, True] if isinstance(fleet.broker, AmqttBroker) else [False, False])

        a.publish(fleet.topic(fleet.b))  # as b: dropped by the broker
        a.publish(fleet.topic(fleet.a))
        b.publish(fleet.topic(fleet.b))
        b.publish(fleet.topic(fleet.a, "command"))  # devices send no commands
        wait_for(lambda: len(ingest.received) >= 2, f"ingestor got {ingest.received}")
        time.sleep(0.5)  # anything wrongly let through would have arrived by now
        assert sorted(ingest.received) == sorted([fleet.topic(fleet.a), fleet.topic(fleet.b)])
        assert a.received == []
    finally:
        for client in (ingest, a, b):
            client.close()


def test_revoked_and_rotated_credentials_are_refused(fleet: Fleet):
    with psycopg.connect(fleet.database_url) as conn:
        devices_service.revoke_credentials(conn, device_id=fleet.a.device.id)
        rotated = devices_service.rotate_credentials(conn, device_id=fleet.b.device.id)
    fleet.apply_registry()
    assert connect(fleet.port, fleet.a.username, fleet.a.password).refused, "revoked"
    assert connect(fleet.port, fleet.b.username, fleet.b.password).refused, "the password before rotation"
    fresh = connect(fleet.port, rotated.username, rotated.password)
    assert not fresh.refused, fresh.reason
    fresh.close()
