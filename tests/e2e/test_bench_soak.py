"""`assetpulse bench soak`, short: 100 devices for one minute through its own Mosquitto and PostgreSQL, two
ingestors, the detector and the API under load, while an ingestor is SIGKILLed, PostgreSQL restarted and the
broker restarted.  Every reading sent must be stored, and each outage must really have happened."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ingest.brokers import mosquitto_binary
from simulators.soak.postgres import postgres_bin_dir

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Errors allowed: the API has no database for the restart's 5 s (+ its pool reconnecting) out of 60 s; at 30 req/s
# about 150 requests fall in that window, so even if every one of them failed the rate would stay below 10 %.
# Outside the outage windows nothing may fail.
MAX_API_ERROR_RATE = 0.10


def test_short_soak_loses_nothing_through_an_ingestor_kill_a_database_and_a_broker_restart():
    if mosquitto_binary() is None:
        pytest.skip("needs Mosquitto")
    postgres_bin_dir()  # raises with a message when PostgreSQL's binaries are missing
    done = subprocess.run(
        [sys.executable, "-m", "simulators.soak.entry", "bench", "soak", "--minutes", "1", "--devices", "100",
         "--drain-timeout", "60", "--json"],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)

    assert report["readings_sent"] == report["readings_stored"] > 5000  # 100 devices x 60 s, minus nothing
    assert report["drained"] and report["readings_undelivered_at_stop"] == 0
    assert report["readings_dropped_by_device_buffers"] == 0
    assert report["metric_values_stored"] == report["rollup_values"]
    assert report["quarantined"] == 0 and report["dead_letters"] == 0

    assert report["api_error_rate"] < MAX_API_ERROR_RATE
    assert report["api"]["outside_outage_windows"]["errors"] == 0
    assert report["api"]["requests"] > 1000  # the load really ran (30 req/s)

    outages = {o["name"]: o for o in report["outages"]}
    assert set(outages) == {"kill_ingestor", "restart_postgres", "restart_broker"}
    kill = outages["kill_ingestor"]
    assert kill["replacement_pid"] != kill["killed_pid"]
    pg = outages["restart_postgres"]
    assert pg["postmaster_start_after"] > pg["postmaster_start_before"]
    assert pg["postmaster_pid_after"] != pg["postmaster_pid_before"]
    broker = outages["restart_broker"]
    assert broker["broker_pid_after"] != broker["broker_pid_before"] and broker["broker_starts"] == 2
    assert broker["persistence_mib"] > 0  # the saved sessions, read back at the start

    assert report["faults_injected"] >= 8  # at least one of each kind a short run uses
    # the detector's models learn from history sampled as the fleet is (1 s rows): healthy new units stay quiet
    detection = report["detection"]
    assert detection["work_orders_false"] <= 1, detection
    assert report["config"]["training"]["interval_s"] == 1.0
    assert detection["faults_caught_of_detectable"] * 2 >= detection["faults_detectable_during_run"] > 0, detection
    assert report["rss"]["ingestor-2"] and report["rss"]["detector"] and report["rss"]["api"]
    assert report["rss_worst_process"] is not None

    # where the database time went: the soak's own server preloads pg_stat_statements when the installation has it
    database = report["database"]
    if database["statement_stats"]:
        top = database["top_statements"]
        assert top and all(s["calls"] > 0 and s["total_ms"] >= 0 for s in top), top
        assert [s["total_ms"] for s in top] == sorted((s["total_ms"] for s in top), reverse=True)
        assert any("telemetry" in s["query"] for s in top), top  # the ingestors' writes cost database time
