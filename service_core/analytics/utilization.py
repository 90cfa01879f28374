"""Technician utilization: hours on jobs (work and travel time entries) over the hours they were available."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

import psycopg

from service_core.analytics import domain
from service_core.analytics.schemas import TechnicianUtilization, UtilizationReport


def utilization_report(conn: psycopg.Connection, *, start: date, end: date) -> UtilizationReport:
    """Per active technician, for the days [start, end): available hours (working hours minus breaks and time
    off) and the work and travel hours they logged within them."""
    from service_core.resources import service as resources_service

    technicians = conn.execute(
        "SELECT id, name FROM resources.resources WHERE kind = 'technician' AND is_active ORDER BY name, id"
    ).fetchall()
    logged = _logged_hours(conn, start=start, end=end)
    report = []
    for resource_id, name in technicians:
        available = 0.0
        day = start
        while day < end:
            for begin, finish in resources_service.availability(conn, resource_id=resource_id, day=day):
                available += (finish - begin).total_seconds() / 3600
            day += timedelta(days=1)
        work, travel = logged[resource_id]["work"], logged[resource_id]["travel"]
        report.append(
            TechnicianUtilization(
                resource_id=resource_id,
                name=name,
                available_hours=round(available, 2),
                work_hours=round(work, 2),
                travel_hours=round(travel, 2),
                utilization=domain.utilization(work + travel, available),
            )
        )
    return UtilizationReport(start=start, end=end, technicians=report)


def _logged_hours(conn: psycopg.Connection, *, start: date, end: date) -> dict[int, dict[str, float]]:
    """Work and travel hours per resource, clipped to the period."""
    period_start = datetime.combine(start, time(), tzinfo=UTC)
    period_end = datetime.combine(end, time(), tzinfo=UTC)
    rows = conn.execute(
        """
        SELECT resource_id, kind,
               sum(extract(epoch FROM least(ended_at, %(e)s) - greatest(started_at, %(s)s))) / 3600.0
        FROM work.time_entries
        WHERE kind IN ('work', 'travel') AND started_at < %(e)s AND ended_at > %(s)s
        GROUP BY resource_id, kind
        """,
        {"s": period_start, "e": period_end},
    ).fetchall()
    hours: dict[int, dict[str, float]] = defaultdict(lambda: {"work": 0.0, "travel": 0.0})
    for resource_id, kind, total in rows:
        hours[resource_id][kind] = float(total)
    return hours
