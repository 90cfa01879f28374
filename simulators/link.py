"""One simulated device's MQTT connection: birth and last will, QoS-1 telemetry, store-and-forward.

The device publishes a retained `online` status (birth) every time it connects and leaves a retained `offline`
last will with the broker.  Readings always pass through its `Backlog`: while connected they leave at once
(one reading per message); while offline, or while too many messages wait for their PUBACK (back-pressure),
they pile up and leave later as batch messages of at most `batch_size` readings, with their original
timestamps.  `drop_network()` cuts the TCP connection without an MQTT DISCONNECT, as a lost network would, so
the broker publishes the will; `restore_network()` reconnects.  An unexpected loss is retried with exponential
backoff and jitter.  A PUBACK with MQTT 5's "no matching subscribers" (the broker took the message but nobody was
subscribed: after a Mosquitto restart, for instance, shared subscriptions are only back once the ingestors
re-subscribe, and Mosquitto drops what arrives before) puts the readings back at the front of the backlog and
pauses sending for `NO_SUBSCRIBERS_RETRY_S`.  Every method must be called on the thread that polls the `NetworkLoop`.
"""

from __future__ import annotations

import contextlib
import logging
import random
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.reasoncodes import ReasonCode

from ingest.mqtt_url import MqttEndpoint
from ingest.payloads import ReadingGroup, encode_readings, status_topic, telemetry_topic
from service_core.exceptions import ServiceUnavailable
from simulators.devices import DEFAULT_BATCH_SIZE, Backlog
from simulators.mqtt_loop import NetworkLoop, make_client

log = logging.getLogger(__name__)

KEEPALIVE_S = 30
INITIAL_BACKOFF_S = 0.5
MAX_BACKOFF_S = 30.0
NO_SUBSCRIBERS_RETRY_S = 1.0
NO_MATCHING_SUBSCRIBERS = 16  # MQTT 5 PUBACK reason code


@dataclass(slots=True)
class LinkStats:
    readings_sent: int = 0
    messages_sent: int = 0
    batches_sent: int = 0
    connections: int = 0
    dropped_by_fault: int = 0
    requeued_no_subscribers: int = 0


class DeviceLink:
    def __init__(
        self,
        *,
        endpoint: MqttEndpoint,
        loop: NetworkLoop,
        tenant: str,
        device_key: str,
        device_type: str,
        protocol: str = "5",
        backlog_limit: int = 100_000,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_unacked: int = 1000,
    ) -> None:
        self.endpoint = endpoint
        self.device_key = device_key
        self.device_type = device_type
        self.client_id = f"sim-{tenant}-{device_key}"
        self.backlog = Backlog(backlog_limit)
        self.stats = LinkStats()
        self.connected = False
        self.network_up = True
        self._batch_size = batch_size
        self._max_unacked = max_unacked
        self._unacked: dict[int, list[ReadingGroup]] = {}  # telemetry message id -> its readings
        self._hold_until = 0.0  # no sending before (monotonic): nobody was subscribed
        self._telemetry_topic = telemetry_topic(tenant, device_key)
        self._status_topic = status_topic(tenant, device_key)
        self._closing = False
        self._goodbye_mid: int | None = None
        self._reconnect_at: float | None = None
        self._backoff_s = INITIAL_BACKOFF_S
        self._client = self._make_client(protocol, loop)

    def _make_client(self, protocol: str, loop: NetworkLoop) -> mqtt.Client:
        client = make_client(self.client_id, self.endpoint, protocol=protocol)
        client.user_data_set(self.device_key)
        will = self._status("offline", reason="connection_lost", stamped=False)
        client.will_set(self._status_topic, will, qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        loop.attach(client)
        return client

    # -- life cycle ------------------------------------------------------------------------------------------
    def open(self) -> None:
        """Open the TCP connection (blocking) and send CONNECT; the birth follows on CONNACK."""
        try:
            self._client.connect(self.endpoint.host, self.endpoint.port, keepalive=KEEPALIVE_S)
        except OSError as exc:
            raise ServiceUnavailable(f"cannot reach the MQTT broker at {self.endpoint.url()}: {exc}") from exc

    def close(self) -> None:
        """Say goodbye (retained `offline`), disconnect once the broker has it; offline devices just stop."""
        self._closing = True
        if self.connected:
            info = self._client.publish(self._status_topic, self._status("offline", reason="shutdown"), 1, True)
            self._goodbye_mid = info.mid
        elif self._client.socket() is not None:
            self._client.disconnect()

    @property
    def closed(self) -> bool:
        return self._closing and self._client.socket() is None

    @property
    def has_socket(self) -> bool:
        return self._client.socket() is not None

    @property
    def drained(self) -> bool:
        """Nothing more this device can deliver now: all sent and acknowledged, or its network is down."""
        return not self.network_up or (self.connected and not self.backlog and not self._unacked)

    @property
    def unacked(self) -> int:
        return len(self._unacked)

    # -- telemetry -------------------------------------------------------------------------------------------
    def submit(self, group: ReadingGroup) -> None:
        self.backlog.append(group)
        self.pump()

    def pump(self) -> None:
        """Send what the backlog holds, as far as the connection and the PUBACK window allow."""
        if self._hold_until and time.monotonic() < self._hold_until:
            return
        self._hold_until = 0.0
        while self.connected and self.backlog and len(self._unacked) < self._max_unacked and not self._closing:
            groups = self.backlog.take_batch(self._batch_size)
            info = self._client.publish(self._telemetry_topic, encode_readings(groups), qos=1)
            self._unacked[info.mid] = groups
            self.stats.readings_sent += len(groups)
            self.stats.messages_sent += 1
            self.stats.batches_sent += len(groups) > 1

    # -- connectivity faults ---------------------------------------------------------------------------------
    def drop_network(self) -> None:
        """Lose the network: TCP closes without an MQTT DISCONNECT, so the broker publishes the will."""
        self.network_up = False
        self.connected = False
        self.stats.dropped_by_fault += 1
        sock = self._client.socket()
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        log.info("%s: network lost (simulated); buffering readings", self.device_key)

    def restore_network(self) -> None:
        self.network_up = True
        self._reconnect_at = 0.0
        self.maintain()

    def maintain(self) -> None:
        """Reconnect when a reconnect is due (after a restored network or an unexpected loss); resume sending after
        a pause for want of subscribers."""
        if self._hold_until and self.connected and time.monotonic() >= self._hold_until:
            self.pump()
        if self._reconnect_at is None or self._closing or not self.network_up or self.connected:
            return
        if time.monotonic() < self._reconnect_at:
            return
        try:
            self._client.reconnect()
            self._reconnect_at = None
        except OSError as exc:
            delay = self._schedule_reconnect()
            log.warning("%s: reconnect failed (%s); next try in %.1f s", self.device_key, exc, delay)

    def _schedule_reconnect(self) -> float:
        """Exponential backoff with jitter, reset by a successful CONNACK."""
        delay = self._backoff_s * (0.5 + random.random())
        self._backoff_s = min(MAX_BACKOFF_S, self._backoff_s * 2)
        self._reconnect_at = time.monotonic() + delay
        return delay

    # -- paho callbacks (run inside NetworkLoop.poll) --------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any) -> None:
        if reason.is_failure:
            log.warning("%s: broker refused the connection: %s", self.device_key, reason)
            return
        self.connected = True
        self._backoff_s = INITIAL_BACKOFF_S
        self.stats.connections += 1
        client.publish(self._status_topic, self._status("online"), qos=1, retain=True)
        if self.backlog:
            log.info("%s: connected; flushing %d buffered readings", self.device_key, len(self.backlog))
        self.pump()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any) -> None:
        self.connected = False
        if self._closing or not self.network_up:
            return
        delay = self._schedule_reconnect()
        log.warning("%s: connection lost (%s); reconnecting in %.1f s", self.device_key, reason, delay)

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, reason: ReasonCode, props: Any) -> None:
        groups = self._unacked.pop(mid, None)
        if mid == self._goodbye_mid:
            client.disconnect()
            return
        if groups is not None and getattr(reason, "value", 0) == NO_MATCHING_SUBSCRIBERS:
            self._requeue(groups)
            return
        self.pump()

    def _requeue(self, groups: list[ReadingGroup]) -> None:
        """The broker accepted the readings but nobody was subscribed: they were not delivered; send them again."""
        if not self._hold_until:
            log.info("%s: no subscriber for telemetry; holding %d readings for %.0fs", self.device_key, len(groups),
                     NO_SUBSCRIBERS_RETRY_S)  # fmt: skip
        self.backlog.requeue(groups)
        self.stats.readings_sent -= len(groups)
        self.stats.requeued_no_subscribers += len(groups)
        self._hold_until = time.monotonic() + NO_SUBSCRIBERS_RETRY_S

    def _status(self, state: str, *, reason: str | None = None, stamped: bool = True) -> bytes:
        # the will carries no timestamp: it is sent long after it was set, so the receiver stamps it
        status: dict[str, object] = {"state": state, "device_type": self.device_type}
        if stamped:
            status["ts"] = datetime.now(UTC).isoformat()
        if reason:
            status["reason"] = reason
        return orjson.dumps(status)
