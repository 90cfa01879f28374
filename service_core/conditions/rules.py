"""The rules that turn conditions into work orders: read and maintained by dispatchers."""

from __future__ import annotations

from typing import Literal

import psycopg
from psycopg import errors
from psycopg.rows import class_row
from pydantic import BaseModel, Field

from service_core.exceptions import InvalidInput, NotFound

_COLUMNS = (
    "id, failure_mode, category, min_severity, min_criticality, incident_type_id, work_type, priority, "
    "raise_priority_if_critical_asset, recurrence_days, is_active"
)


class RuleIn(BaseModel):
    failure_mode: str = Field(default="*", pattern=r"^(\*|[a-z0-9_]{1,64})$", description="'*' matches every mode")
    category: Literal["equipment", "sensor"]
    min_severity: Literal["warning", "major", "critical"] = "warning"
    min_criticality: Literal["low", "medium", "high", "critical"] = "low"
    incident_type_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    work_type: Literal["maintenance", "repair", "inspection", "sensor_check"]
    priority: Literal["emergency", "high", "normal", "low"]
    raise_priority_if_critical_asset: bool = True
    recurrence_days: int = Field(default=30, ge=0, le=365, description="a recurrence within this many days follows up")
    is_active: bool = True


class RulePublic(RuleIn):
    id: int


def list_rules(conn: psycopg.Connection) -> list[RulePublic]:
    with conn.cursor(row_factory=class_row(RulePublic)) as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM detection.rules ORDER BY category, failure_mode, min_severity, id")
        return cur.fetchall()


def save_rule(conn: psycopg.Connection, *, rule_in: RuleIn, rule_id: int | None = None) -> RulePublic:
    """Create a rule, or replace rule `rule_id`."""
    values = rule_in.model_dump()
    names = list(values)
    try:
        with conn.transaction(), conn.cursor(row_factory=class_row(RulePublic)) as cur:
            if rule_id is None:
                cur.execute(
                    f"INSERT INTO detection.rules ({', '.join(names)}) VALUES ({', '.join('%s' for _ in names)}) "
                    f"RETURNING {_COLUMNS}",
                    list(values.values()),
                )
            else:
                cur.execute(
                    f"UPDATE detection.rules SET {', '.join(f'{n} = %s' for n in names)} WHERE id = %s "
                    f"RETURNING {_COLUMNS}",
                    [*values.values(), rule_id],
                )
            rule = cur.fetchone()
    except errors.ForeignKeyViolation as exc:
        raise InvalidInput(f"incident type {rule_in.incident_type_id} does not exist") from exc
    if rule is None:
        raise NotFound(f"rule {rule_id} does not exist")
    return rule


def delete_rule(conn: psycopg.Connection, *, rule_id: int) -> None:
    if conn.execute("DELETE FROM detection.rules WHERE id = %s", (rule_id,)).rowcount == 0:
        raise NotFound(f"rule {rule_id} does not exist")
