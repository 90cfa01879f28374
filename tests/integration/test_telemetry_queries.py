from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from service_core.exceptions import InvalidInput
from service_core.telemetry import service as telemetry
from tests.factories import sample_fleet

pytestmark = pytest.mark.integration


@pytest.fixture
def fleet(database_url: str, tenant: str):
    return sample_fleet(database_url, tenant)


def test_latest_per_device_and_per_asset(database_url: str, fleet):
    with psycopg.connect(database_url) as conn:
        by_asset = telemetry.latest(conn, asset_id=77)
        both = telemetry.latest(conn, device_ids=[d.id for d in fleet["pumps"]])
    assert {(v.metric, v.value) for v in by_asset} == {("flow", 119.0), ("temp", 10.0)}
    assert all(v.ts == fleet["start"] + timedelta(minutes=119) for v in by_asset)
    assert len(both) == 3


def test_window_raw_and_rolled_up_agree(database_url: str, fleet):
    p1, start = fleet["pumps"][0], fleet["start"]
    with psycopg.connect(database_url) as conn:
        raw = telemetry.window(conn, device_id=p1.id, start=start, end=start + timedelta(hours=1), metrics=["flow"])
        hourly = telemetry.window(
            conn, device_id=p1.id, start=start, end=start + timedelta(hours=2), metrics=["flow"], resolution="1h"
        )
        minutes = telemetry.window(conn, device_id=p1.id, start=start, end=start + timedelta(hours=2), resolution="1m")
    assert [p.mean for p in raw] == [float(i) for i in range(60)]
    assert [(p.n, p.mean, p.min, p.max) for p in hourly] == [(60, 29.5, 0, 59), (60, 89.5, 60, 119)]
    assert len(minutes) == 240


def test_fleet_rollup_by_device_type(database_url: str, tenant: str, fleet):
    start = fleet["start"]
    with psycopg.connect(database_url) as conn:
        points = telemetry.fleet_rollup(conn, tenant=tenant, metric="temp", start=start, end=start + timedelta(hours=1))
    assert [(p.device_type, p.devices, p.n, p.mean, p.min, p.max) for p in points] == [
        ("chiller", 1, 60, 5.0, 5.0, 5.0),
        ("pump", 2, 120, 15.0, 10.0, 20.0),
    ]
    pump = points[1]
    assert pump.stddev == pytest.approx(5.0208, rel=1e-3)


def test_bad_ranges_are_refused(database_url: str):
    now = datetime.now(UTC)
    with psycopg.connect(database_url) as conn, pytest.raises(InvalidInput):
        telemetry.window(conn, device_id=1, start=now, end=now - timedelta(seconds=1))
