"""Territories and skills: the small lists resources and locations refer to."""

from __future__ import annotations

import psycopg
from psycopg import errors
from psycopg.rows import class_row

from service_core.exceptions import Conflict, NotFound
from service_core.resources.schemas import SkillCreate, SkillPublic, TerritoryCreate, TerritoryPublic


def create_territory(conn: psycopg.Connection, *, territory_in: TerritoryCreate) -> TerritoryPublic:
    """Create a territory; `Conflict` if the name is taken."""
    with conn.cursor(row_factory=class_row(TerritoryPublic)) as cur:
        territory = cur.execute(
            "INSERT INTO resources.territories (name) VALUES (%s) ON CONFLICT (name) DO NOTHING "
            "RETURNING id, name, created_at",
            (territory_in.name,),
        ).fetchone()
    if territory is None:
        raise Conflict(f"territory {territory_in.name!r} exists")
    return territory


def list_territories(conn: psycopg.Connection) -> list[TerritoryPublic]:
    with conn.cursor(row_factory=class_row(TerritoryPublic)) as cur:
        return cur.execute("SELECT id, name, created_at FROM resources.territories ORDER BY name, id").fetchall()


def rename_territory(conn: psycopg.Connection, *, territory_id: int, territory_in: TerritoryCreate) -> TerritoryPublic:
    try:
        with conn.transaction(), conn.cursor(row_factory=class_row(TerritoryPublic)) as cur:
            territory = cur.execute(
                "UPDATE resources.territories SET name = %s WHERE id = %s RETURNING id, name, created_at",
                (territory_in.name, territory_id),
            ).fetchone()
    except errors.UniqueViolation as exc:
        raise Conflict(f"territory {territory_in.name!r} exists") from exc
    if territory is None:
        raise NotFound(f"territory {territory_id} does not exist")
    return territory


def delete_territory(conn: psycopg.Connection, *, territory_id: int) -> None:
    """Delete a territory no location or resource is in; `Conflict` otherwise."""
    try:
        with conn.transaction():
            cur = conn.execute("DELETE FROM resources.territories WHERE id = %s", (territory_id,))
    except errors.ForeignKeyViolation as exc:
        raise Conflict(f"territory {territory_id} is still used ({exc.diag.table_name})") from exc
    if cur.rowcount == 0:
        raise NotFound(f"territory {territory_id} does not exist")


def create_skill(conn: psycopg.Connection, *, skill_in: SkillCreate) -> SkillPublic:
    """Create a skill; `Conflict` if the code is taken."""
    with conn.cursor(row_factory=class_row(SkillPublic)) as cur:
        skill = cur.execute(
            "INSERT INTO resources.skills (code, name) VALUES (%s, %s) ON CONFLICT (code) DO NOTHING "
            "RETURNING id, code, name",
            (skill_in.code, skill_in.name),
        ).fetchone()
    if skill is None:
        raise Conflict(f"skill {skill_in.code!r} exists")
    return skill


def list_skills(conn: psycopg.Connection) -> list[SkillPublic]:
    with conn.cursor(row_factory=class_row(SkillPublic)) as cur:
        return cur.execute("SELECT id, code, name FROM resources.skills ORDER BY code").fetchall()
