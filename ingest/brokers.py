"""MQTT brokers this project can start by itself: a Mosquitto process (when the binary is installed) or the
in-process `amqtt` broker.  Used by `assetpulse demo`, the benchmark and the test suite; production runs a
real, separately managed broker (see deploy/).

Given a `BrokerAuth`, either broker refuses anonymous clients and lets in only the devices of the registry with
their own credentials (each to its own topics) and the given service users: Mosquitto through password and ACL
files rendered from the registry (`sync_auth()` re-renders them and reloads it), amqtt through
`ingest.amqtt_auth.RegistryAuthPlugin`, which reads the registry at every CONNECT.  Without one (the test
suite's brokers) they accept anyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import psycopg

from service_core.devices import service as devices_service
from service_core.devices.broker_auth import BrokerAccount, render_acl_file, render_password_file
from service_core.devices.broker_sync import reload_broker, write_atomically
from service_core.exceptions import ServiceUnavailable

log = logging.getLogger(__name__)

# Queues big enough that a persistent session never loses a reading while its ingestor is down
# (Mosquitto's default of 1,000 queued messages per client would silently drop the rest).
MOSQUITTO_CONF = """\
listener {port} 127.0.0.1
allow_anonymous true
persistence {persistence}
persistence_location {data_dir}/
autosave_interval 30
max_queued_messages 2000000
max_queued_bytes 0
max_inflight_messages 1000
persistent_client_expiration 14d
set_tcp_nodelay true
log_dest file {data_dir}/mosquitto.log
log_type error
log_type warning
log_type notice
"""

MOSQUITTO_AUTH_CONF = """\
allow_anonymous false
password_file {data_dir}/passwd
acl_file {data_dir}/acl
"""


@dataclass(frozen=True, slots=True)
class BrokerAuth:
    """Who may use a locally started broker: the devices of the registry at `database_url`, with their own
    credentials, and the service users in `service_accounts` (their passwords already hashed)."""

    database_url: str
    service_accounts: tuple[BrokerAccount, ...]


class RunningBroker(Protocol):
    url: str

    def stop(self) -> None: ...


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_port(host: str, port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise ServiceUnavailable(f"nothing listens on {host}:{port} after {timeout:.0f}s")


def mosquitto_binary() -> str | None:
    return shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(p).exists()), None
    )


class MosquittoProcess:
    """A Mosquitto child process listening on 127.0.0.1:`port`, its state in `data_dir`."""

    def __init__(
        self, data_dir: Path, *, port: int | None = None, persistence: bool = True, auth: BrokerAuth | None = None
    ) -> None:
        binary = mosquitto_binary()
        if binary is None:
            raise ServiceUnavailable("mosquitto is not installed (apt-get install mosquitto)")
        self.binary = binary
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.persistence = persistence
        self.auth = auth
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> MosquittoProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        conf = self.data_dir / "mosquitto.conf"
        text = MOSQUITTO_CONF.format(
            port=self.port, data_dir=self.data_dir, persistence="true" if self.persistence else "false"
        )
        if self.auth is not None:
            self.sync_auth()
            text = text.replace("allow_anonymous true\n", MOSQUITTO_AUTH_CONF.format(data_dir=self.data_dir))
            if os.geteuid() == 0:  # else it switches to the `mosquitto` user, who may not read our 0600 files
                text += "user root\n"
        conf.write_text(text)
        # its own session: a Ctrl-C at the terminal reaches us, and we stop the broker last, after the ingestor
        # has committed and acknowledged its final batch
        self._process = subprocess.Popen(
            [self.binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        try:
            wait_for_port("127.0.0.1", self.port)
        except ServiceUnavailable:
            self.stop()
            raise
        log.info("mosquitto running on %s (pid %s)", self.url, self._process.pid)
        return self

    def sync_auth(self) -> bool:
        """Render the password and ACL files from the registry; when they changed and the broker runs, reload it
        (it then refuses revoked devices and drops their connections).  Whether anything changed."""
        if self.auth is None:
            raise ServiceUnavailable("this Mosquitto was started without authentication")
        with psycopg.connect(self.auth.database_url) as conn:
            accounts = devices_service.broker_accounts(conn) + list(self.auth.service_accounts)
        files = {
            self.data_dir / "acl": render_acl_file(accounts),
            self.data_dir / "passwd": render_password_file(accounts),
        }
        changed = [path for path, text in files.items() if not path.exists() or path.read_text() != text]
        for path in changed:
            write_atomically(path, files[path], mode=0o600)
        if changed and self._process is not None and self._process.poll() is None:
            reload_broker(self._process.pid)
        return bool(changed)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None


class AmqttBroker:
    """The pure-Python `amqtt` broker in a thread of this process (MQTT 3.1.1: no shared subscriptions)."""

    def __init__(self, *, port: int | None = None, auth: BrokerAuth | None = None) -> None:
        self.port = port or free_port()
        self.auth = auth
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="amqtt-broker", daemon=True)
        self._broker: Any = None

    def start(self) -> AmqttBroker:
        from amqtt.broker import Broker

        self._thread.start()
        config: dict[str, Any] = {"listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{self.port}"}}}
        if self.auth is not None:
            from ingest.amqtt_auth import RegistryAuthPlugin, account_to_config

            plugin = f"{RegistryAuthPlugin.__module__}.{RegistryAuthPlugin.__qualname__}"
            services = [account_to_config(a) for a in self.auth.service_accounts]
            # replaces amqtt's default plugins, the anonymous-auth one among them
            config["plugins"] = {plugin: {"database_url": self.auth.database_url, "service_accounts": services}}

        async def _start() -> Any:
            broker = Broker(config, loop=self._loop)
            await broker.start()
            return broker

        # `start()` returns once the listener is bound: no need to probe the port (amqtt logs probes as errors)
        self._broker = asyncio.run_coroutine_threadsafe(_start(), self._loop).result(timeout=20)
        log.info("amqtt broker running on %s", self.url)
        return self

    def stop(self) -> None:
        if self._broker is not None:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop).result(timeout=10)
            self._broker = None
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)


def start_local_broker(
    data_dir: Path, *, port: int | None = None, prefer: str = "auto", auth: BrokerAuth | None = None
) -> RunningBroker:
    """Mosquitto when it is installed (or asked for), else amqtt; authenticating clients when given `auth`."""
    if prefer in ("auto", "mosquitto") and mosquitto_binary() is not None:
        return MosquittoProcess(data_dir / "mosquitto", port=port, auth=auth).start()
    if prefer == "mosquitto":
        raise ServiceUnavailable("mosquitto was asked for but is not installed")
    return AmqttBroker(port=port, auth=auth).start()
