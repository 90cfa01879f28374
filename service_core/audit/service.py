"""The audit trail (written by database triggers) and the security log (logins written here, the rest by triggers)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from service_core.audit.schemas import ChangePublic, SecurityEventName, SecurityEventPublic


def list_changes(
    conn: psycopg.Connection,
    *,
    table_name: str | None,
    record_id: str | None,
    actor: str | None,
    before_id: int | None,
    limit: int,
) -> list[ChangePublic]:
    """Newest first; page with `before_id` (the smallest id of the previous page)."""
    with conn.cursor(row_factory=class_row(ChangePublic)) as cur:
        cur.execute(
            """
            SELECT id, at, actor, table_name, record_id, action, changed FROM audit.changes
            WHERE (%(t)s::text IS NULL OR table_name = %(t)s)
              AND (%(r)s::text IS NULL OR record_id = %(r)s)
              AND (%(a)s::text IS NULL OR actor = %(a)s)
              AND (%(b)s::bigint IS NULL OR id < %(b)s)
            ORDER BY id DESC LIMIT %(limit)s
            """,
            {"t": table_name, "r": record_id, "a": actor, "b": before_id, "limit": limit},
        )
        return cur.fetchall()


def record_security_event(
    conn: psycopg.Connection,
    *,
    actor: str,
    event: SecurityEventName,
    subject: str,
    client_ip: str | None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Append one event to the security log (logins; the other events are written by triggers)."""
    conn.execute(
        "INSERT INTO audit.security_events (actor, event, subject, client_ip, detail) VALUES (%s, %s, %s, %s, %s)",
        (actor, event, subject, client_ip, Jsonb(dict(detail or {}))),
    )


def list_security_events(
    conn: psycopg.Connection,
    *,
    event: SecurityEventName | None,
    subject: str | None,
    actor: str | None,
    client_ip: str | None,
    since: datetime | None,
    before_id: int | None,
    limit: int,
) -> list[SecurityEventPublic]:
    """Newest first; page with `before_id` (the smallest id of the previous page)."""
    with conn.cursor(row_factory=class_row(SecurityEventPublic)) as cur:
        cur.execute(
            """
            SELECT id, at, actor, event, subject, client_ip, detail FROM audit.security_events
            WHERE (%(e)s::text IS NULL OR event = %(e)s)
              AND (%(s)s::text IS NULL OR subject = %(s)s)
              AND (%(a)s::text IS NULL OR actor = %(a)s)
              AND (%(ip)s::text IS NULL OR client_ip = %(ip)s)
              AND (%(since)s::timestamptz IS NULL OR at >= %(since)s)
              AND (%(b)s::bigint IS NULL OR id < %(b)s)
            ORDER BY id DESC LIMIT %(limit)s
            """,
            {"e": event, "s": subject, "a": actor, "ip": client_ip, "since": since, "b": before_id, "limit": limit},
        )
        return cur.fetchall()
