"""Loading what automatic assignment needs from the database: the request and every resource as a candidate."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

import psycopg

from service_core.bookings.assignment import AssignmentRequest, Candidate
from service_core.bookings.domain import Interval
from service_core.exceptions import InvalidInput
from service_core.resources.domain import Shift
from service_core.scheduling.routing.travel import GeoPoint
from service_core.work_orders.schemas import WorkOrderPublic


def assignment_request(
    conn: psycopg.Connection, *, work_order: WorkOrderPublic, now: datetime, allow_outside_territory: bool = False
) -> AssignmentRequest:
    """Where the job is, what it needs, who is preferred or excluded, by when it must be done, and whether a
    technician of another territory may take it."""
    site = conn.execute(
        "SELECT latitude, longitude, territory_id FROM crm.locations WHERE id = %s", (work_order.location_id,)
    ).fetchone()
    if site is None:
        raise InvalidInput(f"work order {work_order.number} has no location: it cannot be assigned automatically")
    skills = conn.execute(
        "SELECT skill_id, min_proficiency FROM work.work_order_skills WHERE work_order_id = %s", (work_order.id,)
    ).fetchall()
    prefs = conn.execute(
        "SELECT resource_id, preference FROM work.work_order_preferences WHERE work_order_id = %s", (work_order.id,)
    ).fetchall()
    not_before = max(now, work_order.window_start) if work_order.window_start else now
    return AssignmentRequest(
        work_order_id=work_order.id,
        estimated_minutes=work_order.estimated_minutes,
        required_skills={int(s): int(m) for s, m in skills},
        site=GeoPoint(float(site[0]), float(site[1])),
        territory_id=site[2],
        not_before=not_before,
        deadline=work_order.resolution_due_at,
        preferred=frozenset(int(r) for r, p in prefs if p == "preferred"),
        excluded=frozenset(int(r) for r, p in prefs if p == "excluded"),
        allow_outside_territory=allow_outside_territory,
    )


def load_candidates(conn: psycopg.Connection, *, start: datetime, end: datetime) -> list[Candidate]:
    """Every active technician (not crews or equipment) with its skills, shifts (breaks included), time off and
    bookings in [start, end)."""
    skills: dict[int, dict[int, int]] = defaultdict(dict)
    for rid, sid, level in conn.execute(
        "SELECT rs.resource_id, rs.skill_id, rs.proficiency FROM resources.resource_skills rs "
        "JOIN resources.resources r ON r.id = rs.resource_id WHERE r.is_active AND r.kind = 'technician'"
    ).fetchall():
        skills[rid][sid] = level
    shifts: dict[int, list[Shift]] = defaultdict(list)
    for rid, weekday, a, b, break_minutes in conn.execute(
        "SELECT resource_id, weekday, start_time, end_time, break_minutes FROM resources.working_hours"
    ):
        shifts[rid].append(Shift(weekday, a, b, break_minutes))
    busy = _intervals(
        conn,
        "SELECT resource_id, start_at, end_at FROM work.bookings WHERE status <> 'canceled' "
        "AND start_at < %(end)s AND end_at > %(start)s",
        start,
        end,
    )
    time_off = _intervals(
        conn,
        "SELECT resource_id, start_at, end_at FROM resources.time_off WHERE start_at < %(end)s AND end_at > %(start)s",
        start,
        end,
    )
    rows = conn.execute(
        "SELECT id, name, territory_id, home_latitude, home_longitude, timezone, hourly_cost "
        "FROM resources.resources WHERE is_active AND kind = 'technician' ORDER BY id"
    ).fetchall()
    return [
        Candidate(
            resource_id=rid,
            name=name,
            is_active=True,
            territory_id=territory,
            home=GeoPoint(lat, lon),
            timezone=tz,
            hourly_cost=Decimal(cost),
            skills=skills[rid],
            shifts=shifts[rid],
            time_off=time_off[rid],
            busy=busy[rid],
        )
        for rid, name, territory, lat, lon, tz, cost in rows
    ]


def _intervals(conn: psycopg.Connection, sql: str, start: datetime, end: datetime) -> dict[int, list[Interval]]:
    result: dict[int, list[Interval]] = defaultdict(list)
    for rid, a, b in conn.execute(sql, {"start": start, "end": end}).fetchall():
        result[rid].append((a, b))
    return result
