"""The benchmark's own database: created fresh on the given server, migrated, filled with the devices and
metrics of the run, reset between phases, checked against what was sent, and dropped at the end."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
from psycopg import sql as pgsql

from ingest import sql as ingest_sql
from ingest.bench.data import FINGERPRINT_MODULUS, TS_MODULUS, VALUE_SCALE, BenchSpec, Fingerprint
from service_core.db.connection import connect, redact, scratch_database
from service_core.db.migrate import backend_of, migrate
from service_core.devices import service as devices
from service_core.devices.schemas import DeviceCreate

log = logging.getLogger(__name__)

DATABASE_PREFIX = "assetpulse_bench_"
PROBE_DEVICE_KEY = "bench-probe"
TELEMETRY_TABLES = ("telemetry.readings", "telemetry.latest", "telemetry.rollup_1m", "telemetry.rollup_1h")


@dataclass(frozen=True, slots=True)
class BenchIds:
    device_ids: list[int]  # by device number
    metric_ids: list[int]  # by metric number
    probe_device_id: int
    backend: str


@dataclass(frozen=True, slots=True)
class Verification:
    stored: int
    distinct: int
    mismatched_series: int  # (device, metric) series whose fingerprint differs from what was sent
    inexact_values: int  # values that are not the multiples of 1/1024 that were sent
    quarantined_readings: int
    dead_letters: int
    rollups_consistent: bool  # roll-ups count exactly the stored readings (native backend)

    @property
    def duplicates(self) -> int:
        return self.stored - self.distinct

    def exact(self, sent: int) -> bool:
        return (
            self.stored == sent
            and self.duplicates == 0
            and self.mismatched_series == 0
            and self.inexact_values == 0
            and self.quarantined_readings == 0
            and self.dead_letters == 0
            and self.rollups_consistent
        )


@contextlib.contextmanager
def bench_database(admin_url: str) -> Iterator[str]:
    """A new, empty database `assetpulse_bench_<random>` on the server of `admin_url`; dropped on exit."""
    name = f"{DATABASE_PREFIX}{secrets.token_hex(4)}"
    with connect(admin_url, autocommit=True, application="assetpulse-bench") as conn:
        _drop_abandoned(conn)
    with scratch_database(admin_url, name, comment=_owner()) as url:
        log.info("created database %s on %s", name, redact(admin_url))
        yield url
    log.info("dropped database %s", name)


def _owner(pid: int | None = None) -> str:
    return f"assetpulse bench on {socket.gethostname()}, pid {pid or os.getpid()}"


def _drop_abandoned(conn: psycopg.Connection) -> None:
    """Drop the databases of benchmarks on this host whose process is gone (killed before it could clean up)."""
    rows = conn.execute(
        "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database WHERE starts_with(datname, %s)",
        (DATABASE_PREFIX,),
    ).fetchall()
    for name, comment in rows:
        match = re.fullmatch(r"assetpulse bench on (.+), pid (\d+)", comment or "")
        if match and match[1] == socket.gethostname() and not _alive(int(match[2])):
            log.info("dropping %s, left behind by benchmark process %s", name, match[2])
            conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name)))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def prepare(url: str, spec: BenchSpec) -> BenchIds:
    """Migrate, register the devices (and a probe device), create the metrics and the days' partitions."""
    migrate(url)
    keys = [*spec.device_keys(), PROBE_DEVICE_KEY]
    with connect(url, application="assetpulse-bench") as conn:
        devices.register_many(
            conn,
            devices_in=[DeviceCreate(tenant=spec.tenant, device_key=k, device_type="bench") for k in keys],
        )
        found = devices.lookup_ids(conn, keys=[(spec.tenant, k) for k in keys])
        names = spec.metric_names()
        conn.execute(ingest_sql.INSERT_METRICS, (names,))
        metric_ids: dict[str, int] = dict(conn.execute(ingest_sql.LOOKUP_METRICS, (names,)).fetchall())
        for day in spec.days():
            conn.execute("SELECT telemetry.ensure_day_partition(%s)", (day,))
        backend = backend_of(conn)
        conn.commit()
    return BenchIds(
        device_ids=[found[(spec.tenant, k)] for k in spec.device_keys()],
        metric_ids=[int(metric_ids[n]) for n in names],
        probe_device_id=found[(spec.tenant, PROBE_DEVICE_KEY)],
        backend=backend,
    )


def reset_telemetry(url: str) -> None:
    """Empty readings, latest values and roll-ups (partitions stay), then checkpoint so phases start alike."""
    with connect(url, autocommit=True, application="assetpulse-bench") as conn:
        conn.execute(f"TRUNCATE {', '.join(TELEMETRY_TABLES)}")
        try:
            conn.execute("CHECKPOINT")
        except psycopg.errors.InsufficientPrivilege:
            log.debug("no privilege to CHECKPOINT; phases may see a checkpoint of an earlier one")


def stored_so_far(conn: psycopg.Connection, backend: str) -> int:
    """Readings committed so far: the 1-hour roll-up's count (cheap) on native PostgreSQL, else count(*)."""
    query = (
        "SELECT coalesce(sum(n), 0) FROM telemetry.rollup_1h"
        if backend == "native"
        else "SELECT count(*) FROM telemetry.readings"
    )
    (count,) = conn.execute(query).fetchone() or (0,)
    return int(count)


def count_readings(conn: psycopg.Connection) -> int:
    (count,) = conn.execute("SELECT count(*) FROM telemetry.readings").fetchone() or (0,)
    return int(count)


def verify(url: str, spec: BenchSpec, ids: BenchIds) -> Verification:
    """Compare the stored readings with the sent ones, series by series."""
    with connect(url, application="assetpulse-bench") as conn:
        stored, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT (device_id, metric_id, ts)) FROM telemetry.readings WHERE device_id <> %s",
            (ids.probe_device_id,),
        ).fetchone() or (0, 0)
        found, inexact = _fingerprints(conn, spec, ids)
        expected = spec.expected_fingerprints()
        mismatched = sum(1 for key in expected.keys() | found.keys() if expected.get(key) != found.get(key))
        # only this run's topics: on a shared broker the ingestor may also get others' (e.g. retained) messages
        (quarantined,) = conn.execute(
            "SELECT coalesce(sum(reading_count), 0) FROM ingest.quarantine WHERE tenant = %s", (spec.tenant,)
        ).fetchone() or (0,)
        (dead,) = conn.execute(
            "SELECT count(*) FROM ingest.dead_letters WHERE starts_with(topic, %s)", (f"assetpulse/{spec.tenant}/",)
        ).fetchone() or (0,)
        consistent = _rollups_consistent(conn, ids, int(stored))
        conn.rollback()
    return Verification(
        stored=int(stored),
        distinct=int(distinct),
        mismatched_series=mismatched,
        inexact_values=inexact,
        quarantined_readings=int(quarantined),
        dead_letters=int(dead),
        rollups_consistent=consistent,
    )


def _fingerprints(
    conn: psycopg.Connection, spec: BenchSpec, ids: BenchIds
) -> tuple[dict[tuple[str, str], Fingerprint], int]:
    rows = conn.execute(
        """
        WITH r AS (
            SELECT device_id, metric_id, (value * %(scale)s)::bigint AS units, value * %(scale)s AS scaled,
                   (extract(epoch FROM ts) * 1000000)::bigint - %(t0)s AS offset_us
            FROM telemetry.readings WHERE device_id <> %(probe)s
        )
        SELECT d.device_key, m.name, count(*), sum(units), sum(offset_us),
               sum(units * (offset_us %% %(tsmod)s + 1) %% %(mod)s) %% %(mod)s,
               count(*) FILTER (WHERE scaled <> units)
        FROM r JOIN fleet.devices d ON d.id = r.device_id JOIN telemetry.metrics m ON m.id = r.metric_id
        GROUP BY d.device_key, m.name
        """,
        {
            "scale": VALUE_SCALE,
            "t0": spec.first_ts_us,
            "probe": ids.probe_device_id,
            "tsmod": TS_MODULUS,
            "mod": FINGERPRINT_MODULUS,
        },
    ).fetchall()
    found = {(str(r[0]), str(r[1])): Fingerprint(int(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in rows}
    return found, sum(int(r[6]) for r in rows)


def _rollups_consistent(conn: psycopg.Connection, ids: BenchIds, stored: int) -> bool:
    if ids.backend != "native":
        return True
    row = conn.execute(
        "SELECT (SELECT coalesce(sum(n), 0) FROM telemetry.rollup_1m WHERE device_id <> %(p)s),"
        "       (SELECT coalesce(sum(n), 0) FROM telemetry.rollup_1h WHERE device_id <> %(p)s)",
        {"p": ids.probe_device_id},
    ).fetchone()
    return row is not None and int(row[0]) == stored and int(row[1]) == stored
