"""Inspecting and replaying what the ingestor could not store (dead letters and quarantine)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import psycopg
from psycopg.rows import dict_row

from ingest.config import IngestSettings
from ingest.pipeline import InboundMessage, triage
from ingest.service import limits_from
from ingest.writer import TelemetryWriter
from service_core.telemetry.maintenance import RetentionPolicy

log = logging.getLogger(__name__)

Kind = Literal["dead_letters", "quarantine"]
KINDS: tuple[Kind, ...] = ("dead_letters", "quarantine")


@dataclass(frozen=True, slots=True)
class RejectRow:
    kind: Kind
    id: int
    topic: str
    reason: str
    detail: str
    seen: int
    first_seen_at: datetime
    replayed_at: datetime | None
    payload: bytes


@dataclass(slots=True)
class ReplayReport:
    replayed: int = 0
    readings_stored: int = 0
    still_rejected: dict[str, int] = field(default_factory=dict)


def list_rejects(
    conn: psycopg.Connection,
    *,
    kind: Kind,
    limit: int = 50,
    include_replayed: bool = False,
    ids: list[int] | None = None,
) -> list[RejectRow]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            f"""
            SELECT id, topic, reason, detail, seen, first_seen_at, replayed_at, payload
            FROM ingest.{kind}
            WHERE (%(all)s OR replayed_at IS NULL) AND (%(ids)s::bigint[] IS NULL OR id = ANY(%(ids)s))
            ORDER BY id LIMIT %(limit)s
            """,
            {"all": include_replayed, "ids": ids, "limit": limit},
        )
        return [RejectRow(kind=kind, **{**r, "payload": bytes(r["payload"])}) for r in cur.fetchall()]


def replay(
    url: str,
    settings: IngestSettings,
    policy: RetentionPolicy,
    *,
    kind: Kind,
    ids: list[int] | None = None,
    limit: int = 1000,
) -> ReplayReport:
    """Run rejected messages through the ingest path again (after a device is registered, a clock fixed, a
    payload bug patched...).  Rows that now store cleanly are marked replayed; the rest stay, seen once more."""
    report = ReplayReport()
    writer = TelemetryWriter(url, application="assetpulse-replay")
    limits = limits_from(settings, policy)
    try:
        with psycopg.connect(url) as conn:
            rows = list_rejects(conn, kind=kind, limit=limit, ids=ids)
            for row in rows:
                batch = triage([InboundMessage(row.topic, row.payload)], now=datetime.now(UTC), limits=limits)
                result = writer.write(batch)
                rejected = {**result.dead_lettered, **result.quarantined}
                if rejected:
                    for reason in rejected:
                        report.still_rejected[reason] = report.still_rejected.get(reason, 0) + 1
                    continue
                conn.execute(f"UPDATE ingest.{kind} SET replayed_at = now() WHERE id = %s", (row.id,))
                conn.commit()
                report.replayed += 1
                report.readings_stored += result.stored
    finally:
        writer.close()
    return report
