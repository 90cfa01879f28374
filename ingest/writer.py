"""The ingest write path: one batch of triaged messages, one transaction.

Readings go through binary COPY into a temporary staging table and then into the partitioned (or hyper-)
table with `ON CONFLICT DO NOTHING`, so a redelivered or duplicated message is stored once.  Dead letters,
quarantine rows, device status and last-seen times are written in the same transaction: either the whole
batch is durable and its messages may be acknowledged, or nothing is.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import psycopg

from ingest import sql
from ingest.copy_binary import ReadingColumns, pg_microseconds
from ingest.pipeline import (
    DeadLetter,
    DeviceTelemetry,
    Quarantined,
    Triage,
    unknown_device,
    unknown_status_source,
)
from service_core.db.migrate import backend_of
from service_core.devices import service as devices

log = logging.getLogger(__name__)

NEGATIVE_CACHE_SECONDS = 5.0


@dataclass(slots=True)
class WriteResult:
    stored: int = 0
    duplicates: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    dead_lettered: dict[str, int] = field(default_factory=dict)
    statuses: int = 0
    newest_event: datetime | None = None


class TelemetryWriter:
    """Owns one connection; not thread-safe (one writer per thread)."""

    def __init__(self, url: str, *, application: str = "assetpulse-ingest") -> None:
        self.url = url
        self.application = application
        self._conn: psycopg.Connection | None = None
        self._devices: dict[tuple[str, str], int] = {}
        self._unknown: dict[tuple[str, str], float] = {}
        self._metrics: dict[str, int] = {}
        self._days: set[date] = set()
        self._merge_sql = sql.MERGE_NATIVE
        self._derive_sql = sql.DERIVE_NATIVE

    # -- connection -------------------------------------------------------------------------------------
    def connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(
                self.url,
                application_name=self.application,
                connect_timeout=5,
                options="-c TimeZone=UTC",
                # a silent network partition must end in an error, not a writer blocked forever
                keepalives=1,
                keepalives_idle=5,
                keepalives_interval=2,
                keepalives_count=3,
                tcp_user_timeout=15_000,
            )
            self._conn.execute(sql.CREATE_STAGING)
            timescale = backend_of(self._conn) == "timescale"
            self._merge_sql = sql.MERGE_TIMESCALE if timescale else sql.MERGE_NATIVE
            self._derive_sql = sql.DERIVE_TIMESCALE if timescale else sql.DERIVE_NATIVE
            self._conn.commit()
        return self._conn

    def abort(self) -> None:
        """Break the connection from another thread (the watchdog): a blocked write then fails at once."""
        conn = self._conn
        if conn is None or conn.closed:
            return
        with contextlib.suppress(OSError):
            fd = os.dup(conn.fileno())
            try:
                socket.socket(fileno=fd).shutdown(socket.SHUT_RDWR)
            finally:
                with contextlib.suppress(OSError):
                    os.close(fd)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def forget_partitions(self) -> None:
        self._days.clear()

    # -- the use case -----------------------------------------------------------------------------------
    def write(self, batch: Triage, *, received_at: datetime | None = None) -> WriteResult:
        """Store one triaged batch in one transaction; raises psycopg errors with nothing written."""
        conn = self.connection()
        result = WriteResult()
        try:
            ids = self._resolve_devices(conn, batch)
            rows = self._rows(conn, batch, ids, result)
            self._ensure_partitions(conn, {g.ts.astimezone(UTC).date() for t in batch.telemetry for g in t.groups})
            with conn.transaction():
                if rows:
                    result.stored = self._merge(conn, rows)
                    result.duplicates = len(rows) - result.stored
                self._reject(conn, batch, result)
                result.statuses = self._apply_statuses(conn, batch, ids)
                devices.touch_last_seen(
                    conn,
                    device_ids=[ids[(t.topic.tenant, t.topic.device_key)] for t in batch.telemetry],
                    at=received_at or datetime.now(UTC),
                )
        except BaseException:
            if not conn.closed:
                conn.rollback()
            raise
        return result

    def _resolve_devices(self, conn: psycopg.Connection, batch: Triage) -> dict[tuple[str, str], int]:
        wanted = {(t.topic.tenant, t.topic.device_key) for t in batch.telemetry}
        wanted |= {(topic.tenant, topic.device_key) for topic, _, _ in batch.statuses}
        now = time.monotonic()
        missing = [
            k for k in wanted if k not in self._devices and self._unknown.get(k, 0.0) < now - NEGATIVE_CACHE_SECONDS
        ]
        if missing:
            found = devices.lookup_ids(conn, keys=missing)
            conn.commit()
            self._devices.update(found)
            for key in missing:
                if key not in found:
                    self._unknown[key] = now
                else:
                    self._unknown.pop(key, None)
        return {k: self._devices[k] for k in wanted if k in self._devices}

    def _rows(
        self, conn: psycopg.Connection, batch: Triage, ids: dict[tuple[str, str], int], result: WriteResult
    ) -> ReadingColumns:
        known: list[DeviceTelemetry] = []
        strangers: list[DeviceTelemetry] = []
        for item in batch.telemetry:
            (known if (item.topic.tenant, item.topic.device_key) in ids else strangers).append(item)
        batch.quarantined.extend(unknown_device(item, item.topic.render()) for item in strangers)
        batch.telemetry = known
        for topic, status, raw in batch.statuses:
            if (topic.tenant, topic.device_key) not in ids:
                batch.quarantined.append(unknown_status_source(topic, status.state, raw))
        metric_ids = self._metric_ids(conn, {name for t in known for g in t.groups for name in g.metrics})
        rows = ReadingColumns()
        newest: datetime | None = None
        for item in known:
            device_id = ids[(item.topic.tenant, item.topic.device_key)]
            for group in item.groups:
                ts = group.ts
                if newest is None or ts > newest:
                    newest = ts
                metrics = group.metrics
                rows.add_group(device_id, pg_microseconds(ts), [metric_ids[n] for n in metrics], list(metrics.values()))
        result.newest_event = newest
        return rows

    def _metric_ids(self, conn: psycopg.Connection, names: set[str]) -> dict[str, int]:
        missing = sorted(names - self._metrics.keys())
        if missing:
            conn.execute(sql.INSERT_METRICS, (missing,))
            self._metrics.update(dict(conn.execute(sql.LOOKUP_METRICS, (missing,)).fetchall()))
            conn.commit()
        return self._metrics

    def _ensure_partitions(self, conn: psycopg.Connection, days: set[date]) -> None:
        for day in sorted(days - self._days):
            conn.execute("SELECT telemetry.ensure_day_partition(%s)", (day,))
            conn.commit()
            self._days.add(day)

    def _merge(self, conn: psycopg.Connection, rows: ReadingColumns) -> int:
        with conn.cursor() as cur:
            with cur.copy(sql.COPY_STAGING) as copy:
                copy.write(rows.to_copy())
            try:
                with conn.transaction():  # a savepoint inside the batch's transaction
                    cur.execute(sql.INSERT_NEW)
            except psycopg.errors.UniqueViolation:
                cur.execute(self._merge_sql)  # some readings are already stored: the idempotent path
            else:
                cur.execute(self._derive_sql)
            (stored,) = cur.fetchone() or (0,)
        return int(stored)

    def _reject(self, conn: psycopg.Connection, batch: Triage, result: WriteResult) -> None:
        with conn.cursor() as cur:
            if batch.dead:
                cur.executemany(sql.UPSERT_DEAD_LETTER, [_dead_row(d) for d in batch.dead])
            if batch.quarantined:
                cur.executemany(sql.UPSERT_QUARANTINE, [_quarantine_row(q) for q in batch.quarantined])
        for d in batch.dead:
            result.dead_lettered[d.reason] = result.dead_lettered.get(d.reason, 0) + 1
        for q in batch.quarantined:
            result.quarantined[q.reason] = result.quarantined.get(q.reason, 0) + q.reading_count

    def _apply_statuses(self, conn: psycopg.Connection, batch: Triage, ids: dict[tuple[str, str], int]) -> int:
        applied = 0
        for topic, status, _ in batch.statuses:
            if (topic.tenant, topic.device_key) not in ids:
                continue  # quarantined by _rows
            at = status.ts or datetime.now(UTC)
            applied += devices.record_status(
                conn, tenant=topic.tenant, device_key=topic.device_key, state=status.state, at=at
            )
        return applied


def _dead_row(d: DeadLetter) -> tuple[object, ...]:
    return (d.topic, d.payload, d.sha256, d.reason, d.detail)


def _quarantine_row(q: Quarantined) -> tuple[object, ...]:
    payload = q.payload
    digest = hashlib.sha256(payload).digest()
    return (q.topic, q.tenant, q.device_key, payload, digest, q.reason, q.detail, q.reading_count)
