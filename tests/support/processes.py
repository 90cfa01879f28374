"""Processes started as a user would start them, and MQTT helpers for the tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from ingest.brokers import free_port
from ingest.mqtt_url import parse_mqtt_url


class IngestorProcess:
    """`python -m ingest` with its settings in the environment, stdout/stderr in a log file."""

    def __init__(
        self, database_url: str, mqtt_url: str, log_dir: Path, client_id: str = "ingest-test-1", **settings: str
    ) -> None:
        self.metrics_port = free_port()
        self.log_path = log_dir / f"{client_id}.log"
        self.env = {
            **os.environ,
            "ASSETPULSE_DATABASE_URL": database_url,
            "ASSETPULSE_MQTT_URL": mqtt_url,
            "ASSETPULSE_CLIENT_ID": client_id,
            "ASSETPULSE_METRICS_PORT": str(self.metrics_port),
            **{f"ASSETPULSE_{k.upper()}": v for k, v in settings.items()},
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> IngestorProcess:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "ingest"], env=self.env, stdout=log, stderr=log)
        try:
            wait_until(lambda: self.metric("assetpulse_ingest_mqtt_connected") == 1.0, timeout=30)
        except AssertionError:
            raise AssertionError(f"ingestor never connected; its log:\n{self.log()}") from None
        return self

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""

    def metrics(self) -> dict[str, float]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=2) as r:
                text = r.read().decode()
        except OSError:
            return {}
        out: dict[str, float] = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                out[name] = float(value)
        return out

    def metric(self, name: str) -> float | None:
        return self.metrics().get(name)

    def rss_kib(self) -> int:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0


def wait_until(
    predicate: Callable[[], bool], *, timeout: float, message: str = "condition not met", interval: float = 0.1
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"{message} (after {timeout:.0f}s)")


def connect_client(mqtt_url: str, client_id: str = "", **kwargs: object) -> mqtt.Client:
    ep = parse_mqtt_url(mqtt_url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, **kwargs)  # type: ignore[arg-type]
    client.max_queued_messages_set(5000)
    client.connect(ep.host, ep.port, keepalive=5)
    client.loop_start()
    return client


class Publisher:
    """Publishes numbered telemetry at QoS 1 from a background thread and remembers what the broker accepted."""

    def __init__(self, mqtt_url: str, tenant: str, devices: list[str], metrics: int = 3) -> None:
        self.client = connect_client(mqtt_url)
        self.tenant, self.devices, self.metrics = tenant, devices, metrics
        self.sent = 0
        self.start_ts = datetime.now(UTC) - timedelta(minutes=30)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def message(self, i: int) -> tuple[str, bytes]:
        device = self.devices[i % len(self.devices)]
        ts = self.start_ts + timedelta(milliseconds=i)
        payload = {"ts": ts.isoformat(), "metrics": {f"m{k}": float(i) for k in range(self.metrics)}}
        return f"assetpulse/{self.tenant}/{device}/telemetry", json.dumps(payload).encode()

    def publish(self, count: int, rate: float | None = None) -> None:
        for _ in range(count):
            if self._stop.is_set():
                return
            topic, payload = self.message(self.sent)
            while True:
                info = self.client.publish(topic, payload, qos=1)
                if info.rc == mqtt.MQTT_ERR_SUCCESS:
                    break
                time.sleep(0.01)  # queue full: wait for acknowledgements
            self.sent += 1
            if rate:
                time.sleep(1.0 / rate)

    def publish_in_background(self, count: int, rate: float | None = None) -> None:
        self._thread = threading.Thread(target=self.publish, args=(count, rate), daemon=True)
        self._thread.start()

    def wait(self, timeout: float = 120) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
        wait_until(
            lambda: len(self.client._out_messages) == 0,
            timeout=timeout,
            message="publisher still has unacknowledged messages",
        )

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        self.client.loop_stop()
        self.client.disconnect()
