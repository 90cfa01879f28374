"""A small migration runner over ordered SQL files that records what it applied.

Files are named `NNNN_name.sql`; a migration whose storage differs with TimescaleDB comes as a pair,
`NNNN_name.native.sql` and `NNNN_name.timescale.sql`, and the runner applies the one that matches the
database's backend (chosen once, on the first migration, and remembered in `assetpulse_meta`).
A file whose first line is `-- assetpulse: no-transaction` runs statement by statement outside a transaction
(TimescaleDB's continuous aggregates require that); its statements are separated by lines `-- split`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import psycopg

from service_core.exceptions import MigrationError

log = logging.getLogger(__name__)

Backend = Literal["native", "timescale"]
FILE_PATTERN = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+?)(?:\.(?P<variant>native|timescale))?\.sql$")
NO_TRANSACTION = "-- assetpulse: no-transaction"
LOCK_KEY = 0x41535450  # "ASTP": one migrator at a time


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def transactional(self) -> bool:
        return not self.sql.startswith(NO_TRANSACTION)

    def statements(self) -> list[str]:
        parts = re.split(r"^-- split\s*$", self.sql, flags=re.MULTILINE)
        return [p.strip() for p in parts if p.strip() and not _only_comments(p)]


def _only_comments(sql: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in sql.splitlines())


def discover(files: dict[str, str], backend: Backend) -> list[Migration]:
    """Order the migrations by version and keep, for each, the plain file or the variant for `backend`."""
    chosen: dict[int, Migration] = {}
    seen_names: dict[int, str] = {}
    for filename, sql in files.items():
        match = FILE_PATTERN.match(filename)
        if match is None:
            raise MigrationError(f"migration file {filename!r} is not named NNNN_name[.native|.timescale].sql")
        version, name, variant = int(match["version"]), match["name"], match["variant"]
        if seen_names.setdefault(version, name) != name:
            raise MigrationError(f"two migrations share version {version:04d}: {seen_names[version]}, {name}")
        if variant is not None and variant != backend:
            continue
        if version in chosen:
            raise MigrationError(f"migration {version:04d} has both a plain file and a {backend} variant")
        chosen[version] = Migration(version, name, sql)
    return [chosen[v] for v in sorted(chosen)]


def packaged_files(directory: Path | None = None) -> dict[str, str]:
    if directory is not None:
        return {p.name: p.read_text() for p in sorted(directory.glob("*.sql"))}
    root = resources.files("service_core.db") / "migrations"
    return {p.name: p.read_text() for p in root.iterdir() if p.name.endswith(".sql")}


def pending(applied: dict[int, str], migrations: list[Migration]) -> list[Migration]:
    """What is left to apply; an applied migration whose file changed since is an error."""
    for m in migrations:
        if m.version in applied and applied[m.version] != m.checksum:
            raise MigrationError(
                f"migration {m.version:04d}_{m.name} was changed after it was applied; add a new migration instead"
            )
    return [m for m in migrations if m.version not in applied]


def timescale_available(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'").fetchone()
    return row is not None


def _bootstrap(conn: psycopg.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE IF NOT EXISTS assetpulse_meta (key text PRIMARY KEY, value text NOT NULL);
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY,
            name text NOT NULL,
            checksum text NOT NULL,
            backend text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )


def choose_backend(conn: psycopg.Connection, preference: str) -> Backend:
    """The backend recorded for this database, or the one `preference` picks on a fresh database."""
    row = conn.execute("SELECT value FROM assetpulse_meta WHERE key = 'backend'").fetchone()
    if row is not None:
        recorded: Backend = "timescale" if row[0] == "timescale" else "native"
        if preference == "on" and recorded != "timescale":
            raise MigrationError("ASSETPULSE_TIMESCALE=on but this database was set up without TimescaleDB")
        return recorded
    available = timescale_available(conn)
    if preference == "on" and not available:
        raise MigrationError("ASSETPULSE_TIMESCALE=on but the timescaledb extension is not available")
    backend: Backend = "timescale" if available and preference != "off" else "native"
    conn.execute("INSERT INTO assetpulse_meta (key, value) VALUES ('backend', %s)", (backend,))
    return backend


def migrate(url: str, *, timescale: str = "auto", directory: Path | None = None) -> list[str]:
    """Apply every pending migration; returns the names applied. Safe to run from several processes."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            _bootstrap(conn)
            backend = choose_backend(conn, timescale)
            applied: dict[int, str] = dict(conn.execute("SELECT version, checksum FROM schema_migrations").fetchall())
            todo = pending(applied, discover(packaged_files(directory), backend))
            for m in todo:
                _apply(conn, m, backend)
            return [f"{m.version:04d}_{m.name}" for m in todo]
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))


def _apply(conn: psycopg.Connection, m: Migration, backend: Backend) -> None:
    log.info("applying migration %04d_%s (%s)", m.version, m.name, backend)
    record = "INSERT INTO schema_migrations (version, name, checksum, backend) VALUES (%s, %s, %s, %s)"
    try:
        if m.transactional:
            with conn.transaction():
                conn.execute(m.sql.encode())
                conn.execute(record, (m.version, m.name, m.checksum, backend))
        else:
            for statement in m.statements():
                conn.execute(statement.encode())
            conn.execute(record, (m.version, m.name, m.checksum, backend))
    except psycopg.Error as exc:
        raise MigrationError(f"migration {m.version:04d}_{m.name} failed: {exc}") from exc


def status(url: str) -> list[tuple[int, str, str, str]]:
    """(version, name, backend, applied_at) of every applied migration."""
    with psycopg.connect(url) as conn:
        _bootstrap(conn)
        rows = conn.execute(
            "SELECT version, name, backend, applied_at::text FROM schema_migrations ORDER BY version"
        ).fetchall()
        conn.commit()
    return [(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]


def backend_of(conn: psycopg.Connection) -> Backend:
    row = conn.execute("SELECT value FROM assetpulse_meta WHERE key = 'backend'").fetchone()
    return "timescale" if row is not None and row[0] == "timescale" else "native"
