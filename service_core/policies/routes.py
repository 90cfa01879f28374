"""HTTP routes of the policies domain: calendars, SLA targets, escalation rules, SLA clocks and escalations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from service_core.api.deps import ConnDep, CurrentUser, Dispatcher, FieldWorker
from service_core.api.errors import ERROR_RESPONSES, ErrorBody, Responses
from service_core.api.pagination import Limit, Offset, Page
from service_core.api.transactions import TransactionalRoute
from service_core.policies import config_service
from service_core.policies import service as policies_service
from service_core.policies.clock import SlaStatus
from service_core.policies.schemas import (
    CalendarCreate,
    CalendarPublic,
    CalendarUpdate,
    ClockPause,
    EscalationPublic,
    EscalationRuleCreate,
    EscalationRulePublic,
    RoleName,
    SlaTargetCreate,
    SlaTargetPublic,
    SlaTargetUpdate,
)

router = APIRouter(route_class=TransactionalRoute, prefix="/policies", tags=["policies"], responses=ERROR_RESPONSES)

Id32 = Annotated[int, Path(ge=1, le=2**31 - 1)]
Id64 = Annotated[int, Path(ge=1, le=2**63 - 1)]
NOT_FOUND: Responses = {404: {"model": ErrorBody, "description": "No such record"}}
CONFLICT: Responses = {409: {"model": ErrorBody, "description": "Conflicts with stored data or the clock's state"}}


# --- calendars ---------------------------------------------------------------------------------------------------


@router.get("/calendars", summary="List business-hours calendars")
def list_calendars(conn: ConnDep, _: CurrentUser, limit: Limit = 50, offset: Offset = 0) -> Page[CalendarPublic]:
    items, total = config_service.list_calendars(conn, limit=limit, offset=offset)
    return Page[CalendarPublic](items=items, total=total, limit=limit, offset=offset)


@router.post("/calendars", status_code=status.HTTP_201_CREATED, responses=CONFLICT, summary="Create a calendar")
def create_calendar(conn: ConnDep, _: Dispatcher, calendar_in: CalendarCreate) -> CalendarPublic:
    return config_service.create_calendar(conn, calendar_in=calendar_in)


@router.get("/calendars/{calendar_id}", responses=NOT_FOUND)
def read_calendar(conn: ConnDep, _: CurrentUser, calendar_id: Id32) -> CalendarPublic:
    return config_service.read_calendar(conn, calendar_id=calendar_id)


@router.patch("/calendars/{calendar_id}", responses={**NOT_FOUND, **CONFLICT}, summary="Change a calendar")
def update_calendar(conn: ConnDep, _: Dispatcher, calendar_id: Id32, calendar_in: CalendarUpdate) -> CalendarPublic:
    return config_service.update_calendar(conn, calendar_id=calendar_id, calendar_in=calendar_in)


@router.delete("/calendars/{calendar_id}", status_code=204, responses={**NOT_FOUND, **CONFLICT})
def delete_calendar(conn: ConnDep, _: Dispatcher, calendar_id: Id32) -> Response:
    config_service.delete_calendar(conn, calendar_id=calendar_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- SLA targets -------------------------------------------------------------------------------------------------


@router.get("/sla-targets", summary="List SLA targets (the default policy and per agreement)")
def list_sla_targets(
    conn: ConnDep,
    _: CurrentUser,
    agreement_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    defaults_only: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[SlaTargetPublic]:
    items, total = config_service.list_sla_targets(
        conn, agreement_id=agreement_id, defaults_only=defaults_only, limit=limit, offset=offset
    )
    return Page[SlaTargetPublic](items=items, total=total, limit=limit, offset=offset)


@router.post("/sla-targets", status_code=status.HTTP_201_CREATED, responses=CONFLICT, summary="Add an SLA target")
def create_sla_target(conn: ConnDep, _: Dispatcher, target_in: SlaTargetCreate) -> SlaTargetPublic:
    return config_service.create_sla_target(conn, target_in=target_in)


@router.get("/sla-targets/{target_id}", responses=NOT_FOUND)
def read_sla_target(conn: ConnDep, _: CurrentUser, target_id: Id32) -> SlaTargetPublic:
    return config_service.get_sla_target(conn, target_id=target_id)


@router.patch("/sla-targets/{target_id}", responses=NOT_FOUND)
def update_sla_target(conn: ConnDep, _: Dispatcher, target_id: Id32, target_in: SlaTargetUpdate) -> SlaTargetPublic:
    return config_service.update_sla_target(conn, target_id=target_id, target_in=target_in)


@router.delete("/sla-targets/{target_id}", status_code=204, responses={**NOT_FOUND, **CONFLICT})
def delete_sla_target(conn: ConnDep, _: Dispatcher, target_id: Id32) -> Response:
    config_service.delete_sla_target(conn, target_id=target_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- escalation rules and escalations ----------------------------------------------------------------------------


@router.get("/escalation-rules", summary="List escalation rules")
def list_escalation_rules(conn: ConnDep, _: CurrentUser) -> list[EscalationRulePublic]:
    return config_service.list_escalation_rules(conn)


@router.post("/escalation-rules", status_code=status.HTTP_201_CREATED, summary="Add an escalation rule")
def create_escalation_rule(conn: ConnDep, _: Dispatcher, rule_in: EscalationRuleCreate) -> EscalationRulePublic:
    return config_service.create_escalation_rule(conn, rule_in=rule_in)


@router.get("/escalation-rules/{rule_id}", responses=NOT_FOUND)
def read_escalation_rule(conn: ConnDep, _: CurrentUser, rule_id: Id32) -> EscalationRulePublic:
    return config_service.get_escalation_rule(conn, rule_id=rule_id)


@router.delete("/escalation-rules/{rule_id}", status_code=204, responses=NOT_FOUND)
def delete_escalation_rule(conn: ConnDep, _: Dispatcher, rule_id: Id32) -> Response:
    config_service.delete_escalation_rule(conn, rule_id=rule_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/escalations", summary="The escalations that fired (the notification feed), newest first")
def list_escalations(
    conn: ConnDep,
    _: CurrentUser,
    work_order_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    notify_role: RoleName | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[EscalationPublic]:
    items, total = policies_service.list_escalations(
        conn, work_order_id=work_order_id, notify_role=notify_role, limit=limit, offset=offset
    )
    return Page[EscalationPublic](items=items, total=total, limit=limit, offset=offset)


@router.post("/escalations/run", summary="Record the escalations due now on open work orders (admin, dispatcher)")
def run_escalations(conn: ConnDep, _: Dispatcher) -> list[EscalationPublic]:
    return policies_service.run_escalations(conn, now=datetime.now(UTC))


# --- SLA clocks --------------------------------------------------------------------------------------------------


@router.get("/sla/work-orders/{work_order_id}", responses=NOT_FOUND, summary="The SLA clock of a work order now")
def read_clock(conn: ConnDep, _: CurrentUser, work_order_id: Id64) -> SlaStatus:
    return policies_service.clock_for_work_order(conn, work_order_id=work_order_id, now=datetime.now(UTC))


@router.post("/sla/work-orders/{work_order_id}/pause", responses={**NOT_FOUND, **CONFLICT})
def pause_clock(conn: ConnDep, _: FieldWorker, work_order_id: Id64, pause_in: ClockPause) -> SlaStatus:
    return policies_service.record_clock_event(
        conn, work_order_id=work_order_id, event="pause", reason=pause_in.reason, at=datetime.now(UTC)
    )


@router.post("/sla/work-orders/{work_order_id}/resume", responses={**NOT_FOUND, **CONFLICT})
def resume_clock(conn: ConnDep, _: FieldWorker, work_order_id: Id64) -> SlaStatus:
    return policies_service.record_clock_event(
        conn, work_order_id=work_order_id, event="resume", reason=None, at=datetime.now(UTC)
    )
