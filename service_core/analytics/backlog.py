"""The open backlog: how many work orders wait, and for how long, by priority."""

from __future__ import annotations

from datetime import datetime

import psycopg

from service_core.analytics import domain
from service_core.analytics.schemas import BacklogBucket, BacklogReport

PRIORITIES = ("emergency", "high", "normal", "low")


def backlog_report(conn: psycopg.Connection, *, as_of: datetime) -> BacklogReport:
    """Ages (hours since creation) of work orders open at `as_of`."""
    rows = conn.execute(
        """
        SELECT priority, extract(epoch FROM %(as_of)s - created_at) / 3600.0
        FROM work.work_orders
        WHERE status IN ('unscheduled', 'scheduled', 'in_progress') AND created_at <= %(as_of)s
        """,
        {"as_of": as_of},
    ).fetchall()
    ages: dict[str, list[float]] = {p: [] for p in PRIORITIES}
    for priority, age in rows:
        ages[priority].append(float(age))
    buckets = [
        BacklogBucket(
            priority=p,
            open_work_orders=len(a),
            mean_age_hours=domain.mean(a),
            p50_age_hours=domain.percentile(a, 50),
            p90_age_hours=domain.percentile(a, 90),
            max_age_hours=max(a) if a else None,
        )
        for p, a in ages.items()
    ]
    return BacklogReport(as_of=as_of, total_open=len(rows), by_priority=buckets)
