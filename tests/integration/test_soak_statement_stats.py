"""The soak's own PostgreSQL preloads pg_stat_statements (where the installation ships it), empties its counters
after the setup and reports the statements that took the most time, also across a restart."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest

from service_core.exceptions import ServiceUnavailable
from simulators.soak.postgres import OwnPostgres

pytestmark = pytest.mark.integration


@pytest.fixture
def own_postgres():
    workdir = Path(tempfile.mkdtemp(prefix="assetpulse-pgstats-"))  # as the soak: pytest's folders are 0700
    workdir.chmod(0o755)
    try:
        pg = OwnPostgres(workdir / "pg")
    except ServiceUnavailable as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        pytest.skip(str(exc))
    if not pg.statement_stats:
        shutil.rmtree(workdir, ignore_errors=True)
        pytest.skip("this PostgreSQL installation has no pg_stat_statements (postgresql-contrib)")
    pg.init().start()
    yield pg
    pg.close()
    shutil.rmtree(workdir, ignore_errors=True)


def test_top_statements_are_those_after_the_reset_costliest_first_and_survive_a_restart(own_postgres):
    pg = own_postgres
    with psycopg.connect(pg.url, autocommit=True) as conn:
        conn.execute("CREATE TABLE setup_load AS SELECT g FROM generate_series(1, 200000) g")
    assert pg.reset_statement_stats()
    with psycopg.connect(pg.url, autocommit=True) as conn:
        conn.execute("CREATE TABLE run_rows (n int)")
        for _ in range(5):
            conn.execute("INSERT INTO run_rows SELECT g FROM generate_series(1, 20000) g")
        conn.execute("SELECT count(*) FROM run_rows").fetchone()
    pg.restart()
    pg.wait_accepting()

    top = pg.top_statements(limit=3)

    assert top, "no statements reported"
    assert "INSERT INTO run_rows" in top[0]["query"] and top[0]["calls"] == 5, top
    assert [row["total_ms"] for row in top] == sorted((row["total_ms"] for row in top), reverse=True)
    assert not any("setup_load" in row["query"] for row in pg.top_statements(limit=50)), "the reset did not empty"
