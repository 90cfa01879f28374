"""Load generation and the broker ceiling: paho publisher processes (QoS 1, a bounded queue and a bounded
in-flight window, see PERFORMANCE-NOTES) and a subscriber process that only counts what it receives."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from types import TracebackType
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion

from ingest.bench.data import BenchSpec
from ingest.bench.errors import BenchFailed
from ingest.bench.workers import Result, Worker, new_event
from ingest.mqtt_url import parse_mqtt_url

log = logging.getLogger(__name__)

MAX_INFLIGHT = 100  # paho scans its in-flight list on every ack: 1,000 halves its speed
MAX_QUEUED = 1_000  # far below 65,535 message ids; publish() says MQTT_ERR_QUEUE_SIZE when full
POLL_EVERY = 32  # publishes between two reads of the socket (PUBACKs)


def make_client(mqtt_url: str, client_id: str) -> mqtt.Client:
    """A paho client (MQTT 3.1.1, clean session) for `mqtt_url`, driven by the caller's `loop()` calls."""
    endpoint = parse_mqtt_url(mqtt_url)
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=MQTTProtocolVersion.MQTTv311,
        clean_session=True,
    )
    if endpoint.username:
        client.username_pw_set(endpoint.username, endpoint.password)
    if endpoint.tls:
        client.tls_set()
    client.max_inflight_messages_set(MAX_INFLIGHT)
    client.max_queued_messages_set(MAX_QUEUED)
    client.connect(endpoint.host, endpoint.port, keepalive=60)
    deadline = time.monotonic() + 15
    while not client.is_connected():
        if client.loop(0.1) != MQTTErrorCode.MQTT_ERR_SUCCESS or time.monotonic() > deadline:
            raise BenchFailed(f"cannot connect to the broker at {endpoint.url()}")
    return client


class QoS1Publisher:
    """Publishes a list of messages at QoS 1 from one thread and waits for every PUBACK."""

    def __init__(self, client: mqtt.Client) -> None:
        self.client = client
        self.acked = 0
        self.last_ack = 0.0
        client.on_publish = self._on_publish

    def _on_publish(self, _c: mqtt.Client, _u: Any, _mid: int, _rc: Any, _p: Any) -> None:
        self.acked += 1
        self.last_ack = time.monotonic()

    def publish(self, topic: str, payload: bytes) -> None:
        rc = self.client.publish(topic, payload, qos=1).rc
        while rc == MQTTErrorCode.MQTT_ERR_QUEUE_SIZE:  # back-pressure: read PUBACKs, then retry
            self.client.loop(0.005)
            rc = self.client.publish(topic, payload, qos=1).rc
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise BenchFailed(f"publish to {topic} failed: {mqtt.error_string(rc)}")

    def publish_all(self, messages: list[tuple[str, bytes]], timeout: float) -> None:
        target = self.acked + len(messages)
        for n, (topic, payload) in enumerate(messages):
            self.publish(topic, payload)
            if n % POLL_EVERY == 0:
                self.client.loop(0)
        deadline = time.monotonic() + timeout
        while self.acked < target:
            if self.client.loop(0.05) != MQTTErrorCode.MQTT_ERR_SUCCESS or time.monotonic() > deadline:
                raise BenchFailed(f"{target - self.acked} messages were never acknowledged by the broker")


def publish_worker(
    *, mqtt_url: str, spec: BenchSpec, indices: range, go: Event, ready: Event, results: Queue[Result]
) -> None:
    """Child process: build the messages of `indices`, connect, wait for `go`, publish them all."""
    messages = spec.messages_for(indices)
    client = make_client(mqtt_url, f"bench-pub-{os.getpid()}")
    publisher = QoS1Publisher(client)
    ready.set()
    go.wait()
    first = time.monotonic()
    publisher.publish_all(messages, timeout=600)
    client.disconnect()
    results.put({"sent": len(messages), "first": first, "last_ack": publisher.last_ack})


def count_worker(
    *, mqtt_url: str, topic_filter: str, expected: int, timeout: float, ready: Event, results: Queue[Result]
) -> None:
    """Child process: subscribe at QoS 1 and count messages until `expected` arrived (or `timeout`)."""
    state = {"count": 0, "last": 0.0}

    def on_message(_c: mqtt.Client, _u: Any, _msg: mqtt.MQTTMessage) -> None:
        state["count"] += 1
        state["last"] = time.monotonic()

    client = make_client(mqtt_url, f"bench-count-{os.getpid()}")
    client.on_message = on_message
    subscribe(client, topic_filter)
    ready.set()
    deadline = time.monotonic() + timeout
    while state["count"] < expected and time.monotonic() < deadline:
        client.loop(0.1)
    client.disconnect()
    results.put({"received": state["count"], "last": state["last"]})


def subscribe(client: mqtt.Client, topic_filter: str) -> None:
    """Subscribe at QoS 1 and return once the broker confirmed it."""
    acked: list[bool] = []
    client.on_subscribe = lambda *_args: acked.append(True)
    client.subscribe(topic_filter, qos=1)
    deadline = time.monotonic() + 15
    while not acked:
        if client.loop(0.1) != MQTTErrorCode.MQTT_ERR_SUCCESS or time.monotonic() > deadline:
            raise BenchFailed(f"the broker did not confirm the subscription to {topic_filter}")


@dataclass(frozen=True, slots=True)
class PublishOutcome:
    sent: int
    first_publish: float  # time.monotonic() of the first publish of any publisher
    last_ack: float  # time.monotonic() of the last PUBACK of any publisher


class PublisherGroup:
    """P publisher processes sharing messages 0..count-1 round-robin; `go()` starts them all at once."""

    def __init__(self, mqtt_url: str, spec: BenchSpec, *, count: int, publishers: int) -> None:
        self.go_event = new_event()
        self.workers: list[Worker] = []
        try:
            for p in range(publishers):
                indices = range(p, count, publishers)
                self.workers.append(
                    Worker.start(
                        f"publisher {p + 1}/{publishers}",
                        publish_worker,
                        mqtt_url=mqtt_url,
                        spec=spec,
                        indices=indices,
                        go=self.go_event,
                    )
                )
            for w in self.workers:
                w.wait_ready(timeout=120)
        except BaseException:
            self.stop()
            raise

    def go(self) -> float:
        started = time.monotonic()
        self.go_event.set()
        return started

    def outcome(self, timeout: float) -> PublishOutcome:
        results = [w.result(timeout) for w in self.workers]
        return PublishOutcome(
            sent=sum(int(r["sent"]) for r in results),
            first_publish=min(float(r["first"]) for r in results),
            last_ack=max(float(r["last_ack"]) for r in results),
        )

    def stop(self) -> None:
        for w in self.workers:
            w.stop()

    def __enter__(self) -> PublisherGroup:
        return self

    def __exit__(self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None) -> None:
        self.stop()
