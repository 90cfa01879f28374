"""HTTP routes of the bookings domain (the per-work-order routes live with the work orders)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from service_core.api.deps import ConnDep, CurrentUser, Dispatcher, FieldWorker
from service_core.api.errors import ERROR_RESPONSES, ErrorBody, Responses
from service_core.api.pagination import Page
from service_core.api.transactions import TransactionalRoute
from service_core.bookings import service as bookings_service
from service_core.bookings.schemas import BookingCreate, BookingListQuery, BookingPublic, BookingStatusChange

router = APIRouter(route_class=TransactionalRoute, prefix="/bookings", tags=["bookings"], responses=ERROR_RESPONSES)

BookingId = Annotated[int, Path(ge=1, le=2**63 - 1, description="id of the booking")]
CONFLICT: Responses = {
    404: {"model": ErrorBody, "description": "No such booking, work order or resource"},
    409: {"model": ErrorBody, "description": "Invalid transition, double booking, credit hold, closed order"},
}


@router.get("", summary="List bookings by resource, day (UTC) and status; a technician sees only their own")
def list_bookings(
    conn: ConnDep, principal: CurrentUser, query: Annotated[BookingListQuery, Query()]
) -> Page[BookingPublic]:
    items, total = bookings_service.list_bookings(
        conn,
        principal=principal,
        resource_id=query.resource_id,
        work_order_id=query.work_order_id,
        day=datetime.combine(query.day, time(0), UTC) if query.day else None,
        status=query.status,
        limit=query.limit,
        offset=query.offset,
    )
    return Page[BookingPublic](items=items, total=total, limit=query.limit, offset=query.offset)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Book a resource by hand", responses=CONFLICT)
def create_booking(conn: ConnDep, principal: Dispatcher, booking_in: BookingCreate) -> BookingPublic:
    return bookings_service.create_booking(conn, booking_in=booking_in, actor=principal.actor)


@router.get("/{booking_id}", responses=CONFLICT)
def read_booking(conn: ConnDep, principal: CurrentUser, booking_id: BookingId) -> BookingPublic:
    return bookings_service.get_booking(conn, booking_id=booking_id, principal=principal)


@router.post("/{booking_id}/status", summary="Traveling, in progress, completed or canceled", responses=CONFLICT)
def change_booking_status(
    conn: ConnDep, principal: FieldWorker, booking_id: BookingId, change: BookingStatusChange
) -> BookingPublic:
    return bookings_service.change_status(conn, booking_id=booking_id, status=change.status, principal=principal)
