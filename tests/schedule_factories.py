"""A small field-service day in the database for the schedule tests (plain SQL, built on `work_factories`).

Monday 2030-01-07, everything in UTC.  Territory north: Ana (electrical 4, hvac 3; 08-17, 30 min break) and Ben
(hvac 5, electrical 3; 07-15, 30 min break); territory south: Cleo (electrical 3; 09-18, 45 min break).  Orders:
n1..n6 open in the north (n2 high priority with an SLA deadline at 14:00, n4 needs hvac 4: only Ben, n5 prefers
Ana, n6 excludes Ben), n7 booked to Ana 13:00-14:00 and locked, n8 booked to Ben 08:00-09:00 unlocked, s1 and s2
open in the south, `hold` in the south for an account on credit hold, `nowhere` without any location.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

import psycopg

from tests import work_factories as wf

DAY = date(2030, 1, 7)  # a Monday
MONDAY = 0


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=UTC)


@dataclass
class ScheduleDay:
    north: int
    south: int
    ana: int
    ben: int
    cleo: int
    skills: dict[str, int]
    orders: dict[str, int] = field(default_factory=dict)
    locked_booking: int = 0
    movable_booking: int = 0
    blocker_order: int = 0  # a completed order, for bookings made by hand in tests
    account: int = 0


def technician(
    conn: psycopg.Connection, *, name: str, territory_id: int, skills: dict[int, int], hours: tuple[int, int],
    break_minutes: int, lat: float, lon: float,
) -> int:  # fmt: skip
    rid = wf.resource(
        conn, name=name, territory_id=territory_id, lat=lat, lon=lon, skills=skills,
        hours=[(MONDAY, time(hours[0]), time(hours[1]))],
    )  # fmt: skip
    conn.execute("UPDATE resources.working_hours SET break_minutes = %s WHERE resource_id = %s", (break_minutes, rid))
    return rid


def work_order(
    conn: psycopg.Connection,
    *,
    account_id: int,
    location_id: int | None,
    priority: str = "normal",
    minutes: int = 60,
    window: tuple[datetime, datetime] | None = None,
    due: datetime | None = None,
    skills: dict[int, int] | None = None,
    status: str = "unscheduled",
) -> int:
    row = conn.execute(
        "INSERT INTO work.work_orders (account_id, billing_account_id, location_id, work_type, priority, status, "
        "summary, estimated_minutes, window_start, window_end, resolution_due_at) "
        "VALUES (%s, %s, %s, 'repair', %s, %s, 'Pump check', %s, %s, %s, %s) RETURNING id",
        (account_id, account_id, location_id, priority, status, minutes, *(window or (None, None)), due),
    ).fetchone()
    assert row is not None
    for skill_id, level in (skills or {}).items():
        conn.execute(
            "INSERT INTO work.work_order_skills (work_order_id, skill_id, min_proficiency) VALUES (%s, %s, %s)",
            (row[0], skill_id, level),
        )
    return int(row[0])


def booking(
    conn: psycopg.Connection, *, work_order_id: int, resource_id: int, start: datetime, end: datetime, locked: bool
) -> int:
    row = conn.execute(
        "INSERT INTO work.bookings (work_order_id, resource_id, start_at, end_at, locked) "
        "VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (work_order_id, resource_id, start, end, locked),
    ).fetchone()
    assert row is not None
    conn.execute("UPDATE work.work_orders SET status = 'scheduled' WHERE id = %s", (work_order_id,))
    return int(row[0])


def seed_day(url: str) -> ScheduleDay:
    """The day described in the module docstring."""
    with psycopg.connect(url) as conn:
        north, south = wf.territory(conn), wf.territory(conn)
        skills = {"electrical": wf.skill(conn), "hvac": wf.skill(conn)}
        el, hv = skills["electrical"], skills["hvac"]
        s = ScheduleDay(
            north=north, south=south, skills=skills,
            ana=technician(conn, name="Ana", territory_id=north, skills={el: 4, hv: 3}, hours=(8, 17),
                           break_minutes=30, lat=52.37, lon=4.89),
            ben=technician(conn, name="Ben", territory_id=north, skills={hv: 5, el: 3}, hours=(7, 15),
                           break_minutes=30, lat=52.30, lon=4.95),
            cleo=technician(conn, name="Cleo", territory_id=south, skills={el: 3}, hours=(9, 18),
                            break_minutes=45, lat=51.92, lon=4.48),
        )  # fmt: skip
        s.account = account = wf.account(conn)
        hold = wf.account(conn, credit_hold=True)

        def site(territory: int, lat: float, lon: float, owner: int = account) -> int:
            return wf.location(conn, account_id=owner, territory_id=territory, lat=lat, lon=lon)

        o = s.orders
        o["n1"] = work_order(conn, account_id=account, location_id=site(north, 52.36, 4.90), skills={el: 3},
                             window=(at(9), at(12)))  # fmt: skip
        o["n2"] = work_order(conn, account_id=account, location_id=site(north, 52.39, 4.87), priority="high",
                             minutes=45, due=at(14), skills={hv: 2})  # fmt: skip
        o["n3"] = work_order(conn, account_id=account, location_id=site(north, 52.35, 4.93), priority="low",
                             minutes=30)  # fmt: skip
        o["n4"] = work_order(conn, account_id=account, location_id=site(north, 52.31, 4.97), minutes=90,
                             skills={hv: 4})  # fmt: skip
        o["n5"] = work_order(conn, account_id=account, location_id=site(north, 52.38, 4.91), skills={el: 2})
        o["n6"] = work_order(conn, account_id=account, location_id=site(north, 52.33, 4.88))
        o["n7"] = work_order(conn, account_id=account, location_id=site(north, 52.40, 4.85), skills={el: 3})
        o["n8"] = work_order(conn, account_id=account, location_id=site(north, 52.29, 4.96), skills={hv: 3})
        o["s1"] = work_order(conn, account_id=account, location_id=site(south, 51.91, 4.47), skills={el: 3})
        o["s2"] = work_order(conn, account_id=account, location_id=site(south, 51.93, 4.50), minutes=45)
        o["hold"] = work_order(conn, account_id=hold, location_id=site(south, 51.90, 4.49, hold))
        o["nowhere"] = work_order(conn, account_id=account, location_id=None)
        conn.execute("INSERT INTO work.work_order_preferences VALUES (%s, %s, 'preferred')", (o["n5"], s.ana))
        conn.execute("INSERT INTO work.work_order_preferences VALUES (%s, %s, 'excluded')", (o["n6"], s.ben))
        s.locked_booking = booking(conn, work_order_id=o["n7"], resource_id=s.ana, start=at(13), end=at(14),
                                   locked=True)  # fmt: skip
        s.movable_booking = booking(conn, work_order_id=o["n8"], resource_id=s.ben, start=at(8), end=at(9),
                                    locked=False)  # fmt: skip
        s.blocker_order = work_order(conn, account_id=account, location_id=None, status="completed")
    return s


def emergency_order(url: str, s: ScheduleDay, *, priority: str = "emergency") -> int:
    """An unscheduled order in the north that needs hvac 2, due by 16:00."""
    with psycopg.connect(url) as conn:
        location = wf.location(conn, account_id=s.account, territory_id=s.north, lat=52.34, lon=4.92)
        return work_order(conn, account_id=s.account, location_id=location, priority=priority, due=at(16),
                          skills={s.skills["hvac"]: 2})  # fmt: skip
