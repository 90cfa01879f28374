"""One thread, many MQTT connections: paho clients driven through its external-loop API with a selector.

Every simulated device has its own paho client (own client id, own will); instead of one network thread per
client (`loop_start`), `NetworkLoop.poll()` waits on all their sockets at once and lets each client read,
write and keep its connection alive.  All client calls (connect, publish, disconnect) must happen on the
thread that calls `poll()`: paho clients are then never touched by two threads.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import time
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion

from ingest.mqtt_url import MqttEndpoint

log = logging.getLogger(__name__)

_MISC_INTERVAL_S = 1.0


def make_client(client_id: str, endpoint: MqttEndpoint, *, protocol: str = "5") -> mqtt.Client:
    """A paho 2.x client for `endpoint`, clean session, credentials and TLS as the URL says."""
    v5 = protocol == "5"
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=None if v5 else True,
        protocol=MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311,
    )
    if endpoint.username:
        client.username_pw_set(endpoint.username, endpoint.password)
    if endpoint.tls:
        client.tls_set()
    client.max_inflight_messages_set(100)
    return client


class NetworkLoop:
    """Drives the sockets of many paho clients from the calling thread."""

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._clients: list[mqtt.Client] = []
        self._last_misc = 0.0

    def attach(self, client: mqtt.Client) -> None:
        """Take over `client`'s network I/O; call before `connect()`."""
        client.on_socket_open = self._on_socket_open
        client.on_socket_close = self._on_socket_close
        client.on_socket_register_write = self._on_register_write
        client.on_socket_unregister_write = self._on_unregister_write
        self._clients.append(client)

    def poll(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for network events and handle them; keep-alives once a second."""
        if self._selector.get_map():
            events = self._selector.select(max(0.0, timeout))
        else:
            time.sleep(max(0.0, timeout))
            events = []
        for key, mask in events:
            client: mqtt.Client = key.data
            if mask & selectors.EVENT_READ:
                self._check(client, client.loop_read(), "read")
            if mask & selectors.EVENT_WRITE and client.socket() is not None:
                self._check(client, client.loop_write(), "write")
        now = time.monotonic()
        if now - self._last_misc >= _MISC_INTERVAL_S:
            self._last_misc = now
            for client in self._clients:
                if client.socket() is not None:
                    client.loop_misc()

    def close(self) -> None:
        self._selector.close()

    @staticmethod
    def _check(client: mqtt.Client, rc: MQTTErrorCode, what: str) -> None:
        if rc not in (
            MQTTErrorCode.MQTT_ERR_SUCCESS,
            MQTTErrorCode.MQTT_ERR_CONN_LOST,
            MQTTErrorCode.MQTT_ERR_NO_CONN,
        ):
            log.debug("%s of %s returned %s", what, client.user_data_get(), rc)

    # -- paho's external-loop callbacks ----------------------------------------------------------------------
    def _on_socket_open(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._selector.register(sock, selectors.EVENT_READ, client)

    def _on_socket_close(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(sock)

    def _on_register_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._modify(sock, client, selectors.EVENT_READ | selectors.EVENT_WRITE)

    def _on_unregister_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._modify(sock, client, selectors.EVENT_READ)

    def _modify(self, sock: Any, client: mqtt.Client, events: int) -> None:
        try:
            self._selector.modify(sock, events, client)
        except (KeyError, ValueError):
            log.debug("socket of %s is no longer registered", client.user_data_get())
