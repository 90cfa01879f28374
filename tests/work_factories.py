"""Plain-SQL builders of the rows work orders and bookings need (accounts, places, people, skills, templates)."""

from __future__ import annotations

import uuid
from datetime import time
from decimal import Decimal

import psycopg


def _code() -> str:
    return uuid.uuid4().hex[:10]


def _one(conn: psycopg.Connection, sql: str, params: tuple[object, ...]) -> int:
    row = conn.execute(sql, params).fetchone()
    assert row is not None
    return int(row[0])


def account(conn: psycopg.Connection, *, billing_account_id: int | None = None, credit_hold: bool = False) -> int:
    return _one(
        conn,
        "INSERT INTO crm.accounts (number, name, billing_account_id, credit_hold, credit_hold_reason) "
        "VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (f"A-{_code()}", "Acme Plant", billing_account_id, credit_hold, "overdue" if credit_hold else None),
    )


def territory(conn: psycopg.Connection) -> int:
    return _one(conn, "INSERT INTO resources.territories (name) VALUES (%s) RETURNING id", (f"T-{_code()}",))


def location(
    conn: psycopg.Connection, *, account_id: int, territory_id: int | None = None, lat: float = 52.0, lon: float = 5.0
) -> int:
    return _one(
        conn,
        "INSERT INTO crm.locations (account_id, name, latitude, longitude, territory_id) "
        "VALUES (%s, 'Site', %s, %s, %s) RETURNING id",
        (account_id, lat, lon, territory_id),
    )


def skill(conn: psycopg.Connection) -> int:
    return _one(conn, "INSERT INTO resources.skills (code, name) VALUES (%s, 'Skill') RETURNING id", (_code(),))


ALL_WEEK = [(day, time(0), time(23, 59, 59)) for day in range(7)]


def resource(
    conn: psycopg.Connection,
    *,
    name: str = "Tech",
    user_id: int | None = None,
    territory_id: int | None = None,
    lat: float = 52.0,
    lon: float = 5.0,
    skills: dict[int, int] | None = None,
    hours: list[tuple[int, time, time]] | None = None,
    hourly_cost: Decimal = Decimal("60.00"),
) -> int:
    """A technician; `hours` default: all day, every day."""
    rid = _one(
        conn,
        "INSERT INTO resources.resources (name, user_id, territory_id, home_latitude, home_longitude, hourly_cost) "
        "VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
        (name, user_id, territory_id, lat, lon, hourly_cost),
    )
    for skill_id, level in (skills or {}).items():
        conn.execute(
            "INSERT INTO resources.resource_skills (resource_id, skill_id, proficiency) VALUES (%s, %s, %s)",
            (rid, skill_id, level),
        )
    for weekday, start, end in ALL_WEEK if hours is None else hours:
        conn.execute(
            "INSERT INTO resources.working_hours (resource_id, weekday, start_time, end_time) VALUES (%s, %s, %s, %s)",
            (rid, weekday, start, end),
        )
    return rid


def item(conn: psycopg.Connection, *, kind: str = "product", unit_cost: str = "10.00") -> int:
    return _one(
        conn,
        "INSERT INTO catalog.items (sku, name, kind, unit_cost, unit_price) VALUES (%s, %s, %s, %s, 20) RETURNING id",
        (f"SKU-{_code()}", f"Item {kind}", kind, Decimal(unit_cost)),
    )


def incident_type(
    conn: psycopg.Connection,
    *,
    skills: dict[int, int] | None = None,
    tasks: list[str] | None = None,
    items: dict[int, str] | None = None,
    minutes: int = 90,
    priority: str = "high",
) -> int:
    """A template: work type 'repair', its tasks in order, required skills and suggested items."""
    it = _one(
        conn,
        "INSERT INTO work.incident_types (code, name, work_type, estimated_minutes, default_priority) "
        "VALUES (%s, 'Pump failure', 'repair', %s, %s) RETURNING id",
        (_code(), minutes, priority),
    )
    for skill_id, level in (skills or {}).items():
        conn.execute(
            "INSERT INTO work.incident_type_skills (incident_type_id, skill_id, min_proficiency) VALUES (%s, %s, %s)",
            (it, skill_id, level),
        )
    for position, description in enumerate(tasks or [], start=1):
        conn.execute(
            "INSERT INTO work.incident_type_tasks (incident_type_id, position, description) VALUES (%s, %s, %s)",
            (it, position, description),
        )
    for item_id, quantity in (items or {}).items():
        conn.execute(
            "INSERT INTO work.incident_type_items (incident_type_id, item_id, quantity) VALUES (%s, %s, %s)",
            (it, item_id, Decimal(quantity)),
        )
    return it


def sla_target(
    conn: psycopg.Connection, *, priority: str, response: int, resolution: int, agreement_id: int | None = None
) -> int:
    return _one(
        conn,
        "INSERT INTO policy.sla_targets (agreement_id, priority, response_minutes, resolution_minutes) "
        "VALUES (%s, %s, %s, %s) RETURNING id",
        (agreement_id, priority, response, resolution),
    )
