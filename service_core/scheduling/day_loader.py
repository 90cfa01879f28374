"""Build the field-service day of a date from the database: working technicians, the orders to plan (open ones
and those booked that day) and the existing bookings, fixed or movable.  Read-only; see `day_mapping` for rules.

Not offered to the optimizer, and reported with a reason instead: open orders without coordinates and
non-emergency orders of accounts on credit hold.  Bookings the model cannot hold (an order booked more than once,
an order without coordinates) stay untouched and block their technician's time.  Technicians who do not work
that day (no hours, or time off all day) are left out with their bookings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row

from service_core.resources import service as resources_service
from service_core.scheduling import day_mapping as mapping
from service_core.scheduling.day_mapping import BookingRole, OrderRow
from service_core.scheduling.fieldservice import Booking, FieldServiceDay, Interval, Technician, WorkOrder
from service_core.scheduling.routing.travel import GeoPoint

ACTIVE_BOOKING = ("scheduled", "traveling", "in_progress")


@dataclass(frozen=True, slots=True)
class CurrentBooking:
    booking_id: int
    work_order_id: int
    resource_id: int
    start_at: dt.datetime
    end_at: dt.datetime
    role: BookingRole

    @property
    def model(self) -> Booking:
        return Booking(str(self.resource_id), str(self.work_order_id), self.start_at, self.end_at)


@dataclass(frozen=True, slots=True)
class Unschedulable:
    work_order_id: int
    reason: str
    detail: str
    sla_critical: bool = False


@dataclass(frozen=True, slots=True)
class LoadedDay:
    date: dt.date
    day: FieldServiceDay
    numbers: Mapping[int, str]  # work order id -> number
    names: Mapping[int, str]  # resource id -> name
    movable: Mapping[int, CurrentBooking]  # work order id -> its unlocked booking of the day
    fixed: tuple[CurrentBooking, ...]
    unschedulable: tuple[Unschedulable, ...]

    def movable_bookings(self) -> dict[str, Booking]:
        return {str(order_id): booking.model for order_id, booking in self.movable.items()}


@dataclass(frozen=True, slots=True)
class _TechnicianRow:
    technician: Technician
    name: str
    bounds: mapping.Span  # the technician's local day in UTC


def load_day(
    conn: psycopg.Connection,
    *,
    day: dt.date,
    territory_id: int | None = None,
    resource_ids: Sequence[int] | None = None,
    include_open: bool = True,
) -> LoadedDay:
    """The field-service day of `day` (see the module docstring); `include_open=False`: booked orders only."""
    technicians = _technicians(conn, day=day, territory_id=territory_id, resource_ids=resource_ids)
    bookings = _bookings(conn, technicians)
    rows = _orders(conn, day=day, territory_id=territory_id, order_ids={b["work_order_id"] for b in bookings},
                   include_open=include_open)  # fmt: skip
    return _assemble(day, technicians, bookings, rows, _booking_counts(conn, list(rows)))


def load_order(conn: psycopg.Connection, *, work_order_id: int) -> OrderRow | None:
    """One work order as the loader reads it, or None."""
    rows = _order_rows(conn, "w.id = %(id)s", {"id": work_order_id})
    return rows.get(work_order_id)


def _technicians(
    conn: psycopg.Connection, *, day: dt.date, territory_id: int | None, resource_ids: Sequence[int] | None
) -> list[_TechnicianRow]:
    rows = conn.execute(
        """
        SELECT r.id, r.name, r.timezone, r.home_latitude, r.home_longitude, r.hourly_cost, t.name
        FROM resources.resources r LEFT JOIN resources.territories t ON t.id = r.territory_id
        WHERE r.is_active AND r.kind = 'technician'
          AND (%(territory)s::int IS NULL OR r.territory_id = %(territory)s)
          AND (%(ids)s::int[] IS NULL OR r.id = ANY(%(ids)s))
        ORDER BY r.id
        """,
        {"territory": territory_id, "ids": list(resource_ids) if resource_ids is not None else None},
    ).fetchall()
    skills: dict[int, dict[str, int]] = defaultdict(dict)
    for rid, code, level in conn.execute(
        "SELECT rs.resource_id, s.code, rs.proficiency FROM resources.resource_skills rs "
        "JOIN resources.skills s ON s.id = rs.skill_id WHERE rs.resource_id = ANY(%s)",
        ([r[0] for r in rows],),
    ):
        skills[rid][code] = int(level)
    found = []
    for rid, name, timezone, lat, lon, cost, territory in rows:
        shift = mapping.shift_of(resources_service.working_time(conn, resource_id=rid, day=day))
        if shift is None:
            continue
        hours = resources_service.working_hours(conn, resource_id=rid)
        break_minutes = sum(h.break_minutes for h in hours if h.weekday == day.weekday())
        home = GeoPoint(float(lat), float(lon))
        technician = Technician(
            id=str(rid), skills=skills[rid], territory=mapping.territory_key(territory), shift=shift[0],
            home_start=home, home_end=home, break_rule=mapping.break_rule(shift[0], break_minutes),
            time_off=shift[1], hourly_cost=float(cost),
        )  # fmt: skip
        found.append(_TechnicianRow(technician, name, mapping.local_day(day, timezone)))
    return found


def _bookings(conn: psycopg.Connection, technicians: list[_TechnicianRow]) -> list[dict[str, Any]]:
    """Active bookings overlapping each technician's local day."""
    if not technicians:
        return []
    bounds = {int(t.technician.id): t.bounds for t in technicians}
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT id, work_order_id, resource_id, start_at, end_at, status, locked FROM work.bookings "
            "WHERE status = ANY(%s) AND resource_id = ANY(%s) AND start_at < %s AND end_at > %s ORDER BY start_at, id",
            (list(ACTIVE_BOOKING), list(bounds), max(b[1] for b in bounds.values()),
             min(b[0] for b in bounds.values())),
        ).fetchall()  # fmt: skip
    return [
        r for r in rows if r["start_at"] < bounds[r["resource_id"]][1] and r["end_at"] > bounds[r["resource_id"]][0]
    ]


_ORDER_SQL = """
    SELECT w.id, w.number, w.status, w.priority, w.estimated_minutes, w.window_start, w.window_end, w.resolution_due_at,
           a.credit_hold, loc.latitude, loc.longitude, coalesce(loc.timezone, 'UTC') AS timezone, t.name AS territory
    FROM work.work_orders w
    JOIN crm.accounts a ON a.id = w.billing_account_id
    LEFT JOIN assets.assets s ON s.id = w.asset_id
    LEFT JOIN crm.locations loc ON loc.id = coalesce(w.location_id, s.location_id)
    LEFT JOIN resources.territories t ON t.id = loc.territory_id
    WHERE {where}
    ORDER BY w.id
"""
_OPEN_OF_DAY = """
    (w.id = ANY(%(ids)s) OR (%(open)s AND w.status = 'unscheduled'
        AND (%(territory)s::int IS NULL OR loc.territory_id = %(territory)s)
        AND (w.window_end IS NULL OR w.window_end > %(day)s::date::timestamp AT TIME ZONE coalesce(loc.timezone, 'UTC'))
        AND (w.window_start IS NULL
             OR w.window_start < (%(day)s::date + 1)::timestamp AT TIME ZONE coalesce(loc.timezone, 'UTC'))))
"""


def _orders(
    conn: psycopg.Connection, *, day: dt.date, territory_id: int | None, order_ids: set[int], include_open: bool
) -> dict[int, OrderRow]:
    params = {"ids": sorted(order_ids), "open": include_open, "territory": territory_id, "day": day}
    return _order_rows(conn, _OPEN_OF_DAY, params)


def _order_rows(conn: psycopg.Connection, where: str, params: dict[str, Any]) -> dict[int, OrderRow]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(_ORDER_SQL.format(where=where), params).fetchall()
    ids = [r["id"] for r in rows]
    skills: dict[int, dict[str, int]] = defaultdict(dict)
    for order_id, code, minimum in conn.execute(
        "SELECT ws.work_order_id, s.code, ws.min_proficiency FROM work.work_order_skills ws "
        "JOIN resources.skills s ON s.id = ws.skill_id WHERE ws.work_order_id = ANY(%s)",
        (ids,),
    ):
        skills[order_id][code] = int(minimum)
    prefs: dict[tuple[int, str], set[int]] = defaultdict(set)
    for order_id, resource_id, preference in conn.execute(
        "SELECT work_order_id, resource_id, preference FROM work.work_order_preferences WHERE work_order_id = ANY(%s)",
        (ids,),
    ):
        prefs[(order_id, preference)].add(int(resource_id))
    return {
        r["id"]: OrderRow(
            **r,
            skills=skills[r["id"]],
            preferred=frozenset(prefs[(r["id"], "preferred")]),
            excluded=frozenset(prefs[(r["id"], "excluded")]),
        )
        for r in rows
    }


def _booking_counts(conn: psycopg.Connection, order_ids: list[int]) -> dict[int, int]:
    rows = conn.execute(
        "SELECT work_order_id, count(*) FROM work.bookings WHERE status = ANY(%s) AND work_order_id = ANY(%s) "
        "GROUP BY work_order_id",
        (list(ACTIVE_BOOKING), order_ids),
    ).fetchall()
    return {int(order_id): int(count) for order_id, count in rows}


@dataclass
class _Placed:
    orders: dict[int, WorkOrder] = dataclasses.field(default_factory=dict)
    movable: dict[int, CurrentBooking] = dataclasses.field(default_factory=dict)
    fixed: list[CurrentBooking] = dataclasses.field(default_factory=list)
    busy: dict[int, list[Interval]] = dataclasses.field(default_factory=lambda: defaultdict(list))


def _place_bookings(
    day: dt.date, techs: dict[int, Technician], bookings: list[dict[str, Any]], rows: dict[int, OrderRow],
    counts: dict[int, int],
) -> _Placed:  # fmt: skip
    placed = _Placed()
    for b in bookings:
        row = rows[b["work_order_id"]]
        role = mapping.booking_role(
            status=b["status"], locked=b["locked"], priority=row.priority, credit_hold=row.credit_hold,
            order_status=row.status,
        )  # fmt: skip
        current = CurrentBooking(b["id"], row.id, b["resource_id"], b["start_at"], b["end_at"], role)
        if row.site is None or counts.get(row.id, 0) > 1:
            placed.busy[current.resource_id].append(Interval(current.start_at, current.end_at))
        elif role is BookingRole.MOVABLE:
            placed.movable[row.id] = current
            placed.orders[row.id] = mapping.work_order_of(row, day)
        else:
            placed.fixed.append(current)
            placed.orders[row.id] = mapping.booked_order_of(row, current.model, techs[current.resource_id])
    return placed


def _assemble(
    day: dt.date,
    technicians: list[_TechnicianRow],
    bookings: list[dict[str, Any]],
    rows: dict[int, OrderRow],
    counts: dict[int, int],
) -> LoadedDay:
    techs = {int(t.technician.id): t.technician for t in technicians}
    placed = _place_bookings(day, techs, bookings, rows, counts)
    booked = {b["work_order_id"] for b in bookings}
    unschedulable = []
    for row in rows.values():
        if row.id in booked:
            continue
        reason = mapping.unschedulable_reason(row)
        if reason is None:
            placed.orders[row.id] = mapping.work_order_of(row, day)
            continue
        critical = mapping.is_sla_critical(row.priority, row.resolution_due_at, mapping.local_day(day, row.timezone))
        unschedulable.append(Unschedulable(row.id, *reason, sla_critical=critical))
    fs_day = FieldServiceDay(
        technicians=tuple(
            dataclasses.replace(t, time_off=mapping.merged((*t.time_off, *placed.busy[rid]))) if placed.busy[rid] else t
            for rid, t in techs.items()
        ),
        work_orders=tuple(placed.orders.values()),
        locked=tuple(b.model for b in placed.fixed if b.role is BookingRole.LOCKED),
        in_progress=tuple(b.model for b in placed.fixed if b.role is BookingRole.IN_PROGRESS),
    )
    names = {int(t.technician.id): t.name for t in technicians}
    return LoadedDay(day, fs_day, {r.id: r.number for r in rows.values()}, names, placed.movable,
                     tuple(placed.fixed), tuple(unschedulable))  # fmt: skip
