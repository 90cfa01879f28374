"""Booking use cases: book by hand or automatically, move a booking through its statuses (which drive the work
order), list them.  Functions take an open connection; the caller owns the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import psycopg
from psycopg.rows import class_row

from service_core.auth.domain import Principal, Role
from service_core.bookings import domain
from service_core.bookings.assignment import Assigner, GreedyAssigner, Unassignable
from service_core.bookings.candidates import assignment_request, load_candidates
from service_core.bookings.schemas import BookingCreate, BookingPublic
from service_core.exceptions import Conflict, CreditHold, InvalidInput, NotFound, PermissionDenied
from service_core.resources.domain import Shift
from service_core.work_orders import service as work_orders_service
from service_core.work_orders.access import resource_of
from service_core.work_orders.schemas import WorkOrderPublic

COLUMNS = (
    "id, work_order_id, resource_id, start_at, end_at, status, locked, travel_minutes, explanation, assigned_by, "
    "status_changed_at, created_at"
)


def _ensure_credit(conn: psycopg.Connection, work_order: WorkOrderPublic) -> None:
    """No new non-emergency bookings for an order whose billing account is on credit hold.

    The account row is read FOR SHARE (after the work order's lock: work order, then account, like closing an order
    whose invoice runs the credit check), so a hold (`set_credit_hold` locks the row FOR UPDATE) and a booking
    serialize: a hold committed first is seen, and a hold set while a booking is open waits for it to commit."""
    if work_order.priority == "emergency":
        return
    row = conn.execute(
        "SELECT credit_hold, credit_hold_reason FROM crm.accounts WHERE id = %s FOR SHARE",
        (work_order.billing_account_id,),
    ).fetchone()
    if row and row[0]:
        reason = f": {row[1]}" if row[1] else ""
        raise CreditHold(
            f"billing account {work_order.billing_account_id} is on credit hold{reason}; "
            "only emergency work may be booked"
        )


def _manual_warnings(conn: psycopg.Connection, booking_in: BookingCreate) -> list[str]:
    row = conn.execute(
        "SELECT timezone, is_active FROM resources.resources WHERE id = %s", (booking_in.resource_id,)
    ).fetchone()
    if row is None:
        raise NotFound(f"resource {booking_in.resource_id} does not exist")
    if not row[1]:
        raise Conflict(f"resource {booking_in.resource_id} is inactive")
    shifts = [
        Shift(*r)
        for r in conn.execute(
            "SELECT weekday, start_time, end_time, break_minutes FROM resources.working_hours WHERE resource_id = %s",
            (booking_in.resource_id,),
        ).fetchall()
    ]
    time_off = conn.execute(
        "SELECT start_at, end_at, reason FROM resources.time_off WHERE resource_id = %s AND start_at < %s "
        "AND end_at > %s",
        (booking_in.resource_id, booking_in.end_at, booking_in.start_at),
    ).fetchall()
    job = (booking_in.start_at, booking_in.end_at)
    return domain.manual_warnings(job, shifts=shifts, timezone=row[0], time_off=time_off)


@dataclass(frozen=True, slots=True)
class _NewBooking:
    work_order_id: int
    resource_id: int
    start_at: datetime
    end_at: datetime
    travel_minutes: int
    explanation: dict[str, Any]
    assigned_by: str


def _insert(conn: psycopg.Connection, new: _NewBooking) -> BookingPublic:
    """Insert; the database's exclusion constraint refuses a second booking of a resource at the same time.  The
    resource's bookings are serialised first (a transaction lock on the resource): two transactions inserting at
    once otherwise each waited on the other's row while checking the constraint, and PostgreSQL aborted one with
    a deadlock (a 500) instead of refusing it as a double booking."""
    try:
        with conn.transaction(), conn.cursor(row_factory=class_row(BookingPublic)) as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtextextended('work.bookings:' || %s::text, 0))",
                        (new.resource_id,))  # fmt: skip
            cur.execute(
                "INSERT INTO work.bookings (work_order_id, resource_id, start_at, end_at, travel_minutes, "
                f"explanation, assigned_by) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING {COLUMNS}",
                (
                    new.work_order_id,
                    new.resource_id,
                    new.start_at,
                    new.end_at,
                    new.travel_minutes,
                    orjson.dumps(new.explanation).decode(),
                    new.assigned_by,
                ),
            )
            booking = cur.fetchone()
    except psycopg.errors.ExclusionViolation as exc:
        raise Conflict(
            f"resource {new.resource_id} is already booked between {new.start_at.isoformat()} and "
            f"{new.end_at.isoformat()}: double booking refused"
        ) from exc
    assert booking is not None
    return booking


def create_booking(
    conn: psycopg.Connection, *, booking_in: BookingCreate, actor: str, now: datetime | None = None
) -> BookingPublic:
    """Book a resource by hand; outside working hours, during a break or time off is allowed but flagged in
    `warnings`."""
    return _book(conn, booking_in, actor=actor, now=now, assigned_by="manual", travel_minutes=0, explanation={})


def create_planned_booking(
    conn: psycopg.Connection,
    *,
    booking_in: BookingCreate,
    actor: str,
    travel_minutes: int,
    explanation: dict[str, Any],
    now: datetime | None = None,
) -> BookingPublic:
    """Book what the schedule optimizer planned, with its travel and its explanation (same rules as by hand)."""
    return _book(
        conn, booking_in, actor=actor, now=now, assigned_by="optimizer", travel_minutes=travel_minutes,
        explanation=explanation,
    )  # fmt: skip


def _book(
    conn: psycopg.Connection,
    booking_in: BookingCreate,
    *,
    actor: str,
    now: datetime | None,
    assigned_by: str,
    travel_minutes: int,
    explanation: dict[str, Any],
) -> BookingPublic:
    work_order = work_orders_service.lock_for_booking(conn, work_order_id=booking_in.work_order_id)
    _ensure_credit(conn, work_order)
    warnings = _manual_warnings(conn, booking_in)
    new = _NewBooking(
        work_order_id=work_order.id,
        resource_id=booking_in.resource_id,
        start_at=booking_in.start_at,
        end_at=booking_in.end_at,
        travel_minutes=travel_minutes,
        explanation={"assigned_by": assigned_by, "actor": actor, **explanation, "warnings": warnings},
        assigned_by=assigned_by,
    )
    booking = _insert(conn, new)
    work_orders_service.follow_bookings(conn, work_order_id=work_order.id, now=now or datetime.now(UTC))
    return booking


def auto_assign(
    conn: psycopg.Connection,
    *,
    work_order_id: int,
    actor: str,
    now: datetime | None = None,
    assigner: Assigner | None = None,
    allow_outside_territory: bool = False,
) -> BookingPublic:
    """Book the best resource found by `assigner` (greedy by default), in the site's territory unless
    `allow_outside_territory`; `Conflict` with the reasons nobody fits."""
    now = now or datetime.now(UTC)
    work_order = work_orders_service.lock_for_booking(conn, work_order_id=work_order_id)
    _ensure_credit(conn, work_order)
    request = assignment_request(conn, work_order=work_order, now=now, allow_outside_territory=allow_outside_territory)
    horizon_end = request.deadline or request.not_before + timedelta(days=14)
    candidates = load_candidates(conn, start=request.not_before - timedelta(days=1), end=horizon_end)
    proposal = (assigner or GreedyAssigner()).propose(request, candidates)
    if isinstance(proposal, Unassignable):
        raise Conflict(f"nobody can take work order {work_order.number}: " + "; ".join(proposal.reasons))
    new = _NewBooking(
        work_order_id=work_order_id,
        resource_id=proposal.resource_id,
        start_at=proposal.start_at,
        end_at=proposal.end_at,
        travel_minutes=proposal.travel_minutes,
        explanation={**proposal.explanation, "actor": actor},
        assigned_by="auto",
    )
    booking = _insert(conn, new)
    work_orders_service.follow_bookings(conn, work_order_id=work_order_id, now=now)
    return booking


def _fetch(conn: psycopg.Connection, booking_id: int, *, lock: bool = False) -> BookingPublic:
    with conn.cursor(row_factory=class_row(BookingPublic)) as cur:
        cur.execute(f"SELECT {COLUMNS} FROM work.bookings WHERE id = %s{' FOR UPDATE' if lock else ''}", (booking_id,))
        booking = cur.fetchone()
    if booking is None:
        raise NotFound(f"booking {booking_id} does not exist")
    return booking


def _own_resource(conn: psycopg.Connection, principal: Principal) -> int | None:
    """None for supervisors and readers; a technician's own resource (403 without one)."""
    if principal.role is not Role.TECHNICIAN:
        return None
    resource_id = resource_of(conn, principal)
    if resource_id is None:
        raise PermissionDenied("your login is not linked to a resource: you have no bookings")
    return resource_id


def get_booking(conn: psycopg.Connection, *, booking_id: int, principal: Principal) -> BookingPublic:
    """One booking; a technician sees only their own."""
    booking = _fetch(conn, booking_id)
    own = _own_resource(conn, principal)
    if own is not None and booking.resource_id != own:
        raise PermissionDenied(f"booking {booking_id} is not yours")
    return booking


def change_status(
    conn: psycopg.Connection, *, booking_id: int, status: str, principal: Principal, now: datetime | None = None
) -> BookingPublic:
    """Move a booking (a technician only their own); the work order follows its bookings."""
    now = now or datetime.now(UTC)
    own = _own_resource(conn, principal)
    booking = _fetch(conn, booking_id)
    if own is not None and booking.resource_id != own:
        raise PermissionDenied(f"booking {booking_id} is not yours")
    work_orders_service.lock_for_booking(conn, work_order_id=booking.work_order_id)  # lock order before booking
    booking = _fetch(conn, booking_id, lock=True)
    domain.ensure_transition(booking.status, status)
    with conn.cursor(row_factory=class_row(BookingPublic)) as cur:
        cur.execute(
            f"UPDATE work.bookings SET status = %s, status_changed_at = %s WHERE id = %s RETURNING {COLUMNS}",
            (status, now, booking_id),
        )
        updated = cur.fetchone()
    assert updated is not None
    work_orders_service.follow_bookings(conn, work_order_id=booking.work_order_id, now=now)
    return updated


def cancel_active_bookings(conn: psycopg.Connection, *, work_order_id: int, now: datetime) -> int:
    """Cancel every booking of the order that is not done yet (the order is being canceled); how many."""
    result = conn.execute(
        "UPDATE work.bookings SET status = 'canceled', status_changed_at = %s "
        "WHERE work_order_id = %s AND status IN ('scheduled', 'traveling', 'in_progress')",
        (now, work_order_id),
    )
    return result.rowcount


def list_bookings(
    conn: psycopg.Connection,
    *,
    principal: Principal,
    resource_id: int | None = None,
    work_order_id: int | None = None,
    day: datetime | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[BookingPublic], int]:
    """Bookings by start time; a technician's list holds only their own. `day` is a UTC day start."""
    own = _own_resource(conn, principal)
    if own is not None:
        if resource_id is not None and resource_id != own:
            raise PermissionDenied("technicians list only their own bookings")
        resource_id = own
    clauses, params = _filters(resource_id=resource_id, work_order_id=work_order_id, day=day, status=status)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    (total,) = conn.execute(f"SELECT count(*) FROM work.bookings {where}", params).fetchone() or (0,)
    with conn.cursor(row_factory=class_row(BookingPublic)) as cur:
        cur.execute(
            f"SELECT {COLUMNS} FROM work.bookings {where} ORDER BY start_at, id LIMIT %(limit)s OFFSET %(offset)s",
            {**params, "limit": limit, "offset": offset},
        )
        return cur.fetchall(), int(total)


def _filters(
    *, resource_id: int | None, work_order_id: int | None, day: datetime | None, status: str | None
) -> tuple[list[str], dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    for column, value in (("resource_id", resource_id), ("work_order_id", work_order_id), ("status", status)):
        if value is not None:
            clauses.append(f"{column} = %({column})s")
            params[column] = value
    if day is not None:
        if day.tzinfo is None:
            raise InvalidInput("day must be timezone-aware")
        clauses.append("start_at < %(day_end)s AND end_at > %(day)s")
        params |= {"day": day, "day_end": day + timedelta(days=1)}
    return clauses, params
