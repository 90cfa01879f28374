"""Real services for the test suite.

PostgreSQL: `ASSETPULSE_TEST_DATABASE_URL` (a server where we may CREATE DATABASE), else an embedded PostgreSQL
(pgserver) started for the session.  MQTT: `ASSETPULSE_TEST_MQTT_URL`, else a Mosquitto process on a free port
when the binary is installed.  Each test gets a freshly migrated database of its own (cloned from a template).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.brokers import MosquittoProcess, mosquitto_binary
from service_core.db.connection import scratch_database
from service_core.db.embedded import EmbeddedPostgres
from service_core.db.migrate import migrate

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def pg_admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("ASSETPULSE_TEST_DATABASE_URL")
    if url:
        yield url
        return
    # not under pytest's basetemp: that is private to root, and as root pgserver runs PostgreSQL as another user
    base = Path(tempfile.mkdtemp(prefix="assetpulse-test-pg-"))
    base.chmod(0o755)
    server = EmbeddedPostgres(base / "data")
    yield server.start()
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def template_db(pg_admin_url: str) -> Iterator[str]:
    name = f"ap_template_{uuid.uuid4().hex[:8]}"
    with scratch_database(pg_admin_url, name) as url:
        migrate(url, timescale="off")
        yield name


@pytest.fixture
def database_url(pg_admin_url: str, template_db: str) -> Iterator[str]:
    """A migrated, empty database of this test's own."""
    with scratch_database(pg_admin_url, f"ap_test_{uuid.uuid4().hex[:10]}", template=template_db) as url:
        yield url


@pytest.fixture
def empty_database_url(pg_admin_url: str) -> Iterator[str]:
    """An empty database with no schema at all (for migration tests)."""
    with scratch_database(pg_admin_url, f"ap_empty_{uuid.uuid4().hex[:10]}") as url:
        yield url


@pytest.fixture(scope="session")
def mqtt_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("ASSETPULSE_TEST_MQTT_URL")
    if url:
        yield url
        return
    if mosquitto_binary() is None:
        pytest.skip("needs an MQTT broker: install mosquitto or set ASSETPULSE_TEST_MQTT_URL")
    broker = MosquittoProcess(tmp_path_factory.mktemp("mosquitto")).start()
    yield broker.url
    broker.stop()


@pytest.fixture
def own_mosquitto(tmp_path: Path) -> Iterator[MosquittoProcess]:
    """A Mosquitto of this test's own, for tests that stop or restart the broker."""
    if mosquitto_binary() is None:
        pytest.skip("needs the mosquitto binary (apt-get install mosquitto)")
    broker = MosquittoProcess(tmp_path / "mosquitto").start()
    yield broker
    broker.stop()


@pytest.fixture
def tenant() -> str:
    """A tenant name no other test uses, so tests sharing a broker never see each other's messages."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"benchmark data folder {SHARED_DATA} is absent")
    return SHARED_DATA
