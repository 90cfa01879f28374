"""The live detector learns each unit's own baseline from its first hours of stored history (real PostgreSQL):
none while the history is shorter than the learning period, then one per (device, model version)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from detection import training
from detection.bench_setup import register_with_assets, write_history
from detection.live import Detector
from detection.model import UNIT_LEARNING_S
from detection.state import save_high_water_marks
from simulators.devices import DeviceSpec

pytestmark = pytest.mark.integration

TENANT = "t1"
INTERVAL = 60.0
NOW = datetime.now(UTC).replace(microsecond=0)


def test_a_unit_baseline_is_learned_once_its_history_spans_the_learning_period(database_url: str):
    trainers = [DeviceSpec(f"tr-pump-{n:03d}", "pump", n) for n in range(1, 3)]
    seasoned, fresh = DeviceSpec("old-pump-001", "pump", 21), DeviceSpec("new-pump-001", "pump", 22)
    units = register_with_assets(database_url, tenant=TENANT, specs=[*trainers, seasoned, fresh])
    hours = UNIT_LEARNING_S / 3600
    write_history(database_url, tenant=TENANT, specs=trainers, seed=3, start=NOW - timedelta(hours=2 * hours + 4),
                  interval_s=INTERVAL, samples=int((hours + 2) * 3600 / INTERVAL))  # fmt: skip
    write_history(database_url, tenant=TENANT, specs=[seasoned], seed=4, start=NOW - timedelta(hours=hours + 1),
                  interval_s=INTERVAL, samples=int((hours + 1) * 3600 / INTERVAL))  # fmt: skip
    write_history(database_url, tenant=TENANT, specs=[fresh], seed=4, start=NOW - timedelta(hours=2),
                  interval_s=INTERVAL, samples=int(2 * 3600 / INTERVAL))  # fmt: skip
    with psycopg.connect(database_url) as conn:
        training.train(conn, asset_type="pump", now=NOW - timedelta(hours=hours + 1), days=1)
        save_high_water_marks(conn, marks={units[k].device_id: NOW - timedelta(hours=1) for k in units})
    detector = Detector()
    with psycopg.connect(database_url) as conn:
        detector.load_models(conn)
        while detector.poll_once(conn).groups_scored:
            pass
    learned = {device for device, _ in detector.units}
    assert units[seasoned.key].device_id in learned
    assert units[fresh.key].device_id not in learned  # two hours of history: the type's baseline for now
    baseline = detector.units[(units[seasoned.key].device_id, "pump/equipment/v1")]
    assert baseline.offset.shape == baseline.drift_limits.shape == (len(detector.models["pump"].model.signals),)
