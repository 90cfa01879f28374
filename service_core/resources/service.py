"""Resource use cases.  Functions take an open connection; the caller owns the transaction.

Other domains call `get_resource`, `resource_for_user`, `availability` and `working_time`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import psycopg
from psycopg import errors, sql
from psycopg.rows import class_row

from service_core.db.like import contains_pattern
from service_core.exceptions import Conflict, InvalidInput, NotFound
from service_core.resources import domain
from service_core.resources.schemas import (
    ResourceCreate,
    ResourcePublic,
    ResourceSkillIn,
    ResourceSkillPublic,
    ResourceUpdate,
    ShiftIn,
    ShiftPublic,
    TimeOffCreate,
    TimeOffPublic,
)

DayRule = Callable[[date, str, list[domain.Shift], list[domain.Span]], list[domain.Span]]
_COLUMNS = (
    "id, name, kind, user_id, territory_id, home_latitude, home_longitude, timezone, hourly_cost, "
    "hourly_bill_rate, is_active, created_at"
)


def create_resource(conn: psycopg.Connection, *, resource_in: ResourceCreate) -> ResourcePublic:
    """Create a technician, crew or piece of equipment."""
    values = resource_in.model_dump()
    query = sql.SQL("INSERT INTO resources.resources ({}) VALUES ({}) RETURNING id").format(
        sql.SQL(", ").join(sql.Identifier(k) for k in values), sql.SQL(", ").join(sql.Placeholder(k) for k in values)
    )
    row = _write(conn, query, values)
    assert row is not None
    return get_resource(conn, resource_id=int(row[0]))


def get_resource(conn: psycopg.Connection, *, resource_id: int) -> ResourcePublic:
    """The resource with its skills; `NotFound` if there is none."""
    with conn.cursor(row_factory=class_row(ResourcePublic)) as cur:
        resource = cur.execute(f"SELECT {_COLUMNS} FROM resources.resources WHERE id = %s", (resource_id,)).fetchone()
    if resource is None:
        raise NotFound(f"resource {resource_id} does not exist")
    return resource.model_copy(update={"skills": _skills_of(conn, [resource_id]).get(resource_id, [])})


def resource_for_user(conn: psycopg.Connection, *, user_id: int) -> ResourcePublic | None:
    """The resource a user (a technician's login) is, or None."""
    row = conn.execute("SELECT id FROM resources.resources WHERE user_id = %s", (user_id,)).fetchone()
    return None if row is None else get_resource(conn, resource_id=int(row[0]))


def update_resource(conn: psycopg.Connection, *, resource_id: int, resource_in: ResourceUpdate) -> ResourcePublic:
    changes = resource_in.model_dump(exclude_unset=True)
    if changes:
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in changes
        )
        query = sql.SQL("UPDATE resources.resources SET {} WHERE id = %(id)s RETURNING id").format(assignments)
        if _write(conn, query, {**changes, "id": resource_id}, missing_ok=True) is None:
            raise NotFound(f"resource {resource_id} does not exist")
    return get_resource(conn, resource_id=resource_id)


def list_resources(
    conn: psycopg.Connection,
    *,
    search: str | None = None,
    kind: str | None = None,
    territory_id: int | None = None,
    skill_id: int | None = None,
    is_active: bool | None = None,
    limit: int,
    offset: int,
) -> tuple[list[ResourcePublic], int]:
    """One page of resources by name, filtered, with their skills, and how many match in all."""
    params: dict[str, Any] = {
        "q": contains_pattern(search),
        "kind": kind,
        "territory": territory_id,
        "skill": skill_id,
        "active": is_active,
        "limit": limit,
        "offset": offset,
    }
    where = """
        WHERE (%(q)s::text IS NULL OR r.name ILIKE %(q)s)
          AND (%(kind)s::text IS NULL OR r.kind = %(kind)s)
          AND (%(territory)s::int IS NULL OR r.territory_id = %(territory)s)
          AND (%(active)s::boolean IS NULL OR r.is_active = %(active)s)
          AND (%(skill)s::int IS NULL OR EXISTS (
                SELECT 1 FROM resources.resource_skills s WHERE s.resource_id = r.id AND s.skill_id = %(skill)s))
    """
    total = conn.execute(f"SELECT count(*) FROM resources.resources r {where}", params).fetchone()
    with conn.cursor(row_factory=class_row(ResourcePublic)) as cur:
        columns = ", ".join(f"r.{c.strip()}" for c in _COLUMNS.split(","))
        cur.execute(
            f"SELECT {columns} FROM resources.resources r {where} "
            "ORDER BY lower(r.name), r.id LIMIT %(limit)s OFFSET %(offset)s",
            params,
        )
        page = cur.fetchall()
    skills = _skills_of(conn, [r.id for r in page])
    return [r.model_copy(update={"skills": skills.get(r.id, [])}) for r in page], int(total[0]) if total else 0


def replace_skills(
    conn: psycopg.Connection, *, resource_id: int, skills_in: list[ResourceSkillIn]
) -> list[ResourceSkillPublic]:
    """The resource's skills become exactly `skills_in`."""
    _lock(conn, resource_id)
    skill_ids = [s.skill_id for s in skills_in]
    if len(set(skill_ids)) != len(skill_ids):
        raise InvalidInput("a skill is listed twice")
    known = {r[0] for r in conn.execute("SELECT id FROM resources.skills WHERE id = ANY(%s)", (skill_ids,))}
    if unknown := sorted(set(skill_ids) - known):
        raise InvalidInput(f"skill_id: no such skill {', '.join(map(str, unknown))}")
    conn.execute("DELETE FROM resources.resource_skills WHERE resource_id = %s", (resource_id,))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO resources.resource_skills (resource_id, skill_id, proficiency) VALUES (%s, %s, %s)",
            [(resource_id, s.skill_id, s.proficiency) for s in skills_in],
        )
    return _skills_of(conn, [resource_id]).get(resource_id, [])


def working_hours(conn: psycopg.Connection, *, resource_id: int) -> list[ShiftPublic]:
    """The resource's weekly working hours, by weekday and start."""
    get_resource(conn, resource_id=resource_id)
    return _shifts(conn, resource_id)


def replace_working_hours(conn: psycopg.Connection, *, resource_id: int, shifts_in: list[ShiftIn]) -> list[ShiftPublic]:
    """The resource's week becomes exactly `shifts_in`; `InvalidInput` if shifts of a weekday overlap."""
    problems = domain.week_problems(
        domain.Shift(s.weekday, s.start_time, s.end_time, s.break_minutes) for s in shifts_in
    )
    if problems:
        raise InvalidInput("working hours overlap: " + "; ".join(problems))
    _lock(conn, resource_id)
    conn.execute("DELETE FROM resources.working_hours WHERE resource_id = %s", (resource_id,))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO resources.working_hours (resource_id, weekday, start_time, end_time, break_minutes) "
            "VALUES (%s, %s, %s, %s, %s)",
            [(resource_id, s.weekday, s.start_time, s.end_time, s.break_minutes) for s in shifts_in],
        )
    return _shifts(conn, resource_id)


def add_time_off(conn: psycopg.Connection, *, resource_id: int, time_off_in: TimeOffCreate) -> TimeOffPublic:
    """Record an absence of the resource."""
    _lock(conn, resource_id)
    with conn.cursor(row_factory=class_row(TimeOffPublic)) as cur:
        time_off = cur.execute(
            "INSERT INTO resources.time_off (resource_id, start_at, end_at, reason) VALUES (%s, %s, %s, %s) "
            "RETURNING id, resource_id, start_at, end_at, reason",
            (resource_id, time_off_in.start_at, time_off_in.end_at, time_off_in.reason),
        ).fetchone()
    assert time_off is not None
    return time_off


def list_time_off(
    conn: psycopg.Connection, *, resource_id: int, start: datetime | None = None, end: datetime | None = None
) -> list[TimeOffPublic]:
    """The resource's absences overlapping [start, end) (all when unbounded), by start."""
    get_resource(conn, resource_id=resource_id)
    with conn.cursor(row_factory=class_row(TimeOffPublic)) as cur:
        cur.execute(
            """
            SELECT id, resource_id, start_at, end_at, reason FROM resources.time_off
            WHERE resource_id = %(r)s AND (%(end)s::timestamptz IS NULL OR start_at < %(end)s)
              AND (%(start)s::timestamptz IS NULL OR end_at > %(start)s)
            ORDER BY start_at, id
            """,
            {"r": resource_id, "start": start, "end": end},
        )
        return cur.fetchall()


def delete_time_off(conn: psycopg.Connection, *, resource_id: int, time_off_id: int) -> None:
    cur = conn.execute("DELETE FROM resources.time_off WHERE id = %s AND resource_id = %s", (time_off_id, resource_id))
    if cur.rowcount == 0:
        raise NotFound(f"resource {resource_id} has no time off {time_off_id}")


def availability(conn: psycopg.Connection, *, resource_id: int, day: date) -> list[tuple[datetime, datetime]]:
    """The UTC spans the resource can take work on `day` (a day of its own time zone): shifts less their breaks
    and time off."""
    return _day(conn, resource_id, day, domain.availability)


def working_time(conn: psycopg.Connection, *, resource_id: int, day: date) -> list[tuple[datetime, datetime]]:
    """The UTC spans the resource is at work on `day`, time off taken out but breaks kept in: for the schedule
    optimizer, which places each break itself (`working_hours` gives their length)."""
    return _day(conn, resource_id, day, domain.working_time)


def _day(conn: psycopg.Connection, resource_id: int, day: date, rule: DayRule) -> list[domain.Span]:
    resource = get_resource(conn, resource_id=resource_id)
    if not resource.is_active:
        return []
    shifts = [domain.Shift(s.weekday, s.start_time, s.end_time, s.break_minutes) for s in _shifts(conn, resource_id)]
    # a local day lies within the UTC day before and after it: fetch the absences of those three days
    around = datetime.combine(day, time(), tzinfo=UTC)
    absences = list_time_off(
        conn, resource_id=resource_id, start=around - timedelta(days=1), end=around + timedelta(days=2)
    )
    return rule(day, resource.timezone, shifts, [(t.start_at, t.end_at) for t in absences])


def _shifts(conn: psycopg.Connection, resource_id: int) -> list[ShiftPublic]:
    with conn.cursor(row_factory=class_row(ShiftPublic)) as cur:
        cur.execute(
            "SELECT weekday, start_time, end_time, break_minutes FROM resources.working_hours "
            "WHERE resource_id = %s ORDER BY weekday, start_time, id",
            (resource_id,),
        )
        return cur.fetchall()


def _skills_of(conn: psycopg.Connection, resource_ids: list[int]) -> dict[int, list[ResourceSkillPublic]]:
    rows = conn.execute(
        """
        SELECT rs.resource_id, rs.skill_id, s.code, s.name, rs.proficiency
        FROM resources.resource_skills rs JOIN resources.skills s ON s.id = rs.skill_id
        WHERE rs.resource_id = ANY(%s) ORDER BY rs.resource_id, s.code
        """,
        (resource_ids,),
    ).fetchall()
    skills: dict[int, list[ResourceSkillPublic]] = {}
    for resource_id, skill_id, code, name, proficiency in rows:
        skills.setdefault(resource_id, []).append(
            ResourceSkillPublic(skill_id=skill_id, code=code, name=name, proficiency=proficiency)
        )
    return skills


def _lock(conn: psycopg.Connection, resource_id: int) -> None:
    if conn.execute("SELECT 1 FROM resources.resources WHERE id = %s FOR UPDATE", (resource_id,)).fetchone() is None:
        raise NotFound(f"resource {resource_id} does not exist")


def _write(
    conn: psycopg.Connection, query: sql.Composed, params: dict[str, Any], *, missing_ok: bool = False
) -> tuple[Any, ...] | None:
    """Run an insert/update of a resource, turning a bad user or territory reference into a reason."""
    try:
        with conn.transaction():
            row = conn.execute(query, params).fetchone()
    except errors.UniqueViolation as exc:
        raise Conflict(f"user {params.get('user_id')} is another resource already") from exc
    except errors.ForeignKeyViolation as exc:
        field = "user_id" if "user" in (exc.diag.constraint_name or "") else "territory_id"
        raise InvalidInput(f"{field}: {field.removesuffix('_id')} {params.get(field)} does not exist") from exc
    if row is None and not missing_ok:
        raise NotFound("resource does not exist")
    return row
