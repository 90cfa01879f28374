"""HTTP routes of the schedule: the field-service optimizer for dispatchers (preview or apply)."""

from __future__ import annotations

from fastapi import APIRouter

from service_core.api.deps import ConnDep, Dispatcher
from service_core.api.errors import ERROR_RESPONSES, ErrorBody, Responses
from service_core.api.transactions import TransactionalRoute
from service_core.scheduling import service as schedule_service
from service_core.scheduling.schemas import EmergencyRequest, OptimizeRequest, SchedulePlanPublic, SickRequest

router = APIRouter(route_class=TransactionalRoute, prefix="/schedule", tags=["schedule"], responses=ERROR_RESPONSES)

CONFLICT: Responses = {
    404: {"model": ErrorBody, "description": "No such territory, work order or resource"},
    409: {"model": ErrorBody, "description": "A booking conflicts (nothing applied), nobody works, order not open"},
}


@router.post("/optimize", summary="Plan a day with the optimizer: preview, or apply as bookings", responses=CONFLICT)
def optimize(conn: ConnDep, principal: Dispatcher, request: OptimizeRequest) -> SchedulePlanPublic:
    return schedule_service.optimize(conn, request=request, actor=principal.actor)


@router.post("/emergency", summary="Insert an emergency into the running day with the least disruption",
             responses=CONFLICT)  # fmt: skip
def emergency(conn: ConnDep, principal: Dispatcher, request: EmergencyRequest) -> SchedulePlanPublic:
    return schedule_service.insert_emergency_order(conn, request=request, actor=principal.actor)


@router.post("/sick", summary="Re-plan the day of a technician calling in sick", responses=CONFLICT)
def sick(conn: ConnDep, principal: Dispatcher, request: SickRequest) -> SchedulePlanPublic:
    return schedule_service.replan_sick(conn, request=request, actor=principal.actor)
