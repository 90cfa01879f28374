"""`assetpulse bench ingest` against a real PostgreSQL server and a real Mosquitto: it must store exactly what it
sent and report every figure.  No wall-clock thresholds here: speed depends on the machine."""

from __future__ import annotations

import subprocess
import sys

import orjson
import psycopg
import pytest

from ingest.bench import BenchOptions, run_bench

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RATES = (
    "msgs_per_s",
    "readings_per_s",
    "publish_msgs_per_s",
    "naive_readings_per_s",
    "copy_readings_per_s",
    "broker_msgs_per_s",
    "ratio_to_ceiling",
    "ratio_to_naive",
)
REQUIRED = (
    *RATES,
    "messages",
    "metrics",
    "devices",
    "publishers",
    "sent_readings",
    "stored_readings",
    "duplicates",
    "exact",
    "targets_met",
)


def bench_databases(admin_url: str) -> set[str]:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'assetpulse_bench_%'").fetchall()
    return {r[0] for r in rows}


def test_bench_stores_exactly_what_it_sent_and_reports_every_figure(pg_admin_url: str, mqtt_url: str) -> None:
    before = bench_databases(pg_admin_url)

    report = run_bench(
        BenchOptions(
            messages=3000,
            metrics=5,
            devices=50,
            publishers=2,
            database_url=pg_admin_url,
            mqtt_url=mqtt_url,
            naive_messages=300,
            timeout_seconds=180,
        )
    )
    result = report.to_dict()

    assert result["sent_readings"] == 3000 * 5
    assert result["stored_readings"] == result["sent_readings"]
    assert result["duplicates"] == 0
    assert result["mismatched_series"] == 0
    assert result["quarantined_readings"] == 0
    assert result["dead_letters"] == 0
    assert result["exact"] is True
    assert set(REQUIRED) <= result.keys()
    for key in RATES:
        assert result[key] > 0, key
    assert (result["messages"], result["metrics"], result["devices"], result["publishers"]) == (3000, 5, 50, 2)
    assert isinstance(result["targets_met"], bool)
    assert bench_databases(pg_admin_url) <= before, "the benchmark must drop its database"


def test_cli_prints_one_json_object_on_stdout(pg_admin_url: str, mqtt_url: str) -> None:
    command = [
        sys.executable, "-c", "from ingest.bench.cli import app; app(prog_name='assetpulse bench')",
        "ingest", "--json", "--messages", "400", "--metrics", "3", "--devices", "20", "--publishers", "1",
        "--naive-messages", "100", "--database-url", pg_admin_url, "--mqtt-url", mqtt_url,
    ]  # fmt: skip

    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)

    assert done.returncode == 0, done.stderr[-3000:]
    result = orjson.loads(done.stdout)  # the whole of stdout is one JSON object; logs went to stderr
    assert set(REQUIRED) <= result.keys()
    assert result["stored_readings"] == result["sent_readings"] == 400 * 3
    assert result["exact"] is True
    assert "phase 4/4" in done.stderr
