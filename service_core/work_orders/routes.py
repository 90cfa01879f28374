"""HTTP routes of the work_orders domain: the order, its lifecycle, bookings and assignment, review and posting."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response, status

from service_core.api.deps import ConnDep, CurrentUser, Dispatcher, FieldWorker, PortalReader
from service_core.api.errors import ERROR_RESPONSES, ErrorBody, Responses
from service_core.api.pagination import Limit, Offset, Page
from service_core.api.responses import model_response, rows_response
from service_core.api.transactions import TransactionalRoute
from service_core.bookings import service as bookings_service
from service_core.bookings.schemas import AutoAssignRequest, BookingCreate, BookingPublic, BookingSlot
from service_core.work_orders import closing, queries
from service_core.work_orders import service as work_orders_service
from service_core.work_orders.access import field_resource
from service_core.work_orders.execution_routes import execution_router
from service_core.work_orders.schemas import (
    CompletionPublic,
    PriorityChange,
    ReviewPublic,
    WorkOrderCancel,
    WorkOrderComplete,
    WorkOrderCreate,
    WorkOrderListQuery,
    WorkOrderPage,
    WorkOrderPost,
    WorkOrderPublic,
    WorkOrderUpdate,
)

router = APIRouter(
    route_class=TransactionalRoute, prefix="/work-orders", tags=["work orders"], responses=ERROR_RESPONSES
)

WorkOrderId = Annotated[int, Path(ge=1, le=2**63 - 1, description="id of the work order")]
CONFLICT: Responses = {
    404: {"model": ErrorBody, "description": "No such work order"},
    409: {"model": ErrorBody, "description": "Invalid transition, stale version, frozen order, credit hold"},
}


@router.get(
    "", response_model=WorkOrderPage, summary="List work orders, newest first (total capped: see total_is_exact)"
)
def list_work_orders(conn: ConnDep, _: PortalReader, query: Annotated[WorkOrderListQuery, Query()]) -> Response:
    items, total, exact = queries.page(conn, query)
    page = {"items": items, "total": total, "limit": query.limit, "offset": query.offset, "total_is_exact": exact}
    return rows_response(page)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WorkOrderPublic,
    summary="Open a work order (from an incident type)",
)
def create_work_order(conn: ConnDep, principal: Dispatcher, work_order_in: WorkOrderCreate) -> Response:
    work_order = work_orders_service.create_work_order(conn, work_order_in=work_order_in, actor=principal.actor)
    return model_response(work_order, status_code=status.HTTP_201_CREATED)


@router.get("/{work_order_id}", responses=CONFLICT)
def read_work_order(conn: ConnDep, _: PortalReader, work_order_id: WorkOrderId) -> WorkOrderPublic:
    return work_orders_service.get_work_order(conn, work_order_id=work_order_id)


@router.patch("/{work_order_id}", responses=CONFLICT)
def update_work_order(
    conn: ConnDep, principal: Dispatcher, work_order_id: WorkOrderId, work_order_in: WorkOrderUpdate
) -> WorkOrderPublic:
    return work_orders_service.update_work_order(
        conn, work_order_id=work_order_id, work_order_in=work_order_in, actor=principal.actor
    )


@router.post("/{work_order_id}/priority", responses=CONFLICT, summary="Change the priority (SLA recomputed)")
def change_priority(
    conn: ConnDep, principal: Dispatcher, work_order_id: WorkOrderId, change: PriorityChange
) -> WorkOrderPublic:
    return work_orders_service.change_priority(
        conn, work_order_id=work_order_id, priority=change.priority, actor=principal.actor, version=change.version
    )


@router.post("/{work_order_id}/cancel", responses=CONFLICT, summary="Cancel (its active bookings too)")
def cancel_work_order(
    conn: ConnDep, principal: Dispatcher, work_order_id: WorkOrderId, cancel: WorkOrderCancel
) -> WorkOrderPublic:
    return work_orders_service.cancel_work_order(
        conn, work_order_id=work_order_id, reason=cancel.reason, actor=principal.actor, version=cancel.version
    )


@router.post("/{work_order_id}/complete", responses=CONFLICT, summary="Record the resolution; 'partial' follows up")
def complete_work_order(
    conn: ConnDep, principal: FieldWorker, work_order_id: WorkOrderId, completion: WorkOrderComplete
) -> CompletionPublic:
    field_resource(conn, work_order_id=work_order_id, principal=principal)
    return closing.complete_work_order(conn, work_order_id=work_order_id, completion=completion, actor=principal.actor)


@router.get("/{work_order_id}/review", responses=CONFLICT, summary="What was done and what is missing")
def review_work_order(conn: ConnDep, _: PortalReader, work_order_id: WorkOrderId) -> ReviewPublic:
    return closing.review_work_order(conn, work_order_id=work_order_id)


@router.post("/{work_order_id}/post", responses=CONFLICT, summary="Post completed work for billing (frozen after)")
def post_work_order(
    conn: ConnDep, principal: Dispatcher, work_order_id: WorkOrderId, post_in: WorkOrderPost
) -> WorkOrderPublic:
    return closing.post_work_order(conn, work_order_id=work_order_id, post_in=post_in, actor=principal.actor)


@router.get("/{work_order_id}/bookings", responses=CONFLICT)
def list_work_order_bookings(
    conn: ConnDep, principal: CurrentUser, work_order_id: WorkOrderId, limit: Limit = 50, offset: Offset = 0
) -> Page[BookingPublic]:
    work_orders_service.get_work_order(conn, work_order_id=work_order_id)
    items, total = bookings_service.list_bookings(
        conn, principal=principal, work_order_id=work_order_id, limit=limit, offset=offset
    )
    return Page[BookingPublic](items=items, total=total, limit=limit, offset=offset)


@router.post("/{work_order_id}/bookings", status_code=status.HTTP_201_CREATED, responses=CONFLICT)
def book_work_order(
    conn: ConnDep, principal: Dispatcher, work_order_id: WorkOrderId, slot: BookingSlot
) -> BookingPublic:
    booking_in = BookingCreate(work_order_id=work_order_id, **slot.model_dump())
    return bookings_service.create_booking(conn, booking_in=booking_in, actor=principal.actor)


@router.post("/{work_order_id}/auto-assign", status_code=status.HTTP_201_CREATED, responses=CONFLICT)
def auto_assign(
    conn: ConnDep,
    principal: Dispatcher,
    work_order_id: WorkOrderId,
    assign_in: Annotated[AutoAssignRequest | None, Body()] = None,
) -> BookingPublic:
    """Book the best qualified, available technician of the site's territory (another territory's only with
    `allow_outside_territory`); the booking's explanation says why (409: why nobody fits)."""
    options = assign_in or AutoAssignRequest()
    return bookings_service.auto_assign(
        conn,
        work_order_id=work_order_id,
        actor=principal.actor,
        allow_outside_territory=options.allow_outside_territory,
    )


router.include_router(execution_router)
