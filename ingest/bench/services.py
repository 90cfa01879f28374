"""Where the benchmark runs: the PostgreSQL server and MQTT broker it was given, or its own embedded
PostgreSQL and Mosquitto in a temporary directory, stopped and removed when the run ends."""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import sys
import tempfile
from pathlib import Path

from ingest.brokers import MosquittoProcess, mosquitto_binary
from service_core.db.embedded import EmbeddedPostgres
from service_core.exceptions import ServiceUnavailable

log = logging.getLogger(__name__)


def start_services(database_url: str | None, mqtt_url: str | None, stack: contextlib.ExitStack) -> tuple[str, str]:
    """(admin database URL, MQTT URL); what is not given is started here and stopped by `stack`."""
    if database_url and mqtt_url:
        return database_url, mqtt_url
    if mqtt_url is None and mosquitto_binary() is None:
        raise ServiceUnavailable(
            "the benchmark needs Mosquitto: install it (apt-get install mosquitto) or pass --mqtt-url / "
            "set ASSETPULSE_BENCH_MQTT_URL"
        )
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="assetpulse-bench-")))
    if database_url is None:
        postgres = EmbeddedPostgres(workdir / "pg")
        stack.callback(postgres.stop)
        database_url = postgres.start()
    if mqtt_url is None:
        broker = MosquittoProcess(workdir / "mosquitto")
        broker.binary = _guarded(broker.binary, workdir)
        stack.callback(broker.stop)
        mqtt_url = broker.start().url
    return database_url, mqtt_url


def _guarded(program: str, workdir: Path) -> str:
    """A launcher for `program` that keeps it from outliving this process (see ingest.bench.guard)."""
    launcher = workdir / f"{Path(program).name}-guarded"
    guard = [sys.executable, "-m", "ingest.bench.guard", str(os.getpid()), "exec", program]
    launcher.write_text(f'#!/bin/sh\nexec {shlex.join(guard)} "$@"\n')
    launcher.chmod(0o755)
    return str(launcher)
