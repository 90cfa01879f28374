"""`assetpulse doctor` checks against a real PostgreSQL and a real Mosquitto."""

from __future__ import annotations

import pytest

from ingest.brokers import free_port
from service_core.config import CoreSettings
from service_core.doctor.checks import run_checks
from service_core.doctor.result import Level

pytestmark = pytest.mark.integration


def by_name(checks):
    return {c.name: c for c in checks}


def test_a_healthy_deployment(database_url: str, mqtt_url: str):
    checks = by_name(run_checks(database_url=database_url, mqtt_url=mqtt_url, core=CoreSettings()))
    assert checks["database.connect"].level is Level.OK
    assert checks["database.migrations"].level is Level.OK and "up to date" in checks["database.migrations"].detail
    assert checks["clock.database"].level is Level.OK
    assert checks["broker.connect"].level is Level.OK
    assert checks["broker.round_trip"].level is Level.OK
    # the test broker lets anyone in: the doctor says so
    assert checks["broker.anonymous"].level is Level.WARN


def test_an_unmigrated_database_and_an_absent_broker_fail_in_plain_words(empty_database_url: str):
    dead_broker = f"mqtt://127.0.0.1:{free_port()}"
    checks = by_name(run_checks(database_url=empty_database_url, mqtt_url=dead_broker, core=CoreSettings()))
    assert checks["database.migrations"].level is Level.FAIL
    assert "assetpulse db migrate" in checks["database.migrations"].advice
    assert checks["broker.connect"].level is Level.FAIL and "cannot connect" in checks["broker.connect"].detail


def test_an_unreachable_database_is_one_clear_failure():
    url = f"postgresql://nobody:secret@127.0.0.1:{free_port()}/nothing"
    checks = run_checks(database_url=url, mqtt_url="mqtt://127.0.0.1:1", core=CoreSettings())
    db = by_name(checks)["database.connect"]
    assert db.level is Level.FAIL and "cannot connect" in db.detail and "secret" not in db.detail
