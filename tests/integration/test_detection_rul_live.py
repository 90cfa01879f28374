"""The live RUL against a real PostgreSQL: runs to failure closed by repair work orders train the asset type's RUL
model (`detect train`'s path), and the live detector writes each asset's estimate, with its band, to the health
record that GET /conditions/health/{asset_id} reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from detection import training
from detection.bench_setup import register_with_assets
from detection.live import Detector
from detection.rul_history import train_rul_from_history
from detection.simdata import simulate
from detection.state import save_high_water_marks
from ingest.payloads import Topic
from ingest.pipeline import DeviceTelemetry, Triage
from ingest.writer import TelemetryWriter
from service_core.conditions import queries
from service_core.work_orders import service as work_orders
from service_core.work_orders.schemas import WorkOrderCreate
from simulators.devices import DeviceSpec
from simulators.faults import BearingWear

pytestmark = pytest.mark.integration

TENANT = "t1"
INTERVAL = 120.0
RUN_HOURS = 33.0
WEAR = ((7, 22), (9, 21), (12, 19), (8, 23))  # (onset, time to failure) of each run to failure, hours
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
START = NOW - timedelta(hours=RUN_HOURS + 12)


def _store(url: str, spec: DeviceSpec, groups: list) -> None:
    writer = TelemetryWriter(url)
    try:
        writer.write(Triage(telemetry=[DeviceTelemetry(Topic(TENANT, spec.key, "telemetry"), tuple(groups))]))
    finally:
        writer.close()


def _repair_done(conn: psycopg.Connection, *, asset_id: int, at: datetime) -> None:
    account = conn.execute("SELECT account_id FROM assets.assets WHERE id = %s", (asset_id,)).fetchone()
    assert account is not None
    order_in = WorkOrderCreate(
        account_id=account[0], asset_id=asset_id, work_type="repair", summary="Bearing replaced after the trip"
    )
    order = work_orders.create_work_order(conn, work_order_in=order_in, actor="user:test", now=None)
    conn.execute(
        "UPDATE work.work_orders SET status = 'completed', completed_at = %s, resolution_code = 'fixed' WHERE id = %s",
        (at, order.id),
    )


FAILED = [DeviceSpec(f"old-pump-{n:03d}", "pump", n) for n in range(1, 5)]


def _runs_to_failure(url: str, units: dict) -> None:
    samples = int(RUN_HOURS * 3600 / INTERVAL)
    for spec, (onset_h, ttf_h) in zip(FAILED, WEAR, strict=True):  # runs to failure, each closed by a repair
        wear = BearingWear(device_key=spec.key, onset_s=onset_h * 3600.0, time_to_failure_s=ttf_h * 3600.0)
        _store(url, spec, simulate(spec, [wear], seed=3, start=START, interval_s=INTERVAL, samples=samples))
        with psycopg.connect(url) as conn:
            _repair_done(conn, asset_id=units[spec.key].asset_id, at=START + timedelta(hours=onset_h + ttf_h))


def _train(url: str) -> None:
    with psycopg.connect(url) as conn:  # the equipment model (it names the signals): the healthy hours
        training.train(conn, asset_type="pump", now=START + timedelta(hours=7), days=1)
        outcome = train_rul_from_history(conn, asset_type="pump")
        conn.commit()
    assert outcome.model is not None and outcome.runs == 4, outcome.reason


def _poll_until_idle(url: str, detector: Detector) -> None:
    with psycopg.connect(url) as conn:
        detector.load_models(conn)
        while detector.poll_once(conn).groups_scored:
            pass


def test_the_detector_writes_a_rul_learned_from_closed_repairs_to_the_health_record(database_url: str):
    failed = FAILED
    worn, fresh = DeviceSpec("live-pump-021", "pump", 21), DeviceSpec("live-pump-022", "pump", 22)
    units = register_with_assets(database_url, tenant=TENANT, specs=[*failed, worn, fresh])
    _runs_to_failure(database_url, units)
    live_start = NOW - timedelta(hours=27)
    wear = BearingWear(device_key=worn.key, onset_s=3 * 3600.0, time_to_failure_s=26 * 3600.0)
    live_samples = int(27 * 3600 / INTERVAL)  # 27 h: 24 h into a 26 h wear, 2 h left
    _store(database_url, worn, simulate(worn, [wear], seed=4, start=live_start, interval_s=INTERVAL,
                                        samples=live_samples))  # fmt: skip
    _store(database_url, fresh, simulate(fresh, [], seed=4, start=live_start, interval_s=INTERVAL,
                                         samples=live_samples))  # fmt: skip

    _train(database_url)
    with psycopg.connect(database_url) as conn:
        save_high_water_marks(conn, marks={units[s.key].device_id: NOW - timedelta(hours=2) for s in (worn, fresh)})

    detector = Detector()
    _poll_until_idle(database_url, detector)
    with psycopg.connect(database_url) as conn:
        health = {s.key: queries.asset_health(conn, asset_id=units[s.key].asset_id) for s in (worn, fresh)}
    for h in health.values():
        assert h.rul_hours is not None and h.rul_low_hours is not None and h.rul_high_hours is not None
        assert 0.0 <= h.rul_low_hours <= h.rul_hours <= h.rul_high_hours
    assert health[worn.key].rul_hours < health[fresh.key].rul_hours
    assert health[worn.key].rul_hours < 12.0


def test_no_rul_is_estimated_for_a_device_sampling_too_far_from_its_models_interval(database_url: str):
    """The RUL features count rows as the equipment model's do: a pump that starts sending every second keeps the
    estimate it had, and its health says it is not scored, instead of a new estimate from rows it cannot judge."""
    switching = DeviceSpec("live-pump-023", "pump", 23)
    units = register_with_assets(database_url, tenant=TENANT, specs=[*FAILED, switching])
    _runs_to_failure(database_url, units)
    slow_until = NOW - timedelta(hours=2)
    _store(database_url, switching, simulate(switching, [], seed=4, start=NOW - timedelta(hours=27),
                                             interval_s=INTERVAL, samples=int(25 * 3600 / INTERVAL)))  # fmt: skip
    _train(database_url)
    asset_id = units[switching.key].asset_id
    with psycopg.connect(database_url) as conn:
        save_high_water_marks(conn, marks={units[switching.key].device_id: slow_until - timedelta(hours=2)})
    detector = Detector()
    _poll_until_idle(database_url, detector)
    with psycopg.connect(database_url) as conn:
        before = queries.asset_health(conn, asset_id=asset_id)
    assert before.rul_hours is not None and before.not_scored is None

    _store(
        database_url, switching, simulate(switching, [], seed=5, start=slow_until, interval_s=1.0, samples=2 * 3600)
    )  # fmt: skip  (two hours: an estimate is due hourly)
    _poll_until_idle(database_url, detector)
    with psycopg.connect(database_url) as conn:
        after = queries.asset_health(conn, asset_id=asset_id)

    assert after.not_scored is not None and after.not_scored.sampling_interval_s == 1.0
    assert after.not_scored.trained_interval_s == INTERVAL
    assert (after.scored_at, after.health_score) == (before.scored_at, before.health_score)
    assert (after.rul_hours, after.rul_low_hours, after.rul_high_hours) == (
        before.rul_hours, before.rul_low_hours, before.rul_high_hours,
    )  # fmt: skip
