"""Incident-type use cases.  Functions take an open connection; the caller owns the transaction."""

from __future__ import annotations

import psycopg
from psycopg import errors

from service_core.exceptions import Conflict, InvalidInput, NotFound
from service_core.incident_types.schemas import IncidentTypeIn, IncidentTypePublic, SkillNeed, SuggestedItem


def create(conn: psycopg.Connection, *, incident_type_in: IncidentTypeIn) -> IncidentTypePublic:
    t = incident_type_in
    try:
        with conn.transaction():
            row = conn.execute(
                "INSERT INTO work.incident_types (code, name, work_type, estimated_minutes, default_priority) "
                "VALUES (%s, %s, %s, %s, %s) RETURNING id",
                (t.code, t.name, t.work_type, t.estimated_minutes, t.default_priority),
            ).fetchone()
            assert row is not None
            _write_parts(conn, int(row[0]), t)
    except errors.UniqueViolation as exc:
        raise Conflict(f"an incident type with code {t.code!r} exists already") from exc
    return get(conn, incident_type_id=int(row[0]))


def replace(conn: psycopg.Connection, *, incident_type_id: int, incident_type_in: IncidentTypeIn) -> IncidentTypePublic:
    """Replace the template; work orders made from it before keep what they copied."""
    t = incident_type_in
    get(conn, incident_type_id=incident_type_id)
    try:
        with conn.transaction():
            conn.execute(
                "UPDATE work.incident_types SET code = %s, name = %s, work_type = %s, estimated_minutes = %s, "
                "default_priority = %s WHERE id = %s",
                (t.code, t.name, t.work_type, t.estimated_minutes, t.default_priority, incident_type_id),
            )
            for table in ("incident_type_skills", "incident_type_tasks", "incident_type_items"):
                conn.execute(f"DELETE FROM work.{table} WHERE incident_type_id = %s", (incident_type_id,))
            _write_parts(conn, incident_type_id, t)
    except errors.UniqueViolation as exc:
        raise Conflict(f"an incident type with code {t.code!r} exists already") from exc
    return get(conn, incident_type_id=incident_type_id)


def _write_parts(conn: psycopg.Connection, incident_type_id: int, t: IncidentTypeIn) -> None:
    try:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO work.incident_type_skills (incident_type_id, skill_id, min_proficiency) "
                "VALUES (%s, %s, %s)",
                [(incident_type_id, s.skill_id, s.min_proficiency) for s in t.skills],
            )
            cur.executemany(
                "INSERT INTO work.incident_type_tasks (incident_type_id, position, description) VALUES (%s, %s, %s)",
                [(incident_type_id, i + 1, d) for i, d in enumerate(t.tasks)],
            )
            cur.executemany(
                "INSERT INTO work.incident_type_items (incident_type_id, item_id, quantity) VALUES (%s, %s, %s)",
                [(incident_type_id, i.item_id, i.quantity) for i in t.items],
            )
    except errors.ForeignKeyViolation as exc:
        raise InvalidInput("a skill or catalog item named in the incident type does not exist") from exc


def get(conn: psycopg.Connection, *, incident_type_id: int) -> IncidentTypePublic:
    row = conn.execute(
        "SELECT id, code, name, work_type, estimated_minutes, default_priority FROM work.incident_types WHERE id = %s",
        (incident_type_id,),
    ).fetchone()
    if row is None:
        raise NotFound(f"incident type {incident_type_id} does not exist")
    return _public(conn, row)


def list_all(conn: psycopg.Connection, *, work_type: str | None) -> list[IncidentTypePublic]:
    rows = conn.execute(
        "SELECT id, code, name, work_type, estimated_minutes, default_priority FROM work.incident_types "
        "WHERE %(w)s::text IS NULL OR work_type = %(w)s ORDER BY code",
        {"w": work_type},
    ).fetchall()
    return [_public(conn, r) for r in rows]


def delete(conn: psycopg.Connection, *, incident_type_id: int) -> None:
    get(conn, incident_type_id=incident_type_id)
    try:
        with conn.transaction():
            conn.execute("DELETE FROM work.incident_types WHERE id = %s", (incident_type_id,))
    except errors.ForeignKeyViolation as exc:
        raise Conflict("work orders, plans or rules use this incident type: replace it instead") from exc


def _public(conn: psycopg.Connection, row: tuple[object, ...]) -> IncidentTypePublic:
    incident_type_id = row[0]
    skills = conn.execute(
        "SELECT skill_id, min_proficiency FROM work.incident_type_skills WHERE incident_type_id = %s ORDER BY skill_id",
        (incident_type_id,),
    ).fetchall()
    tasks = conn.execute(
        "SELECT description FROM work.incident_type_tasks WHERE incident_type_id = %s ORDER BY position",
        (incident_type_id,),
    ).fetchall()
    items = conn.execute(
        "SELECT item_id, quantity FROM work.incident_type_items WHERE incident_type_id = %s ORDER BY item_id",
        (incident_type_id,),
    ).fetchall()
    return IncidentTypePublic(
        id=incident_type_id,
        code=row[1],
        name=row[2],
        work_type=row[3],
        estimated_minutes=row[4],
        default_priority=row[5],
        skills=[SkillNeed(skill_id=s, min_proficiency=p) for s, p in skills],
        tasks=[d for (d,) in tasks],
        items=[SuggestedItem(item_id=i, quantity=q) for i, q in items],
    )
