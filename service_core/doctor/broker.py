"""Broker checks: reachable with the configured credentials, a message goes round, anonymous clients refused."""

from __future__ import annotations

import secrets
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from ingest.mqtt_url import MqttEndpoint, parse_mqtt_url
from service_core.devices.broker_auth import DOCTOR_TOPIC_ROOT
from service_core.doctor.result import Check, Level
from service_core.exceptions import ConfigurationError

TIMEOUT_SECONDS = 5.0


def check_broker(url: str) -> list[Check]:
    try:
        endpoint = parse_mqtt_url(url)
    except ConfigurationError as exc:
        return [Check("broker.connect", Level.FAIL, str(exc), "fix ASSETPULSE_MQTT_URL")]
    where = f"{endpoint.host}:{endpoint.port}{' (TLS)' if endpoint.tls else ''}"
    client, code, seconds = _connect(endpoint, with_credentials=True)
    if client is None:
        return [
            Check(
                "broker.connect",
                Level.FAIL,
                f"cannot connect to {where}: {code}",
                "check that the broker runs, ASSETPULSE_MQTT_URL and the service user's credentials",
            )
        ]
    checks = [Check("broker.connect", Level.OK, f"{where} accepted the service user in {seconds * 1000:.0f} ms")]
    checks.append(_round_trip(client))
    client.disconnect()
    client.loop_stop()
    checks.append(_anonymous(endpoint, where))
    return checks


def _connect(endpoint: MqttEndpoint, *, with_credentials: bool) -> tuple[mqtt.Client | None, str, float]:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"assetpulse-doctor-{secrets.token_hex(4)}")
    if with_credentials and endpoint.username:
        client.username_pw_set(endpoint.username, endpoint.password)
    if endpoint.tls:
        client.tls_set()
    answered = threading.Event()
    outcome: dict[str, str] = {}

    def on_connect(c: mqtt.Client, userdata: object, flags: object, reason: object, props: object) -> None:
        outcome["reason"] = str(reason)
        outcome["ok"] = "yes" if not getattr(reason, "is_failure", False) else ""
        answered.set()

    client.on_connect = on_connect
    started = time.perf_counter()
    try:
        client.connect(endpoint.host, endpoint.port, keepalive=10)
    except OSError as exc:
        return None, str(exc) or type(exc).__name__, 0.0
    client.loop_start()
    if not answered.wait(TIMEOUT_SECONDS):
        client.loop_stop()
        return None, "no answer (CONNACK) within 5 s", 0.0
    if not outcome.get("ok"):
        client.disconnect()
        client.loop_stop()
        return None, f"refused: {outcome.get('reason')}", 0.0
    return client, "ok", time.perf_counter() - started


def _round_trip(client: mqtt.Client) -> Check:
    topic = f"{DOCTOR_TOPIC_ROOT}/{secrets.token_hex(6)}"
    arrived = threading.Event()
    client.on_message = lambda c, u, m: arrived.set()
    client.subscribe(topic, qos=1)
    time.sleep(0.2)
    started = time.perf_counter()
    client.publish(topic, b'{"doctor": true}', qos=1)
    if arrived.wait(TIMEOUT_SECONDS):
        return Check(
            "broker.round_trip",
            Level.OK,
            f"a QoS 1 message came back in {(time.perf_counter() - started) * 1000:.0f} ms",
        )
    return Check(
        "broker.round_trip",
        Level.WARN,
        f"a test message on {DOCTOR_TOPIC_ROOT}/... did not come back within 5 s",
        f"the broker's ACL may not let the service user publish and subscribe on {DOCTOR_TOPIC_ROOT}/# (`assetpulse "
        "broker sync-auth` grants it to the ingest user), or the broker drops messages",
    )


def _anonymous(endpoint: MqttEndpoint, where: str) -> Check:
    client, code, _ = _connect(endpoint, with_credentials=False)
    if client is None:
        return Check("broker.anonymous", Level.OK, f"{where} refuses anonymous clients ({code})")
    client.disconnect()
    client.loop_stop()
    return Check(
        "broker.anonymous",
        Level.WARN,
        f"{where} accepts anonymous clients: anyone on the network can publish telemetry",
        "turn device security on: per-device credentials and ACLs (see deploy/mosquitto/README.md)",
    )
