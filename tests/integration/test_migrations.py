import threading
from pathlib import Path

import psycopg
import pytest

from service_core.db.migrate import migrate, status
from service_core.exceptions import MigrationError
from tests.factories import scalar

pytestmark = pytest.mark.integration


def test_fresh_database_gets_every_migration_once(empty_database_url: str):
    applied = migrate(empty_database_url, timescale="off")
    assert applied[:5] == ["0001_device_registry", "0002_telemetry", "0003_ingest_rejects", "0004_auth", "0005_audit"]
    assert applied == sorted(applied) and len(applied) == len(set(applied)) >= 10
    assert migrate(empty_database_url, timescale="off") == []
    recorded = status(empty_database_url)
    assert [f"{v:04d}_{name}" for v, name, _, _ in recorded] == applied
    assert {b for _, _, b, _ in recorded} == {"native"}
    assert scalar(empty_database_url, "SELECT to_regclass('telemetry.readings')::text") == "telemetry.readings"


def test_concurrent_migrators_apply_each_migration_once(empty_database_url: str):
    results: list[list[str]] = []
    threads = [
        threading.Thread(target=lambda: results.append(migrate(empty_database_url, timescale="off"))) for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(r) for r in results)[:2] == [0, 0]
    assert len(results[0]) + len(results[1]) + len(results[2]) == len(status(empty_database_url))


def test_failed_migration_leaves_nothing_half_applied(empty_database_url: str, tmp_path: Path):
    (tmp_path / "0001_ok.sql").write_text("CREATE TABLE ok (id int);")
    (tmp_path / "0002_broken.sql").write_text("CREATE TABLE half (id int); SELECT * FROM no_such_table;")
    with pytest.raises(MigrationError, match="0002_broken"):
        migrate(empty_database_url, directory=tmp_path, timescale="off")
    assert scalar(empty_database_url, "SELECT to_regclass('half')") is None
    assert [v for v, *_ in status(empty_database_url)] == [1]


def test_timescale_on_without_the_extension_is_refused(empty_database_url: str):
    with psycopg.connect(empty_database_url) as conn:
        available = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name='timescaledb'").fetchone()
    if available:
        pytest.skip("this server has TimescaleDB")
    with pytest.raises(MigrationError, match="timescaledb extension is not available"):
        migrate(empty_database_url, timescale="on")
