"""The real ingestor (`python -m ingest`) as a child process of the benchmark, with its own client id, no
shared group, no metrics port and a session that ends with the connection."""

from __future__ import annotations

import collections
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from types import TracebackType
from typing import IO

from ingest.bench.errors import BenchFailed

log = logging.getLogger(__name__)

SUBSCRIBED_MARK = "subscribed; ingesting"


class IngestorProcess:
    def __init__(self, *, database_url: str, mqtt_url: str, shared_group: str = "") -> None:
        self.client_id = f"bench-ingest-{secrets.token_hex(4)}"
        self.env = {
            **os.environ,
            "ASSETPULSE_DATABASE_URL": database_url,
            "ASSETPULSE_MQTT_URL": mqtt_url,
            "ASSETPULSE_CLIENT_ID": self.client_id,
            "ASSETPULSE_SHARED_GROUP": shared_group,
            "ASSETPULSE_METRICS_PORT": "0",
            "ASSETPULSE_SESSION_EXPIRY_SECONDS": "0",
            "ASSETPULSE_LOG_FORMAT": "text",
        }
        self.subscribed = threading.Event()
        self.tail: collections.deque[str] = collections.deque(maxlen=40)
        self._process: subprocess.Popen[str] | None = None
        self._pump: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> IngestorProcess:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "ingest.bench.guard", str(os.getpid()), "module", "ingest"],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        assert self._process.stderr is not None
        self._pump = threading.Thread(
            target=self._read_log, args=(self._process.stderr,), name="ingestor-log", daemon=True
        )
        self._pump.start()
        log.info("ingestor %s started (pid %d)", self.client_id, self._process.pid)
        return self

    def _read_log(self, stream: IO[str]) -> None:
        for raw in stream:
            line = raw.rstrip()
            self.tail.append(line)
            log.info("ingestor | %s", line)
            if SUBSCRIBED_MARK in line:
                self.subscribed.set()

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def check_alive(self) -> None:
        if not self.alive():
            code = self._process.poll() if self._process else None
            raise BenchFailed(f"the ingestor exited (code {code}); its last lines:\n" + "\n".join(self.tail))

    def wait_subscribed(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.subscribed.wait(0.2):
            self.check_alive()
            if time.monotonic() > deadline:
                raise BenchFailed(f"the ingestor did not subscribe within {timeout:.0f}s")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                log.warning("ingestor %s ignored SIGTERM, killing it", self.client_id)
                process.kill()
                process.wait()
        if self._pump is not None:
            self._pump.join(timeout=5)
        log.info("ingestor %s stopped (exit code %s)", self.client_id, process.returncode)

    def __enter__(self) -> IngestorProcess:
        return self.start()

    def __exit__(self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None) -> None:
        self.stop()


class IngestorGroup:
    """`count` ingestor processes; several share a fresh MQTT shared-subscription group, as when scaled out."""

    def __init__(self, *, database_url: str, mqtt_url: str, count: int = 1) -> None:
        group = f"bench{secrets.token_hex(4)}" if count > 1 else ""
        self.members = [
            IngestorProcess(database_url=database_url, mqtt_url=mqtt_url, shared_group=group) for _ in range(count)
        ]

    @property
    def client_id(self) -> str:
        return self.members[0].client_id

    def wait_subscribed(self, timeout: float) -> None:
        for member in self.members:
            member.wait_subscribed(timeout)

    def check_alive(self) -> None:
        for member in self.members:
            member.check_alive()

    def stop(self) -> None:
        for member in self.members:
            member.stop()

    def __enter__(self) -> IngestorGroup:
        try:
            for member in self.members:
                member.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None) -> None:
        self.stop()
