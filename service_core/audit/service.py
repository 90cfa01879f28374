"""Reading the audit trail (written by database triggers, never by application code)."""

from __future__ import annotations

import psycopg
from psycopg.rows import class_row

from service_core.audit.schemas import ChangePublic


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
