"""A device loses its connection, buffers, reconnects and flushes its backlog: every reading lands in the store
with its own timestamp (simulated devices, real broker, ingestor process, real PostgreSQL)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ingest.brokers import MosquittoProcess
from simulators.config import SimulatorSettings
from simulators.fleet import run_fleet
from simulators.scenarios import parse_scenario, with_overrides
from tests.factories import rows
from tests.support.processes import IngestorProcess, connect_client, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SAMPLES, INTERVAL = 90, 10
SCENARIO = f"""
name: store_and_forward
seed: 3
tenant: TENANT
sample_interval_s: {INTERVAL}
speed: 1
fleet:
  key_prefix: sf
  assets:
    pump: 2
    chiller: 1
faults:
  - device: sf-pump-001
    kind: connectivity_loss
    onset_s: 200
    duration_s: 400
"""


def test_backlog_flushed_after_reconnect_lands_with_original_timestamps(
    database_url: str, own_mosquitto: MosquittoProcess, tenant: str, tmp_path: Path
):
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    scenario = parse_scenario(SCENARIO.replace("TENANT", tenant), source="test", default_name="sf")
    scenario = with_overrides(scenario, start=start)
    ingestor = IngestorProcess(database_url, own_mosquitto.url, tmp_path).start()
    seen: list[tuple[str, dict[str, object]]] = []
    watcher = connect_client(own_mosquitto.url)
    watcher.on_message = lambda _c, _u, m: seen.append((m.topic.rsplit("/", 1)[1], json.loads(m.payload)))
    watcher.subscribe(f"assetpulse/{tenant}/sf-pump-001/#", qos=1)
    time.sleep(0.5)
    try:
        settings = SimulatorSettings(mqtt_url=own_mosquitto.url, database_url=database_url)
        report = run_fleet(settings, scenario, samples=SAMPLES)
        assert not report.interrupted and not any(report.undelivered.values()), report.undelivered
        sent = report.total_sent  # reading groups: one per device and sample instant
        groups = "SELECT count(DISTINCT (device_id, ts)) FROM telemetry.readings"
        wait_until(
            lambda: rows(database_url, groups)[0][0] == sent,
            timeout=60,
            message="not every reading the fleet sent was stored",
        )
    finally:
        ingestor.stop()
        watcher.loop_stop()
        watcher.disconnect()

    # the device really went away (its last will) and came back with its backlog in batch messages
    states = [p["state"] for kind, p in seen if kind == "status"]
    assert "offline" in states[:-1] and states[-1] == "offline", states  # will mid-run, goodbye at the end
    batches = [p for kind, p in seen if kind == "telemetry" and "readings" in p]
    assert sum(len(b["readings"]) for b in batches) >= 400 // INTERVAL  # type: ignore[arg-type]

    per_device = dict(
        rows(
            database_url,
            """
        SELECT d.device_key, count(DISTINCT r.ts) FROM telemetry.readings r
        JOIN fleet.devices d ON d.id = r.device_id GROUP BY 1""",
        )
    )
    assert per_device == {"sf-pump-001": SAMPLES, "sf-pump-002": SAMPLES, "sf-chiller-001": SAMPLES}

    stamps = [
        r[0]
        for r in rows(
            database_url,
            """
        SELECT DISTINCT r.ts FROM telemetry.readings r JOIN fleet.devices d ON d.id = r.device_id
        WHERE d.device_key = 'sf-pump-001' ORDER BY 1""",
        )
    ]
    first = stamps[0]
    assert [(ts - first).total_seconds() for ts in stamps] == [float(i * INTERVAL) for i in range(SAMPLES)]
    offline = [ts for ts in stamps if timedelta(seconds=200) <= ts - first < timedelta(seconds=600)]
    assert len(offline) == 400 // INTERVAL  # the buffered readings, each at its own time
    assert rows(database_url, "SELECT count(*) FROM ingest.quarantine") == [(0,)]
    assert rows(database_url, "SELECT count(*) FROM ingest.dead_letters") == [(0,)]
