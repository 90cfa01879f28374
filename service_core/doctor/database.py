"""Database checks: reachable, schema up to date, TimescaleDB features or native partitions, clock skew."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import psycopg

from service_core.db.connection import redact
from service_core.db.migrate import backend_of, discover, packaged_files, pending, timescale_available
from service_core.doctor.result import Check, Level, skew_level
from service_core.exceptions import MigrationError


def check_database(url: str, *, partitions_ahead_days: int) -> list[Check]:
    started = time.perf_counter()
    try:
        conn = psycopg.connect(url, connect_timeout=5, application_name="assetpulse-doctor")
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return [
            Check(
                "database.connect",
                Level.FAIL,
                f"cannot connect to {redact(url)}: {reason}",
                "check ASSETPULSE_DATABASE_URL, that PostgreSQL runs and accepts this user from this host",
            )
        ]
    with conn:
        latency_ms = (time.perf_counter() - started) * 1000
        version = conn.execute("SHOW server_version").fetchone()
        checks = [
            Check(
                "database.connect",
                Level.OK,
                f"{redact(url)} answers (PostgreSQL {version[0] if version else '?'}, "
                f"connected in {latency_ms:.0f} ms)",
            ),
            _migrations(conn),
            _clock(conn),
        ]
        if _has_schema(conn):
            checks.append(_storage(conn, partitions_ahead_days=partitions_ahead_days))
    return checks


def _has_schema(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT to_regclass('assetpulse_meta') IS NOT NULL").fetchone()
    return bool(row and row[0])


def _migrations(conn: psycopg.Connection) -> Check:
    row = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if not (row and row[0]):
        return Check("database.migrations", Level.FAIL, "the database has no AssetPulse schema",
                     "run `assetpulse db migrate`")  # fmt: skip
    applied = {int(v): str(c) for v, c in conn.execute("SELECT version, checksum FROM schema_migrations").fetchall()}
    try:
        todo = pending(applied, discover(packaged_files(), backend_of(conn)))
    except MigrationError as exc:
        return Check("database.migrations", Level.FAIL, str(exc), "restore the original migration file")
    if todo:
        names = ", ".join(f"{m.version:04d}_{m.name}" for m in todo)
        return Check("database.migrations", Level.WARN, f"{len(todo)} migration(s) not applied: {names}",
                     "run `assetpulse db migrate` (the API and ingestor also apply them at start)")  # fmt: skip
    return Check("database.migrations", Level.OK, f"schema up to date ({len(applied)} migrations applied)")


def _clock(conn: psycopg.Connection) -> Check:
    before = datetime.now(UTC)
    row = conn.execute("SELECT now()").fetchone()
    after = datetime.now(UTC)
    assert row is not None
    skew = (row[0] - (before + (after - before) / 2)).total_seconds()
    level = skew_level(skew)
    return Check(
        "clock.database",
        level,
        f"the database clock is {abs(skew):.2f} s {'ahead of' if skew > 0 else 'behind'} this machine",
        "run NTP (chrony/systemd-timesyncd) on both machines: event times, SLA clocks and retention depend on it",
    )


def _storage(conn: psycopg.Connection, *, partitions_ahead_days: int) -> Check:
    backend = backend_of(conn)
    if backend == "timescale":
        jobs = conn.execute(
            "SELECT proc_name FROM timescaledb_information.jobs WHERE hypertable_name = 'readings'"
        ).fetchall()
        names = sorted(str(j[0]) for j in jobs)
        missing = [p for p in ("policy_compression", "policy_retention") if p not in names]
        if missing:
            return Check("database.timescaledb", Level.WARN, f"hypertable without {', '.join(missing)}",
                         "re-run `assetpulse db migrate` or add the policies (see deploy/README.md)")  # fmt: skip
        return Check("database.timescaledb", Level.OK, f"hypertable with {', '.join(names)}")
    available = timescale_available(conn)
    last = conn.execute(
        """
        SELECT max(substring(c.relname FROM '^readings_([0-9]{8})$')) FROM pg_inherits AS i
        JOIN pg_class AS c ON c.oid = i.inhrelid WHERE i.inhparent = 'telemetry.readings'::regclass
        """
    ).fetchone()
    needed = (datetime.now(UTC).date() + timedelta(days=partitions_ahead_days)).strftime("%Y%m%d")
    advice_ts = (
        " TimescaleDB is installed on this server: a fresh database would use it."
        if available
        else (" For large fleets use TimescaleDB (compression, continuous aggregates): see deploy/README.md.")
    )
    if last is None or last[0] is None or str(last[0]) < needed:
        reach = f"reach {last[0]}" if last and last[0] else "do not exist yet"
        return Check("database.partitions", Level.WARN,
                     f"native daily partitions {reach}; {needed} is needed",
                     "run `assetpulse db maintain` (every ingestor runs it hourly)." + advice_ts)  # fmt: skip
    return Check("database.partitions", Level.OK, f"native daily partitions ready up to {last[0]}." + advice_ts)
