"""The ingestor's MQTT side: a persistent QoS-1 session whose messages are acknowledged only when the caller
says they are committed.

Flow control: with MQTT 5 the broker never has more than `receive_maximum` unacknowledged messages in flight to
us, so memory is bounded by that window; with MQTT 3.1.1 the broker's own in-flight limit plays that role, and
as a last resort the network thread waits when `max_pending_messages` are held (TCP back-pressure).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from ingest.config import IngestSettings
from ingest.metrics import IngestMetrics
from ingest.mqtt_url import parse_mqtt_url
from ingest.payloads import TOPIC_ROOT
from ingest.pipeline import InboundMessage

log = logging.getLogger(__name__)

SUBSCRIPTION = f"{TOPIC_ROOT}/#"


def subscription_topic(shared_group: str) -> str:
    return f"$share/{shared_group}/{SUBSCRIPTION}" if shared_group else SUBSCRIPTION


class MqttSource:
    def __init__(self, settings: IngestSettings, metrics: IngestMetrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.endpoint = parse_mqtt_url(settings.mqtt_url)
        self._inbox: deque[InboundMessage] = deque()
        self._cond = threading.Condition()
        self._generation = 0
        self._stopping = False
        self.connected = threading.Event()  # set once connected *and* subscribed
        self._client = self._make_client()

    # -- set-up ------------------------------------------------------------------------------------------
    def _make_client(self) -> mqtt.Client:
        v5 = self.settings.mqtt_protocol == "5"
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.settings.client_id,
            clean_session=None if v5 else False,
            protocol=MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311,
            manual_ack=True,
        )
        if self.endpoint.username:
            client.username_pw_set(self.endpoint.username, self.endpoint.password)
        if self.endpoint.tls:
            client.tls_set()
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        return client

    def start(self) -> None:
        properties = None
        kwargs: dict[str, Any] = {}
        if self.settings.mqtt_protocol == "5":
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = self.settings.session_expiry_seconds
            properties.ReceiveMaximum = self.settings.receive_maximum
            kwargs["clean_start"] = False
        self._client.connect_async(
            self.endpoint.host,
            self.endpoint.port,
            keepalive=self.settings.keepalive_seconds,
            properties=properties,
            **kwargs,
        )
        self._client.loop_start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._client.disconnect()
        self._client.loop_stop()
        self.metrics.mqtt_connected.set(0)

    # -- paho callbacks (network thread) -----------------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, _u: Any, flags: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.warning("broker %s refused the connection: %s", self.endpoint.url(), reason)
            return
        with self._cond:
            self._generation += 1
        topic = subscription_topic(self.settings.shared_group)
        client.subscribe(topic, qos=1)
        log.info(
            "connected to %s as %s (session present: %s), subscribing to %s",
            self.endpoint.url(),
            self.settings.client_id,
            getattr(flags, "session_present", "?"),
            topic,
        )

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, _mid: int, reasons: list[Any], _p: Any) -> None:
        failed = [r for r in reasons if r.is_failure]
        if failed:
            log.error("broker refused the subscription: %s", failed)
            return
        self.metrics.mqtt_connected.set(1)
        self.connected.set()
        log.info("subscribed; ingesting")

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self.connected.clear()
        self.metrics.mqtt_connected.set(0)
        if not self._stopping:
            log.warning("disconnected from %s (%s); reconnecting", self.endpoint.url(), reason)

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        item = InboundMessage(msg.topic, bytes(msg.payload), msg.mid, msg.qos, self._generation)
        with self._cond:
            while len(self._inbox) >= self.settings.max_pending_messages and not self._stopping:
                self._cond.wait(0.5)
            self._inbox.append(item)
            if len(self._inbox) == 1 or len(self._inbox) >= self.settings.batch_max_messages:
                self._cond.notify_all()
        self.metrics.messages_received.inc()

    # -- the writer's side -------------------------------------------------------------------------------
    def take(self, max_messages: int, max_wait: float, idle_wait: float = 0.5) -> list[InboundMessage]:
        """Up to `max_messages`, waiting at most `max_wait` once the first has arrived."""
        with self._cond:
            if not self._inbox and not self._stopping:
                self._cond.wait(idle_wait)
            deadline = time.monotonic() + max_wait
            while len(self._inbox) < max_messages and not self._stopping:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._inbox:
                    break
                self._cond.wait(remaining)
            count = min(max_messages, len(self._inbox))
            batch = [self._inbox.popleft() for _ in range(count)]
            self._cond.notify_all()
        return batch

    def pending(self) -> int:
        return len(self._inbox)

    def ack(self, messages: list[InboundMessage]) -> int:
        """Acknowledge committed messages received on the current connection; returns how many were acked.

        A message from an earlier connection is not acknowledged: its packet id may now name another message.
        The broker redelivers it (persistent session) and the idempotent store absorbs the copy."""
        generation = self._generation
        acked = 0
        for m in messages:
            if m.qos > 0 and m.generation == generation:
                self._client.ack(m.mid, m.qos)
                acked += 1
        return acked
