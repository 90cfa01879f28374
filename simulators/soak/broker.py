"""A Mosquitto of the soak's own, with persistence on, restartable on the same loopback port: the ingestors'
persistent QoS-1 sessions (and the messages queued for them) survive a restart.

Mosquitto writes its persistence file on a clean shutdown (SIGTERM) and every `autosave_interval` seconds; the
soak restarts it cleanly.  (A SIGKILLed Mosquitto loses what it accepted since its last save: a property of the
broker, not something a client can repair.)  Run as root, Mosquitto switches to the `mosquitto` user, so its
folder is handed to that user."""

from __future__ import annotations

import contextlib
import logging
import os
import pwd
import subprocess
import sys
import time
from pathlib import Path

import psutil

from ingest.brokers import MOSQUITTO_CONF, free_port, mosquitto_binary, wait_for_port
from service_core.exceptions import ServiceUnavailable

log = logging.getLogger(__name__)

AUTOSAVE_S = 10


class OwnBroker:
    def __init__(self, data_dir: Path, *, port: int | None = None) -> None:
        binary = mosquitto_binary()
        if binary is None:
            raise ServiceUnavailable("the soak needs Mosquitto (apt-get install mosquitto)")
        self.binary = binary
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self.starts = 0
        self._guard: subprocess.Popen[bytes] | None = None

    def persistence_mib(self) -> float:
        """The size of Mosquitto's persistence file: the sessions and the messages queued for them."""
        path = self.data_dir / "mosquitto.db"
        return round(path.stat().st_size / 2**20, 3) if path.exists() else 0.0

    def start(self, timeout: float | None = None) -> None:
        """Start and wait until it listens: 20 s, plus a minute per GiB of persistence it reads first (an hour's
        soak left 1 GiB of queued messages, and the broker took longer than 20 s to load them)."""
        timeout = timeout if timeout is not None else 20.0 + 60.0 * self.persistence_mib() / 1024
        self.data_dir.mkdir(parents=True, exist_ok=True)
        conf = self.data_dir / "mosquitto.conf"
        text = MOSQUITTO_CONF.format(port=self.port, data_dir=self.data_dir, persistence="true")
        conf.write_text(text.replace("autosave_interval 30", f"autosave_interval {AUTOSAVE_S}"))
        self._hand_over()
        # through the guard: Mosquitto dies with the soak even if the soak is killed
        guard = [sys.executable, "-m", "ingest.bench.guard", str(os.getpid()), "exec", self.binary, "-c", str(conf)]
        for attempt in range(5):  # the port may still be held for a moment by the previous broker
            self._guard = subprocess.Popen(
                guard, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True
            )
            try:
                wait_for_port("127.0.0.1", self.port, timeout=timeout)
                break
            except ServiceUnavailable:
                if self._guard.poll() is None or attempt == 4:
                    raise
                log.warning("Mosquitto exited at start (port %d busy?); retrying", self.port)
                time.sleep(2.0)
        self.starts += 1
        log.info("Mosquitto of the soak on %s (pid %s)", self.url, self.pid())

    def stop(self) -> None:
        """A clean stop: Mosquitto saves its persistence file (sessions, queued messages) on SIGTERM."""
        guard, self._guard = self._guard, None
        if guard is None or guard.poll() is not None:
            return
        brokers = _children(guard.pid)
        guard.terminate()
        try:
            guard.wait(timeout=60)  # saving a large persistence file takes a while
        except subprocess.TimeoutExpired:
            log.warning("Mosquitto did not stop within 60s; killing it")
            guard.kill()
            guard.wait()
        _gone, alive = psutil.wait_procs(brokers, timeout=60)
        for process in alive:
            with contextlib.suppress(psutil.Error):
                process.kill()
        deadline = time.monotonic() + 10
        while _listening(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def pid(self) -> int | None:
        """Mosquitto's own process id (the child of its guard)."""
        if self._guard is None:
            return None
        children = _children(self._guard.pid)
        return children[0].pid if children else None

    def log_tail(self) -> str:
        path = self.data_dir / "mosquitto.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def _hand_over(self) -> None:
        if os.geteuid() != 0:
            return
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam("mosquitto")
            self.data_dir.parent.chmod(0o755)
            for path in (self.data_dir, *self.data_dir.iterdir()):
                os.chown(path, entry.pw_uid, entry.pw_gid)


def _children(pid: int) -> list[psutil.Process]:
    with contextlib.suppress(psutil.Error):
        children: list[psutil.Process] = psutil.Process(pid).children()
        return children
    return []


def _listening(port: int) -> bool:
    import socket

    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
        return True
    return False
