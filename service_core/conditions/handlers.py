"""Conditions react to closed work: posting a work order resolves the conditions it was opened or linked for,
and records from its resolution code whether the alarm was true (which feeds precision per failure mode)."""

from __future__ import annotations

import psycopg

from service_core.conditions import domain
from service_core.events import WorkOrderPosted


def resolve_conditions_of_posted_work(conn: psycopg.Connection, event: WorkOrderPosted) -> None:
    row = conn.execute("SELECT resolution_code FROM work.work_orders WHERE id = %s", (event.work_order_id,)).fetchone()
    if row is None:
        return
    conn.execute(
        """
        UPDATE detection.conditions
        SET status = 'resolved', resolved_at = now(), outcome = coalesce(%s, outcome)
        WHERE work_order_id = %s AND status <> 'resolved'
        """,
        (domain.outcome_of(row[0]), event.work_order_id),
    )
