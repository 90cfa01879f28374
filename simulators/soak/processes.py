"""The soak's child processes, each started through `ingest.bench.guard` (so none outlives the soak, even a
killed one), with its output in a log file: ingestors, the detector, the API, the API load and the publisher
shards; and `RssSampler`, which records every process's resident memory (psutil) over the run."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from ingest.brokers import free_port
from service_core.api.serve import api_command, api_env
from service_core.exceptions import ServiceUnavailable

log = logging.getLogger(__name__)


class Child:
    """`python -m MODULE ARGS` under the guard (module mode: the PID is the module's own process)."""

    def __init__(
        self, name: str, module: str, args: list[str], *, env: Mapping[str, str], log_dir: Path, log_name: str = ""
    ) -> None:
        self.name = name
        self.module = module
        self.args = args
        self.env = dict(env)
        self.log_path = log_dir / f"{log_name or name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at: float | None = None

    def start(self) -> Child:
        command = [sys.executable, "-m", "ingest.bench.guard", str(os.getpid()), "module", self.module, *self.args]
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(command, env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                            start_new_session=True)  # fmt: skip
        self.started_at = time.time()
        log.info("%s started (pid %d)", self.name, self.process.pid)
        return self

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no goodbye, nothing flushed."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self, timeout: float = 30.0) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                log.warning("%s ignored SIGTERM for %.0fs; killing it", self.name, timeout)
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def wait(self, timeout: float) -> int | None:
        if self.process is None:
            return None
        with contextlib.suppress(subprocess.TimeoutExpired):
            return self.process.wait(timeout=timeout)
        return None

    def log_tail(self, chars: int = 2000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def log_contains(self, text: str) -> bool:
        return self.log_path.exists() and text in self.log_path.read_text(errors="replace")


def ingestor(n: int, *, database_url: str, mqtt_url: str, group: str, log_dir: Path, generation: int = 1) -> Child:
    """Ingestor `n` of the shared-subscription group; a replacement takes the same client id, hence the same
    persistent session (the messages the broker holds for it are delivered to the replacement)."""
    env = {
        **os.environ,
        "ASSETPULSE_DATABASE_URL": database_url,
        "ASSETPULSE_MQTT_URL": mqtt_url,
        "ASSETPULSE_CLIENT_ID": f"soak-ingest-{n}",
        "ASSETPULSE_SHARED_GROUP": group,
        "ASSETPULSE_METRICS_PORT": str(free_port()),
        "ASSETPULSE_LOG_FORMAT": "text",
        "ASSETPULSE_LOG_LEVEL": "INFO",
        "ASSETPULSE_RETRY_MAX_SECONDS": "2",
    }
    return Child(f"ingestor-{n}", "ingest", [], env=env, log_dir=log_dir, log_name=f"ingestor-{n}.{generation}")


def detector(*, database_url: str, log_dir: Path, interval_s: float) -> Child:
    env = {**os.environ, "ASSETPULSE_DATABASE_URL": database_url, "ASSETPULSE_LOG_LEVEL": "INFO",
           "ASSETPULSE_LOG_FORMAT": "text"}  # fmt: skip
    args = ["detect", "run", "--interval", str(interval_s), "--metrics-port", "0"]
    return Child("detector", "simulators.soak.entry", args, env=env, log_dir=log_dir)


@dataclass
class ApiServer:
    """The API (uvicorn, one worker process) on a free port."""

    child: Child
    base_url: str

    @classmethod
    def start(cls, *, database_url: str, secret: str, log_dir: Path, timeout: float = 90.0) -> ApiServer:
        port = free_port()
        command = [part.format(port=port) for part in api_command(workers=1)]
        env = api_env(database_url, secret=secret, pool_min=2, pool_max=8)
        child = Child("api", command[2], command[3:], env=env, log_dir=log_dir).start()  # `-m uvicorn ...`
        server = cls(child, f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not child.alive():
                raise ServiceUnavailable(f"the API exited before answering: {child.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(server.base_url + "/health", timeout=1.0).status_code == 200:
                    return server
            time.sleep(0.2)
        child.stop()
        raise ServiceUnavailable(f"the API did not answer within {timeout:.0f}s")


def api_load(*, base_url: str, token: str, rate: float, out: Path, log_dir: Path) -> Child:
    args = ["--base-url", base_url, "--token", token, "--rate", str(rate), "--out", str(out)]
    return Child("api-load", "simulators.soak.apiload", args, env=os.environ, log_dir=log_dir)


def publisher(shard: int, *, scenario_file: Path, mqtt_url: str, out: Path, drain_s: float, log_dir: Path) -> Child:
    args = [str(scenario_file), mqtt_url, str(out), str(drain_s)]
    return Child(f"publisher-{shard}", "simulators.soak.publisher", args, env=os.environ, log_dir=log_dir)


# -- memory ------------------------------------------------------------------------------------------------------
@dataclass
class RssSampler:
    """Samples the resident memory of named processes every `interval_s` in a thread: `samples[name]` is a list of
    (seconds since `t0`, pid, bytes).  `targets` is called each time, so a restarted process is followed."""

    targets: Callable[[], dict[str, list[int]]]
    t0: float
    interval_s: float = 5.0
    samples: dict[str, list[tuple[float, int, int]]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> RssSampler:
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def sample_now(self) -> None:
        now = time.time() - self.t0
        for name, pids in self.targets().items():
            rss = 0
            for pid in pids:
                with contextlib.suppress(psutil.Error):
                    rss += psutil.Process(pid).memory_info().rss
            if pids and rss:
                self.samples.setdefault(name, []).append((round(now, 1), pids[0], rss))

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.sample_now()
            except Exception:  # a sampler must never end the soak
                log.exception("RSS sampling failed")


def process_tree(pid: int | None) -> list[int]:
    """`pid` and its children (PostgreSQL's backends, for instance)."""
    if pid is None:
        return []
    with contextlib.suppress(psutil.Error):
        return [pid, *(c.pid for c in psutil.Process(pid).children(recursive=True))]
    return []
