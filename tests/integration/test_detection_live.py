"""Live detection against a real PostgreSQL: model store, high-water marks, a small fleet scored end to end into
conditions and work orders, a restart that does not re-raise, and `assetpulse bench detect` on a tiny run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from detection import store, training
from detection.bench_setup import register_with_assets, units_of, write_history
from detection.live import Detector
from detection.simdata import simulate
from detection.state import load_high_water_marks, save_high_water_marks
from ingest.payloads import Topic
from ingest.pipeline import DeviceTelemetry, Triage
from ingest.writer import TelemetryWriter
from simulators.devices import DeviceSpec
from simulators.faults import Electrical

pytestmark = pytest.mark.integration

TENANT = "t1"
INTERVAL = 30.0
LIVE = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6)


def test_models_are_versioned_with_one_active_per_asset_type_and_kind(database_url: str):
    with psycopg.connect(database_url) as conn:
        first = store.save(conn, asset_type="pump", kind="equipment", model={"w": [1, 2]}, training={"rows": 10},
                           parameters={"scorer": "pca"}, metrics={"p99": 0.5})  # fmt: skip
        second = store.save(conn, asset_type="pump", kind="equipment", model={"w": [3]}, training={}, parameters={},
                            metrics={})  # fmt: skip
        other = store.save(conn, asset_type="chiller", kind="equipment", model=[0], training={}, parameters={},
                           metrics={})  # fmt: skip
        record, model = store.load_active(conn, asset_type="pump", kind="equipment") or (None, None)
        assert (first.version, second.version, other.version) == (1, 2, 1)
        assert record is not None and record.id == second.id and model == {"w": [3]}
        store.activate_version(conn, model_id=first.id)
        record, model = store.load_active(conn, asset_type="pump", kind="equipment") or (None, None)
        assert record is not None and record.training == {"rows": 10} and record.metrics == {"p99": 0.5}
        assert model == {"w": [1, 2]}
        assert [v.is_active for v in store.list_versions(conn, asset_type="pump")] == [True, False]
        assert store.load_active(conn, asset_type="pump", kind="rul_gbr") is None


def test_high_water_marks_only_move_forward(database_url: str):
    units = register_with_assets(database_url, tenant=TENANT, specs=units_of("x", 1)[:1])
    device_id = next(iter(units.values())).device_id
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    with psycopg.connect(database_url) as conn:
        save_high_water_marks(conn, marks={device_id: t0 + timedelta(minutes=5)})
        save_high_water_marks(conn, marks={device_id: t0})  # a late, older batch
        assert load_high_water_marks(conn, device_ids=[device_id]) == {device_id: t0 + timedelta(minutes=5)}


def _store(url: str, spec: DeviceSpec, groups: list) -> None:
    writer = TelemetryWriter(url)
    try:
        writer.write(Triage(telemetry=[DeviceTelemetry(Topic(TENANT, spec.key, "telemetry"), tuple(groups))]))
    finally:
        writer.close()


def _poll_all(url: str, detector: Detector) -> list[int]:
    raised: list[int] = []
    with psycopg.connect(url) as conn:
        detector.load_models(conn)
        while (result := detector.poll_once(conn)).groups_scored:
            raised += result.raised
    return raised


def test_a_fault_raises_one_condition_and_one_work_order_and_a_restart_does_not_raise_it_again(database_url: str):
    training_units = [DeviceSpec(f"tr-pump-{n:03d}", "pump", n) for n in range(1, 4)]
    faulty, healthy = DeviceSpec("live-pump-001", "pump", 11), DeviceSpec("live-pump-002", "pump", 12)
    units = register_with_assets(database_url, tenant=TENANT, specs=[*training_units, faulty, healthy])
    train_start = LIVE - timedelta(hours=25)
    write_history(database_url, tenant=TENANT, specs=training_units, seed=5, start=train_start, interval_s=INTERVAL,
                  samples=int(24 * 3600 / INTERVAL))  # fmt: skip
    with psycopg.connect(database_url) as conn:
        outcome = training.train(conn, asset_type="pump", now=LIVE - timedelta(minutes=30), days=2)
        assert outcome.model.label == "pump/equipment/v1" and outcome.drift == {"previous": None}
        marks = {u.device_id: LIVE - timedelta(seconds=1) for u in units.values()}
        save_high_water_marks(conn, marks=marks)
    fault = Electrical(device_key=faulty.key, onset_s=1800, duration_s=None)
    samples = int(2 * 3600 / INTERVAL)
    faulty_groups = simulate(faulty, [fault], seed=9, start=LIVE, interval_s=INTERVAL, samples=samples)
    _store(database_url, faulty, faulty_groups[: samples // 2 + 20])
    _store(database_url, healthy, simulate(healthy, [], seed=9, start=LIVE, interval_s=INTERVAL, samples=samples))

    raised = _poll_all(database_url, Detector())
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT c.asset_id, c.category, c.failure_mode, c.status, c.raised_at, w.source, c.evidence "
            "FROM detection.conditions c LEFT JOIN work.work_orders w ON w.id = c.work_order_id"
        ).fetchall()
        health = conn.execute("SELECT asset_id, health_score, contributions FROM detection.asset_health").fetchall()
    assert len(raised) == 1 and len(rows) == 1
    asset_id, category, mode, status, raised_at, source, evidence = rows[0]
    assert (asset_id, category, mode, status, source) == (
        units[faulty.key].asset_id,
        "equipment",
        "electrical_imbalance",
        "raised",
        "iot_condition",
    )
    assert LIVE + timedelta(seconds=1800) <= raised_at <= LIVE + timedelta(seconds=1800 + 3600)
    assert evidence["contributions"][0]["signal"] == "current_imbalance"
    scores = {a: s for a, s, _ in health}
    assert scores[units[healthy.key].asset_id] > 50 and scores[units[faulty.key].asset_id] < 50
    _assert_score_history(database_url, faulty=units[faulty.key].asset_id, healthy=units[healthy.key].asset_id,
                          raised_at=raised_at)  # fmt: skip

    _store(database_url, faulty, faulty_groups[samples // 2 + 20 :])  # the fault goes on; a new detector process
    assert _poll_all(database_url, Detector()) == []
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM detection.conditions").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM work.work_orders").fetchone() == (1,)


def _assert_score_history(url: str, *, faulty: int, healthy: int, raised_at: datetime) -> None:
    """Every minute and hour of the scored readings is in the score history, worst score of each bucket; the
    faulty asset's minutes turn bad where its condition was raised, the healthy one's never do."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT asset_id, resolution, bucket, health_score, anomaly_score FROM detection.health_history "
            "ORDER BY asset_id, resolution, bucket"
        ).fetchall()
    minutes = {a: [(b, h, s) for a2, r, b, h, s in rows if a2 == a and r == "1m"] for a in (faulty, healthy)}
    hours = {a: [(b, h, s) for a2, r, b, h, s in rows if a2 == a and r == "1h"] for a in (faulty, healthy)}
    # two hours of 30 s readings, less the model's warm-up rows and the minutes the pump stood still (not scored)
    assert len(minutes[healthy]) >= 90
    assert all(h > 50 and s < 1.0 for _, h, s in minutes[healthy])
    # the minutes that end before the fault's onset (LIVE has seconds: the onset's own minute holds faulty rows)
    before = [s for b, _, s in minutes[faulty] if b + timedelta(minutes=1) <= LIVE + timedelta(seconds=1800)]
    at_raise = [(h, s) for b, h, s in minutes[faulty] if b <= raised_at < b + timedelta(minutes=1)]
    assert before and max(before) < 1.0
    assert at_raise and at_raise[0][0] < 50 and at_raise[0][1] > 1.0
    for asset in (faulty, healthy):  # an hour holds the worst of its minutes
        for bucket, health, score in hours[asset]:
            inside = [(h, s) for b, h, s in minutes[asset] if bucket <= b < bucket + timedelta(hours=1)]
            assert health == min(h for h, _ in inside) and score == max(s for _, s in inside)


def test_bench_detect_prints_its_figures_as_json(pg_admin_url: str):
    command = [str(Path(sys.executable).parent / "assetpulse"), "bench", "detect", "--json", "--speed", "1200",
               "--train-units", "2", "--train-hours", "8", "--healthy-units", "1", "--healthy-days", "0.25",
               "--database-url", pg_admin_url]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=os.environ, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    for key in ("recall", "precision", "onset_to_work_order_p50_s", "onset_to_work_order_p95_s",
                "false_work_orders_per_1000_asset_days", "per_fault_kind", "per_failure_mode", "baseline"):  # fmt: skip
        assert key in report
    assert 0.5 <= report["recall"] <= 1.0 and 0.0 <= report["precision"] <= 1.0
    assert report["live"]["faults"] == 9 and report["live"]["readings_sent"] > 0
    assert report["pipeline_latency_p95_s"] < 30
    assert report["baseline"]["recall"] is not None
