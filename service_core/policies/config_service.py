"""Policy configuration use cases: calendars (hours, holidays), SLA targets, escalation rules.

Functions take an open connection; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import errors
from psycopg.rows import class_row

from service_core.exceptions import Conflict, InvalidInput, NotFound
from service_core.policies.calendar import BusinessCalendar
from service_core.policies.schemas import (
    CalendarCreate,
    CalendarPublic,
    CalendarUpdate,
    EscalationRuleCreate,
    EscalationRulePublic,
    HolidayIn,
    HoursIn,
    HoursPublic,
    SlaTargetCreate,
    SlaTargetPublic,
    SlaTargetUpdate,
    clock_text,
)

_TARGET_COLUMNS = "id, agreement_id, priority, calendar_id, response_minutes, resolution_minutes, warning_fraction"
_RULE_COLUMNS = "id, priority, target, at_fraction, action, notify_role"


# --- calendars ---------------------------------------------------------------------------------------------------


def create_calendar(conn: psycopg.Connection, *, calendar_in: CalendarCreate) -> CalendarPublic:
    """Create a calendar with its weekly hours and holidays; `Conflict` if the name is taken."""
    try:
        with conn.transaction():
            row = conn.execute(
                "INSERT INTO policy.calendars (name, timezone, always_open) VALUES (%s, %s, %s) RETURNING id",
                (calendar_in.name, calendar_in.timezone, calendar_in.always_open),
            ).fetchone()
    except errors.UniqueViolation as exc:
        raise Conflict(f"a calendar named {calendar_in.name!r} already exists") from exc
    assert row is not None
    calendar_id = int(row[0])
    _replace_hours(conn, calendar_id, calendar_in.hours)
    _replace_holidays(conn, calendar_id, calendar_in.holidays)
    return read_calendar(conn, calendar_id=calendar_id)


def update_calendar(conn: psycopg.Connection, *, calendar_id: int, calendar_in: CalendarUpdate) -> CalendarPublic:
    """Change a calendar; given `hours`/`holidays` replace the stored lists."""
    _lock_calendar(conn, calendar_id)
    try:
        with conn.transaction():
            conn.execute(
                "UPDATE policy.calendars SET name = coalesce(%s, name), timezone = coalesce(%s, timezone), "
                "always_open = coalesce(%s, always_open) WHERE id = %s",
                (calendar_in.name, calendar_in.timezone, calendar_in.always_open, calendar_id),
            )
    except errors.UniqueViolation as exc:
        raise Conflict(f"a calendar named {calendar_in.name!r} already exists") from exc
    if calendar_in.hours is not None:
        _replace_hours(conn, calendar_id, calendar_in.hours)
    if calendar_in.holidays is not None:
        _replace_holidays(conn, calendar_id, calendar_in.holidays)
    return read_calendar(conn, calendar_id=calendar_id)


def delete_calendar(conn: psycopg.Connection, *, calendar_id: int) -> None:
    """Delete a calendar no SLA target or agreement uses; `Conflict` otherwise."""
    _lock_calendar(conn, calendar_id)
    try:
        with conn.transaction():
            conn.execute("DELETE FROM policy.calendars WHERE id = %s", (calendar_id,))
    except errors.ForeignKeyViolation as exc:
        raise Conflict(f"calendar {calendar_id} is used by an SLA target or an agreement") from exc


def read_calendar(conn: psycopg.Connection, *, calendar_id: int) -> CalendarPublic:
    row = conn.execute(
        "SELECT id, name, timezone, always_open FROM policy.calendars WHERE id = %s", (calendar_id,)
    ).fetchone()
    if row is None:
        raise NotFound(f"calendar {calendar_id} does not exist")
    hours = conn.execute(
        "SELECT weekday, extract(epoch FROM start_time)::int / 60, extract(epoch FROM end_time)::int / 60 "
        "FROM policy.calendar_hours WHERE calendar_id = %s ORDER BY weekday, start_time",
        (calendar_id,),
    ).fetchall()
    holidays = conn.execute(
        "SELECT day, name FROM policy.holidays WHERE calendar_id = %s ORDER BY day", (calendar_id,)
    ).fetchall()
    return CalendarPublic(
        id=row[0],
        name=row[1],
        timezone=row[2],
        always_open=row[3],
        hours=[HoursPublic(weekday=w, start_time=clock_text(s), end_time=clock_text(e)) for w, s, e in hours],
        holidays=[HolidayIn(day=d, name=n) for d, n in holidays],
    )


def list_calendars(conn: psycopg.Connection, *, limit: int, offset: int) -> tuple[list[CalendarPublic], int]:
    """One page of calendars by name, and how many there are."""
    ids = conn.execute("SELECT id FROM policy.calendars ORDER BY name, id LIMIT %s OFFSET %s", (limit, offset))
    items = [read_calendar(conn, calendar_id=int(r[0])) for r in ids.fetchall()]
    (total,) = conn.execute("SELECT count(*) FROM policy.calendars").fetchone() or (0,)
    return items, int(total)


def business_calendar(conn: psycopg.Connection, *, calendar_id: int) -> BusinessCalendar:
    """The stored calendar as the pure `BusinessCalendar` the clock computes with (one read)."""
    row = conn.execute("SELECT * FROM policy.calendar_of(%s)", (calendar_id,)).fetchone()
    if row is None:
        raise NotFound(f"calendar {calendar_id} does not exist")
    return calendar_from_row(calendar_id, row)


def calendar_from_row(calendar_id: int, row: Sequence[Any]) -> BusinessCalendar:
    """A row shaped like `policy.calendar_of`'s as the pure calendar (for callers that read it in a statement of
    their own)."""
    timezone, always_open, weekdays, starts, ends, holidays = row
    hours: dict[int, list[tuple[int, int]]] = {}
    for weekday, opens, closes in zip(weekdays, starts, ends, strict=True):
        hours.setdefault(int(weekday), []).append((int(opens), int(closes)))
    return BusinessCalendar(
        timezone=timezone,
        hours={k: tuple(v) for k, v in hours.items()},
        holidays=frozenset(holidays),
        always_open=always_open,
        calendar_id=calendar_id,
    )


def _lock_calendar(conn: psycopg.Connection, calendar_id: int) -> None:
    if conn.execute("SELECT 1 FROM policy.calendars WHERE id = %s FOR UPDATE", (calendar_id,)).fetchone() is None:
        raise NotFound(f"calendar {calendar_id} does not exist")


def _replace_hours(conn: psycopg.Connection, calendar_id: int, hours: list[HoursIn]) -> None:
    conn.execute("DELETE FROM policy.calendar_hours WHERE calendar_id = %s", (calendar_id,))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO policy.calendar_hours (calendar_id, weekday, start_time, end_time) "
            "VALUES (%s, %s, %s::time, %s::time)",
            [(calendar_id, h.weekday, h.start_time, h.end_time) for h in hours],
        )


def _replace_holidays(conn: psycopg.Connection, calendar_id: int, holidays: list[HolidayIn]) -> None:
    conn.execute("DELETE FROM policy.holidays WHERE calendar_id = %s", (calendar_id,))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO policy.holidays (calendar_id, day, name) VALUES (%s, %s, %s)",
            [(calendar_id, h.day, h.name) for h in holidays],
        )


# --- SLA targets -------------------------------------------------------------------------------------------------


def create_sla_target(conn: psycopg.Connection, *, target_in: SlaTargetCreate) -> SlaTargetPublic:
    """Add the target of a priority (default policy, or an agreement's); `Conflict` if it exists already."""
    _check_references(conn, agreement_id=target_in.agreement_id, calendar_id=target_in.calendar_id)
    scope = f"agreement {target_in.agreement_id}" if target_in.agreement_id else "the default policy"
    try:
        with conn.transaction(), conn.cursor(row_factory=class_row(SlaTargetPublic)) as cur:
            cur.execute(
                f"INSERT INTO policy.sla_targets (agreement_id, priority, calendar_id, response_minutes, "
                f"resolution_minutes, warning_fraction) VALUES (%s, %s, %s, %s, %s, %s) RETURNING {_TARGET_COLUMNS}",
                (
                    target_in.agreement_id,
                    target_in.priority,
                    target_in.calendar_id,
                    target_in.response_minutes,
                    target_in.resolution_minutes,
                    target_in.warning_fraction,
                ),
            )
            target = cur.fetchone()
    except errors.UniqueViolation as exc:
        raise Conflict(f"{scope} already has an SLA target for priority {target_in.priority}") from exc
    assert target is not None
    return target


def get_sla_target(conn: psycopg.Connection, *, target_id: int, lock: bool = False) -> SlaTargetPublic:
    with conn.cursor(row_factory=class_row(SlaTargetPublic)) as cur:
        cur.execute(
            f"SELECT {_TARGET_COLUMNS} FROM policy.sla_targets WHERE id = %s" + (" FOR UPDATE" if lock else ""),
            (target_id,),
        )
        target = cur.fetchone()
    if target is None:
        raise NotFound(f"SLA target {target_id} does not exist")
    return target


def update_sla_target(conn: psycopg.Connection, *, target_id: int, target_in: SlaTargetUpdate) -> SlaTargetPublic:
    """Change a target's minutes, warning or calendar; resolution may not become shorter than response."""
    current = get_sla_target(conn, target_id=target_id, lock=True)
    _check_references(conn, agreement_id=None, calendar_id=target_in.calendar_id)
    response = target_in.response_minutes or current.response_minutes
    resolution = target_in.resolution_minutes or current.resolution_minutes
    if resolution < response:
        raise InvalidInput("resolution_minutes must not be less than response_minutes")
    calendar_id = None if target_in.clear_calendar else (target_in.calendar_id or current.calendar_id)
    with conn.cursor(row_factory=class_row(SlaTargetPublic)) as cur:
        cur.execute(
            f"UPDATE policy.sla_targets SET response_minutes = %s, resolution_minutes = %s, "
            f"warning_fraction = %s, calendar_id = %s WHERE id = %s RETURNING {_TARGET_COLUMNS}",
            (response, resolution, target_in.warning_fraction or current.warning_fraction, calendar_id, target_id),
        )
        target = cur.fetchone()
    assert target is not None
    return target


def delete_sla_target(conn: psycopg.Connection, *, target_id: int) -> None:
    """Delete a target no work order refers to; `Conflict` otherwise."""
    get_sla_target(conn, target_id=target_id, lock=True)
    try:
        with conn.transaction():
            conn.execute("DELETE FROM policy.sla_targets WHERE id = %s", (target_id,))
    except errors.ForeignKeyViolation as exc:
        raise Conflict(f"SLA target {target_id} is used by work orders") from exc


def list_sla_targets(
    conn: psycopg.Connection, *, agreement_id: int | None, defaults_only: bool, limit: int, offset: int
) -> tuple[list[SlaTargetPublic], int]:
    """One page of targets (of one agreement, or the default policy only), and how many there are."""
    where = "WHERE (%(a)s::int IS NULL OR agreement_id = %(a)s) AND (NOT %(d)s OR agreement_id IS NULL)"
    params = {"a": agreement_id, "d": defaults_only, "limit": limit, "offset": offset}
    (total,) = conn.execute(f"SELECT count(*) FROM policy.sla_targets {where}", params).fetchone() or (0,)
    with conn.cursor(row_factory=class_row(SlaTargetPublic)) as cur:
        cur.execute(
            f"SELECT {_TARGET_COLUMNS} FROM policy.sla_targets {where} "
            "ORDER BY agreement_id NULLS FIRST, array_position(ARRAY['emergency','high','normal','low'], priority), id "
            "LIMIT %(limit)s OFFSET %(offset)s",
            params,
        )
        return cur.fetchall(), int(total)


def _check_references(conn: psycopg.Connection, *, agreement_id: int | None, calendar_id: int | None) -> None:
    if agreement_id is not None and _missing(conn, "agreements.agreements", agreement_id):
        raise InvalidInput(f"agreement {agreement_id} does not exist")
    if calendar_id is not None and _missing(conn, "policy.calendars", calendar_id):
        raise InvalidInput(f"calendar {calendar_id} does not exist")


def _missing(conn: psycopg.Connection, table: str, row_id: int) -> bool:
    return conn.execute(f"SELECT 1 FROM {table} WHERE id = %s", (row_id,)).fetchone() is None


# --- escalation rules --------------------------------------------------------------------------------------------


def create_escalation_rule(conn: psycopg.Connection, *, rule_in: EscalationRuleCreate) -> EscalationRulePublic:
    """Add an escalation rule."""
    with conn.cursor(row_factory=class_row(EscalationRulePublic)) as cur:
        cur.execute(
            f"INSERT INTO policy.escalation_rules (priority, target, at_fraction, action, notify_role) "
            f"VALUES (%s, %s, %s, %s, %s) RETURNING {_RULE_COLUMNS}",
            (rule_in.priority, rule_in.target, rule_in.at_fraction, rule_in.action, rule_in.notify_role),
        )
        rule = cur.fetchone()
    assert rule is not None
    return rule


def get_escalation_rule(conn: psycopg.Connection, *, rule_id: int) -> EscalationRulePublic:
    with conn.cursor(row_factory=class_row(EscalationRulePublic)) as cur:
        cur.execute(f"SELECT {_RULE_COLUMNS} FROM policy.escalation_rules WHERE id = %s", (rule_id,))
        rule = cur.fetchone()
    if rule is None:
        raise NotFound(f"escalation rule {rule_id} does not exist")
    return rule


def list_escalation_rules(conn: psycopg.Connection) -> list[EscalationRulePublic]:
    with conn.cursor(row_factory=class_row(EscalationRulePublic)) as cur:
        cur.execute(f"SELECT {_RULE_COLUMNS} FROM policy.escalation_rules ORDER BY target, at_fraction, id")
        return cur.fetchall()


def delete_escalation_rule(conn: psycopg.Connection, *, rule_id: int) -> None:
    """Delete a rule (escalations it fired stay in the feed)."""
    if conn.execute("DELETE FROM policy.escalation_rules WHERE id = %s RETURNING id", (rule_id,)).fetchone() is None:
        raise NotFound(f"escalation rule {rule_id} does not exist")
