"""Device credentials against a real Mosquitto started by each test with files generated from the registry:
the broker refuses strangers, wrong and revoked passwords, and keeps each device to its own topics."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import psycopg
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from pydantic import SecretStr

from ingest.brokers import free_port, mosquitto_binary, wait_for_port
from service_core.devices import service as devices_service
from service_core.devices.broker_auth import verify_mosquitto_hash
from service_core.devices.broker_sync import BrokerAuthSettings, sync_broker_auth, write_atomically
from service_core.devices.schemas import DeviceCreate, DeviceCredentialsPublic
from service_core.doctor.broker import check_broker
from service_core.doctor.result import Level
from tests.support.processes import wait_until

pytestmark = pytest.mark.integration

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto"

INGEST_PASSWORD = "ingest-" + uuid.uuid4().hex
SECURE_CONF = """\
per_listener_settings false
listener {port} 127.0.0.1
allow_anonymous false
password_file {password_file}
acl_file {acl_file}
persistence false
log_dest file {log_file}
log_type all
"""


@dataclass
class SecuredBroker:
    """Mosquitto with password and ACL files, as deploy/mosquitto/mosquitto.conf configures it."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def password_file(self) -> Path:
        return self.directory / "passwd"

    @property
    def acl_file(self) -> Path:
        return self.directory / "acl"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, conf: str | None = None) -> SecuredBroker:
        binary = mosquitto_binary()
        assert binary is not None
        conf = conf or SECURE_CONF.format(
            port=self.port,
            password_file=self.password_file,
            acl_file=self.acl_file,
            log_file=self.directory / "mosquitto.log",
        )
        if os.geteuid() == 0:  # as root Mosquitto would switch to the `mosquitto` user, which cannot read tmp_path
            conf += "user root\n"
        (self.directory / "mosquitto.conf").write_text(conf)
        self.process = subprocess.Popen(
            [binary, "-c", str(self.directory / "mosquitto.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port("127.0.0.1", self.port)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def log(self) -> str:
        path = self.directory / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""


@dataclass
class Session:
    """One MQTT 5 connection; `refused` when the broker's CONNACK said no."""

    client: mqtt.Client
    reason: Any
    received: list[mqtt.MQTTMessage] = field(default_factory=list)
    disconnected: threading.Event = field(default_factory=threading.Event)

    @property
    def refused(self) -> bool:
        return bool(self.reason.is_failure)

    def topics(self) -> list[str]:
        return [m.topic for m in list(self.received)]

    def subscribe(self, topic: str) -> list[Any]:
        granted = threading.Event()
        reasons: list[Any] = []

        def on_subscribe(_c: mqtt.Client, _u: Any, _mid: int, codes: list[Any], _p: Any) -> None:
            reasons.extend(codes)
            granted.set()

        self.client.on_subscribe = on_subscribe
        self.client.subscribe(topic, qos=1)
        assert granted.wait(10), "no SUBACK"
        return reasons

    def publish(self, topic: str, payload: bytes = b"{}") -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def connect(
    port: int, username: str | None, password: str | None = None, *, host: str = "127.0.0.1", ca: Path | None = None
) -> Session:
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"c-{uuid.uuid4().hex[:12]}", protocol=MQTTProtocolVersion.MQTTv5
    )
    if ca is not None:
        client.tls_set(ca_certs=str(ca))  # verifies the broker's certificate and that it names `host`
    client.reconnect_delay_set(min_delay=30, max_delay=60)  # a refused or dropped client must not sneak back in
    if username is not None:
        client.username_pw_set(username, password)
    answered = threading.Event()
    outcome: dict[str, Any] = {}

    def on_connect(_c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        outcome["reason"] = reason
        answered.set()

    client.on_connect = on_connect
    client.connect(host, port, keepalive=10)
    client.loop_start()
    assert answered.wait(10), "no CONNACK"
    session = Session(client, outcome["reason"])
    client.on_message = lambda _c, _u, msg: session.received.append(msg)
    client.on_disconnect = lambda *_: session.disconnected.set()
    if session.refused:
        session.close()
    return session


@pytest.fixture
def broker_settings(monkeypatch: pytest.MonkeyPatch) -> BrokerAuthSettings:
    return BrokerAuthSettings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        broker_ingest_password=SecretStr(INGEST_PASSWORD),
        broker_detector_password=SecretStr("detector-" + uuid.uuid4().hex),
    )


@dataclass
class Fleet:
    database_url: str
    tenant: str
    broker: SecuredBroker
    settings: BrokerAuthSettings
    a: DeviceCredentialsPublic
    b: DeviceCredentialsPublic

    def sync(self, *, reload: bool = True) -> None:
        with psycopg.connect(self.database_url) as conn:
            sync_broker_auth(
                conn,
                password_file=self.broker.password_file,
                acl_file=self.broker.acl_file,
                settings=self.settings,
                pid=self.broker.pid if reload else None,
            )

    def topic(self, device: DeviceCredentialsPublic, kind: str = "telemetry") -> str:
        return f"assetpulse/{self.tenant}/{device.device.device_key}/{kind}"


@pytest.fixture
def fleet(database_url: str, tenant: str, tmp_path: Path, broker_settings: BrokerAuthSettings) -> Iterator[Fleet]:
    if mosquitto_binary() is None:
        pytest.skip("needs the mosquitto binary (apt-get install mosquitto)")
    with psycopg.connect(database_url) as conn:
        a, b = (
            devices_service.add(conn, device_in=DeviceCreate(tenant=tenant, device_key=key, device_type="pump"))
            for key in ("aa:bb:01", "pump-b")
        )
    broker = SecuredBroker(tmp_path)
    with psycopg.connect(database_url) as conn:  # the files must exist before the broker starts
        sync_broker_auth(
            conn, password_file=broker.password_file, acl_file=broker.acl_file, settings=broker_settings, pid=None
        )
    broker.start()
    yield Fleet(database_url, tenant, broker, broker_settings, a, b)
    broker.stop()


def test_only_a_registered_device_with_its_own_password_gets_in(fleet: Fleet):
    a = connect(fleet.broker.port, fleet.a.username, fleet.a.password)
    assert not a.refused, fleet.broker.log()
    assert fleet.a.username == f"{fleet.tenant}/aa%3Abb%3A01"  # a key with ':' authenticates too
    a.close()
    assert connect(fleet.broker.port, fleet.a.username, fleet.b.password).refused
    assert connect(fleet.broker.port, fleet.a.username, "").refused
    assert connect(fleet.broker.port, None).refused, "anonymous clients must be refused"
    assert connect(fleet.broker.port, "nobody", "whatever-password").refused


def test_a_device_cannot_publish_as_another(fleet: Fleet):
    ingest = connect(fleet.broker.port, fleet.settings.broker_ingest_username, INGEST_PASSWORD)
    assert not ingest.refused
    assert not any(r.is_failure for r in ingest.subscribe("$share/ingest/assetpulse/#"))
    a = connect(fleet.broker.port, fleet.a.username, fleet.a.password)

    a.publish(fleet.topic(fleet.b), b'{"forged": true}')
    a.publish(fleet.topic(fleet.a, "command"))  # a device does not command itself either
    a.publish(fleet.topic(fleet.a))  # the broker keeps one client's messages in order: this one comes last

    wait_until(lambda: fleet.topic(fleet.a) in ingest.topics(), timeout=10, message="own telemetry never arrived")
    assert ingest.topics() == [fleet.topic(fleet.a)], "only the device's own topic reaches the ingestor"
    a.close()
    ingest.close()


def test_a_device_cannot_read_another_devices_telemetry(fleet: Fleet):
    ingest = connect(fleet.broker.port, fleet.settings.broker_ingest_username, INGEST_PASSWORD)
    ingest.subscribe("assetpulse/#")
    a = connect(fleet.broker.port, fleet.a.username, fleet.a.password)
    for topic in (fleet.topic(fleet.b), f"assetpulse/{fleet.tenant}/+/telemetry", "assetpulse/#"):
        a.subscribe(topic)  # Mosquitto 2.0 grants the SUBACK and withholds each message whose read is not allowed
    b = connect(fleet.broker.port, fleet.b.username, fleet.b.password)

    b.publish(fleet.topic(fleet.b))
    b.publish(fleet.topic(fleet.b, "status"), b'{"state": "online"}')
    # the broker hands a message to all subscribers in one pass: once the ingestor has both, `a` had its chance
    wait_until(lambda: len(ingest.topics()) == 2, timeout=10, message="b's messages never reached the ingestor")
    assert a.received == []
    for s in (a, b, ingest):
        s.close()


def test_a_revoked_device_is_refused_and_dropped_after_sync_and_reload(fleet: Fleet):
    online = connect(fleet.broker.port, fleet.a.username, fleet.a.password)
    with psycopg.connect(fleet.database_url) as conn:
        devices_service.revoke_credentials(conn, device_id=fleet.a.device.id)

    fleet.sync(reload=False)
    assert not connect(fleet.broker.port, fleet.a.username, fleet.a.password).refused, "applied only on reload"
    fleet.sync()

    assert online.disconnected.wait(10), "the broker kept the revoked device's session open"
    wait_until(
        lambda: connect(fleet.broker.port, fleet.a.username, fleet.a.password).refused,
        timeout=10,
        message="revoked device still accepted",
    )
    assert fleet.a.username not in fleet.broker.password_file.read_text()
    b = connect(fleet.broker.port, fleet.b.username, fleet.b.password)
    assert not b.refused, "revoking one device leaves the others alone"
    b.close()
    online.close()


def test_a_rotated_password_replaces_the_old_one(fleet: Fleet):
    with psycopg.connect(fleet.database_url) as conn:
        rotated = devices_service.rotate_credentials(conn, device_id=fleet.b.device.id)
    assert rotated.password != fleet.b.password and rotated.username == fleet.b.username
    fleet.sync()

    wait_until(
        lambda: connect(fleet.broker.port, fleet.b.username, fleet.b.password).refused,
        timeout=10,
        message="old password still accepted",
    )
    fresh = connect(fleet.broker.port, rotated.username, rotated.password)
    assert not fresh.refused
    fresh.close()


def test_a_revoked_device_gets_back_in_only_with_new_credentials(fleet: Fleet):
    with psycopg.connect(fleet.database_url) as conn:
        revoked = devices_service.revoke_credentials(conn, device_id=fleet.a.device.id)
        assert revoked.revoked_at is not None
        row = conn.execute(
            "SELECT credentials_hash, broker_password_hash FROM fleet.devices WHERE id = %s", (fleet.a.device.id,)
        ).fetchone()
        assert row == (None, None), "a revoked device keeps no hash of its password"
        again = devices_service.rotate_credentials(conn, device_id=fleet.a.device.id)
    assert again.device.revoked_at is None and again.device.credentials_rotated_at is not None
    fleet.sync()
    assert connect(fleet.broker.port, fleet.a.username, fleet.a.password).refused
    back = connect(fleet.broker.port, again.username, again.password)
    assert not back.refused
    back.close()


def test_mosquitto_passwd_hashes_verify_in_python(tmp_path: Path):
    if not Path("/usr/bin/mosquitto_passwd").exists() and mosquitto_binary() is None:
        pytest.skip("needs mosquitto_passwd")
    password_file = tmp_path / "pw"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(password_file), "dev1", "s3cret-pass"], check=True)
    username, encoded = password_file.read_text().strip().split(":", 1)
    assert username == "dev1" and encoded.startswith("$7$")
    assert verify_mosquitto_hash("s3cret-pass", encoded)
    assert not verify_mosquitto_hash("s3cret-pasS", encoded)


def test_stored_hashes_match_the_issued_password(fleet: Fleet):
    with psycopg.connect(fleet.database_url) as conn:
        row = conn.execute(
            "SELECT credentials_hash, broker_password_hash, credentials_rotated_at FROM fleet.devices WHERE id = %s",
            (fleet.a.device.id,),
        ).fetchone()
    assert row is not None
    credentials_hash, broker_hash, rotated_at = row
    assert credentials_hash.startswith("scrypt$") and verify_mosquitto_hash(fleet.a.password, broker_hash)
    assert rotated_at is not None and fleet.a.password not in credentials_hash + broker_hash


def test_files_are_replaced_keeping_their_mode(tmp_path: Path):
    target = tmp_path / "passwd"
    write_atomically(target, "one\n")
    assert target.read_text() == "one\n" and target.stat().st_mode & 0o777 == 0o640
    target.chmod(0o600)
    write_atomically(target, "two\n")
    assert target.read_text() == "two\n" and target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["passwd"], "no temporary file left behind"


def test_the_deploy_templates_and_documented_certificates_serve_devices_over_tls(
    database_url: str, tenant: str, tmp_path: Path, broker_settings: BrokerAuthSettings
):
    if mosquitto_binary() is None or shutil.which("openssl") is None:
        pytest.skip("needs mosquitto and openssl")
    readme = (DEPLOY / "README.md").read_text()
    match = re.search(r"## TLS for devices.*?```sh\n(.*?)```", readme, flags=re.DOTALL)
    assert match is not None, "the README's certificate commands are gone"
    certs = tmp_path / "certs"
    certs.mkdir()
    subprocess.run(
        ["bash", "-euo", "pipefail", "-c", match.group(1)],
        cwd=certs,
        env={**os.environ, "BROKER_HOST": "localhost"},
        check=True,
        capture_output=True,
    )
    # the templates as they are, with this test's folders and ports and the TLS include switched on
    broker = SecuredBroker(tmp_path)
    tls_port = free_port()
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "data").mkdir()
    listener = (DEPLOY / "tls-listener.conf").read_text().replace("listener 8883", f"listener {tls_port}")
    (tmp_path / "conf.d" / "tls.conf").write_text(listener.replace("/mosquitto/config", str(tmp_path)))
    conf = (DEPLOY / "mosquitto.conf").read_text()
    conf = conf.replace("#include_dir", "include_dir").replace("listener 1883", f"listener {broker.port} 127.0.0.1")
    conf = conf.replace("/mosquitto/config", str(tmp_path)).replace("/mosquitto/data", str(tmp_path / "data"))
    with psycopg.connect(database_url) as conn:
        device = devices_service.add(conn, device_in=DeviceCreate(tenant=tenant, device_key="p1", device_type="pump"))
        sync_broker_auth(
            conn, password_file=broker.password_file, acl_file=broker.acl_file, settings=broker_settings, pid=None
        )
    broker.start(conf)
    try:
        wait_for_port("127.0.0.1", tls_port)
        secure = connect(tls_port, device.username, device.password, host="localhost", ca=certs / "ca.crt")
        assert not secure.refused
        secure.publish(f"assetpulse/{tenant}/p1/telemetry")
        secure.close()
        assert connect(tls_port, device.username, "wrong", host="localhost", ca=certs / "ca.crt").refused
        assert connect(broker.port, None).refused, "the plain listener refuses anonymous clients too"
        ingest = connect(broker.port, broker_settings.broker_ingest_username, INGEST_PASSWORD)
        assert not ingest.refused
        ingest.close()
    finally:
        broker.stop()


def test_the_doctor_round_trip_passes_as_the_ingest_user_on_the_secured_broker(fleet: Fleet):
    """The doctor logs in as the ingest user; its test topic is granted to that user alone, outside the devices'."""
    url = f"mqtt://{fleet.settings.broker_ingest_username}:{INGEST_PASSWORD}@127.0.0.1:{fleet.broker.port}"
    checks = {c.name: c for c in check_broker(url)}
    assert checks["broker.connect"].level is Level.OK
    assert checks["broker.round_trip"].level is Level.OK, checks["broker.round_trip"].detail
    assert checks["broker.anonymous"].level is Level.OK
    ingest = connect(fleet.broker.port, fleet.settings.broker_ingest_username, INGEST_PASSWORD)
    ingest.subscribe("assetpulse-doctor/#")
    device = connect(fleet.broker.port, fleet.a.username, fleet.a.password)
    device.subscribe("assetpulse-doctor/#")
    device.publish("assetpulse-doctor/from-a-device")  # not granted: the broker drops it
    ingest.publish("assetpulse-doctor/probe")
    wait_until(lambda: len(ingest.topics()) >= 1, timeout=10, message="the ingest user's probe never came back")
    assert ingest.topics() == ["assetpulse-doctor/probe"] and device.received == []
    for s in (device, ingest):
        s.close()
