"""A detector poll that fails before its commit (the server ends the session) loses nothing (real PostgreSQL): the
next poll, on a new connection, scores the same rows again and the condition the failed poll raised is raised.
Before, the failed poll's marks, context and episodes stayed in memory: its rows were skipped for good and its
condition, rolled back with the transaction, was never raised again (a soak lost two stuck sensors this way)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from detection import training
from detection.bench_setup import register_with_assets, write_history
from detection.live import Detector
from detection.simdata import simulate
from detection.state import save_high_water_marks
from ingest.payloads import Topic
from ingest.pipeline import DeviceTelemetry, Triage
from ingest.writer import TelemetryWriter
from simulators.devices import DeviceSpec
from simulators.faults import Electrical

pytestmark = pytest.mark.integration

TENANT = "t1"
EVERY = 120.0
LIVE = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=10)
TRAINERS = [DeviceSpec(f"tr-compressor-{n:03d}", "compressor", n) for n in range(1, 4)]
FAULTY = DeviceSpec("faulty-compressor-011", "compressor", 11)
# The server ends the session of whoever saves the detector's high-water marks: the first write of a poll's
# commit step, after its conditions were reported in the same transaction.
KILL_ON_MARKS = """
CREATE FUNCTION kill_my_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$;
CREATE TRIGGER kill_me BEFORE INSERT OR UPDATE ON detection.high_water_marks
FOR EACH STATEMENT EXECUTE FUNCTION kill_my_session();
"""


def test_a_poll_cut_off_before_its_commit_is_scored_again_and_raises_its_condition(database_url: str):
    units = register_with_assets(database_url, tenant=TENANT, specs=[*TRAINERS, FAULTY])
    write_history(database_url, tenant=TENANT, specs=TRAINERS, seed=5, start=LIVE - timedelta(hours=25),
                  interval_s=EVERY, samples=int(24 * 3600 / EVERY))  # fmt: skip
    fault = Electrical(device_key=FAULTY.key, onset_s=2 * 3600, duration_s=None)
    writer = TelemetryWriter(database_url)
    try:
        groups = simulate(FAULTY, [fault], seed=9, start=LIVE, interval_s=EVERY, samples=int(4 * 3600 / EVERY))
        writer.write(Triage(telemetry=[DeviceTelemetry(Topic(TENANT, FAULTY.key, "telemetry"), tuple(groups))]))
    finally:
        writer.close()
    with psycopg.connect(database_url) as conn:
        training.train(conn, asset_type="compressor", now=LIVE - timedelta(minutes=30), days=2)
        save_high_water_marks(conn, marks={u.device_id: LIVE - timedelta(seconds=1) for u in units.values()})
        conn.execute(KILL_ON_MARKS)
        conn.commit()

    detector = Detector()
    with psycopg.connect(database_url) as conn:
        detector.load_models(conn)
        with pytest.raises(psycopg.OperationalError):
            detector.poll_once(conn)
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM detection.conditions").fetchone() == (0,)  # rolled back
        conn.execute("DROP TRIGGER kill_me ON detection.high_water_marks")
        conn.execute("DROP FUNCTION kill_my_session()")

    with psycopg.connect(database_url) as conn:  # the detector reconnects, as `detection.live.run` does
        result = detector.poll_once(conn)
        conditions = conn.execute("SELECT asset_id, failure_mode FROM detection.conditions").fetchall()
    assert result.groups_scored == len(groups)
    assert conditions == [(units[FAULTY.key].asset_id, "electrical_imbalance")]
