"""Partition upkeep and retention for telemetry (native PostgreSQL; TimescaleDB runs its own policies)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import psycopg

from service_core.config import CoreSettings
from service_core.db.migrate import backend_of

log = logging.getLogger(__name__)

MAINTENANCE_LOCK = 0x41535451


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How far ahead partitions are made and how long each kind of telemetry is kept; the ingestor's triage
    (readings older than `raw_days` are quarantined) and the maintenance job share it."""

    days_ahead: int = 3
    raw_days: int = 30
    rollup_1m_days: int = 180
    rollup_1h_days: int = 1825

    @classmethod
    def from_settings(cls, core: CoreSettings) -> RetentionPolicy:
        return cls(
            days_ahead=core.partitions_ahead_days,
            raw_days=core.raw_retention_days,
            rollup_1m_days=core.rollup_1m_retention_days,
            rollup_1h_days=core.rollup_1h_retention_days,
        )


@dataclass(slots=True)
class MaintenanceReport:
    ran: bool = False
    backend: str = "native"
    partitions_ensured: list[str] = field(default_factory=list)
    partitions_dropped: list[str] = field(default_factory=list)
    rollup_rows_deleted: int = 0
    health_history_rows_deleted: int = 0


def run_maintenance(url: str, *, policy: RetentionPolicy | None = None, today: date | None = None) -> MaintenanceReport:
    """Create the coming days' partitions and drop what retention no longer keeps.  Several processes may call
    this; one does the work at a time (the others return `ran=False`)."""
    policy = policy or RetentionPolicy()
    today = today or datetime.now(UTC).date()
    report = MaintenanceReport()
    with psycopg.connect(url, autocommit=True, options="-c TimeZone=UTC") as conn:
        (locked,) = conn.execute("SELECT pg_try_advisory_lock(%s)", (MAINTENANCE_LOCK,)).fetchone() or (False,)
        if not locked:
            return report
        try:
            report.ran = True
            report.backend = backend_of(conn)
            for offset in range(policy.days_ahead + 1):
                day = today + timedelta(days=offset)
                (name,) = conn.execute("SELECT telemetry.ensure_day_partition(%s)", (day,)).fetchone() or ("",)
                report.partitions_ensured.append(str(name))
            cutoff = today - timedelta(days=policy.raw_days)
            rows = conn.execute("SELECT telemetry.drop_partitions_before(%s)", (cutoff,)).fetchall()
            report.partitions_dropped = [str(r[0]) for r in rows]
            if report.backend == "native":
                report.rollup_rows_deleted = _trim_rollups(conn, today, policy.rollup_1m_days, policy.rollup_1h_days)
            report.health_history_rows_deleted = _trim_health_history(
                conn, today, policy.rollup_1m_days, policy.rollup_1h_days
            )
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MAINTENANCE_LOCK,))
    if report.partitions_dropped:
        log.info("retention dropped partitions %s", ", ".join(report.partitions_dropped))
    return report


def _trim_rollups(conn: psycopg.Connection, today: date, keep_1m: int, keep_1h: int) -> int:
    deleted = 0
    for table, keep in (("rollup_1m", keep_1m), ("rollup_1h", keep_1h)):
        cur = conn.execute(f"DELETE FROM telemetry.{table} WHERE bucket < %s", (_days_before(today, keep),))
        deleted += cur.rowcount
    return deleted


def _trim_health_history(conn: psycopg.Connection, today: date, keep_1m: int, keep_1h: int) -> int:
    """Scores are kept as long as the telemetry roll-ups of the same resolution they are drawn over."""
    deleted = 0
    for resolution, keep in (("1m", keep_1m), ("1h", keep_1h)):
        cur = conn.execute(
            "DELETE FROM detection.health_history WHERE resolution = %s AND bucket < %s",
            (resolution, _days_before(today, keep)),
        )
        deleted += cur.rowcount
    return deleted


def _days_before(today: date, days: int) -> datetime:
    """UTC midnight `days` days before `today`: what retention keeps starts there."""
    return datetime.combine(today - timedelta(days=days), datetime.min.time(), tzinfo=UTC)
