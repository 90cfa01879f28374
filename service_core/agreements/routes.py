"""HTTP routes of the agreements domain: agreements, covered assets, lifecycle, fees, preventive maintenance."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path, Query, Response, status

from service_core.agreements import fees, pm_service
from service_core.agreements import service as agreements_service
from service_core.agreements.schemas import (
    AgreementAction,
    AgreementCreate,
    AgreementPublic,
    AgreementUpdate,
    FeePeriodPublic,
    PmGenerate,
    PmGenerated,
    PmPlanCreate,
    PmPlanPublic,
    PmPlanUpdate,
)
from service_core.api.deps import ConnDep, CurrentUser, Dispatcher
from service_core.api.errors import ERROR_RESPONSES, ErrorBody, Responses
from service_core.api.pagination import Limit, Offset, Page
from service_core.api.transactions import TransactionalRoute
from service_core.billing import queries as billing_queries

router = APIRouter(route_class=TransactionalRoute, prefix="/agreements", tags=["agreements"], responses=ERROR_RESPONSES)

AgreementId = Annotated[int, Path(ge=1, le=2**31 - 1, description="id of the agreement")]
PlanId = Annotated[int, Path(ge=1, le=2**31 - 1, description="id of the preventive-maintenance plan")]
AssetId = Annotated[int, Path(ge=1, le=2**63 - 1)]
NOT_FOUND: Responses = {404: {"model": ErrorBody, "description": "No such agreement or plan"}}
CONFLICT: Responses = {409: {"model": ErrorBody, "description": "The lifecycle or stored data refuses it"}}
BOTH: Responses = {**NOT_FOUND, **CONFLICT}


@router.post("/pm/generate", summary="Open the preventive work orders due (admin, dispatcher)")
def generate_preventive_work(
    conn: ConnDep, principal: Dispatcher, generate_in: Annotated[PmGenerate | None, Body()] = None
) -> PmGenerated:
    today = generate_in.today if generate_in and generate_in.today else billing_queries.today()
    ids = pm_service.generate_preventive_work(conn, today=today, actor=principal.actor)
    return PmGenerated(work_order_ids=ids)


@router.get("/fee-periods/due", summary="Uninvoiced agreement fees due by a day")
def list_fee_periods_due(conn: ConnDep, _: CurrentUser, through: date | None = None) -> list[FeePeriodPublic]:
    return agreements_service.fee_periods_due(conn, through=through or billing_queries.today())


@router.get("", summary="List agreements")
def list_agreements(
    conn: ConnDep,
    _: CurrentUser,
    account_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    status: Literal["draft", "active", "expired", "canceled"] | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AgreementPublic]:
    items, total = agreements_service.list_agreements(
        conn, account_id=account_id, status=status, limit=limit, offset=offset
    )
    return Page[AgreementPublic](items=items, total=total, limit=limit, offset=offset)


@router.post("", status_code=status.HTTP_201_CREATED, responses=CONFLICT, summary="Create a draft agreement")
def create_agreement(conn: ConnDep, _: Dispatcher, agreement_in: AgreementCreate) -> AgreementPublic:
    return agreements_service.create_agreement(conn, agreement_in=agreement_in)


@router.get("/{agreement_id}", responses=NOT_FOUND)
def read_agreement(conn: ConnDep, _: CurrentUser, agreement_id: AgreementId) -> AgreementPublic:
    return agreements_service.get_agreement(conn, agreement_id=agreement_id)


@router.patch("/{agreement_id}", responses=BOTH, summary="Change a draft agreement (an active one: its name)")
def update_agreement(
    conn: ConnDep, _: Dispatcher, agreement_id: AgreementId, agreement_in: AgreementUpdate
) -> AgreementPublic:
    return agreements_service.update_agreement(conn, agreement_id=agreement_id, agreement_in=agreement_in)


@router.delete("/{agreement_id}", status_code=204, responses=BOTH, summary="Delete a draft agreement")
def delete_agreement(conn: ConnDep, _: Dispatcher, agreement_id: AgreementId) -> Response:
    agreements_service.delete_agreement(conn, agreement_id=agreement_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


ActionBody = Annotated[AgreementAction | None, Body()]


def _change(conn: ConnDep, agreement_id: int, action: str, action_in: AgreementAction | None) -> AgreementPublic:
    on = action_in.on if action_in and action_in.on else billing_queries.today()
    return agreements_service.change_status(conn, agreement_id=agreement_id, action=action, on=on)


@router.post("/{agreement_id}/activate", responses=BOTH, summary="Activate a draft (generates its fee periods)")
def activate(conn: ConnDep, _: Dispatcher, agreement_id: AgreementId, action_in: ActionBody = None) -> AgreementPublic:
    return _change(conn, agreement_id, "activate", action_in)


@router.post("/{agreement_id}/expire", responses=BOTH, summary="Expire an active agreement")
def expire(conn: ConnDep, _: Dispatcher, agreement_id: AgreementId, action_in: ActionBody = None) -> AgreementPublic:
    return _change(conn, agreement_id, "expire", action_in)


@router.post("/{agreement_id}/cancel", responses=BOTH, summary="Cancel (drops uninvoiced fees starting after `on`)")
def cancel(conn: ConnDep, _: Dispatcher, agreement_id: AgreementId, action_in: ActionBody = None) -> AgreementPublic:
    return _change(conn, agreement_id, "cancel", action_in)


@router.put("/{agreement_id}/assets/{asset_id}", responses=BOTH, summary="Cover an asset")
def add_asset(conn: ConnDep, _: Dispatcher, agreement_id: AgreementId, asset_id: AssetId) -> AgreementPublic:
    return agreements_service.add_asset(conn, agreement_id=agreement_id, asset_id=asset_id)


@router.delete("/{agreement_id}/assets/{asset_id}", responses=BOTH, summary="Stop covering an asset")
def remove_asset(conn: ConnDep, _: Dispatcher, agreement_id: AgreementId, asset_id: AssetId) -> AgreementPublic:
    return agreements_service.remove_asset(conn, agreement_id=agreement_id, asset_id=asset_id)


@router.get("/{agreement_id}/fee-periods", responses=NOT_FOUND, summary="The agreement's fee periods")
def list_fee_periods(conn: ConnDep, _: CurrentUser, agreement_id: AgreementId) -> list[FeePeriodPublic]:
    agreements_service.get_agreement(conn, agreement_id=agreement_id)
    return fees.list_fee_periods(conn, agreement_id=agreement_id)


@router.get("/{agreement_id}/pm-plans", responses=NOT_FOUND)
def list_pm_plans(conn: ConnDep, _: CurrentUser, agreement_id: AgreementId) -> list[PmPlanPublic]:
    return pm_service.list_pm_plans(conn, agreement_id=agreement_id)


@router.post("/{agreement_id}/pm-plans", status_code=status.HTTP_201_CREATED, responses=BOTH)
def create_pm_plan(conn: ConnDep, _: Dispatcher, agreement_id: AgreementId, plan_in: PmPlanCreate) -> PmPlanPublic:
    return pm_service.create_pm_plan(conn, agreement_id=agreement_id, plan_in=plan_in)


@router.get("/{agreement_id}/pm-plans/{plan_id}", responses=NOT_FOUND)
def read_pm_plan(conn: ConnDep, _: CurrentUser, agreement_id: AgreementId, plan_id: PlanId) -> PmPlanPublic:
    return pm_service.get_pm_plan(conn, agreement_id=agreement_id, plan_id=plan_id)


@router.patch("/{agreement_id}/pm-plans/{plan_id}", responses=NOT_FOUND)
def update_pm_plan(
    conn: ConnDep, _: Dispatcher, agreement_id: AgreementId, plan_id: PlanId, plan_in: PmPlanUpdate
) -> PmPlanPublic:
    return pm_service.update_pm_plan(conn, agreement_id=agreement_id, plan_id=plan_id, plan_in=plan_in)


@router.delete("/{agreement_id}/pm-plans/{plan_id}", status_code=204, responses=BOTH)
def delete_pm_plan(conn: ConnDep, _: Dispatcher, agreement_id: AgreementId, plan_id: PlanId) -> Response:
    pm_service.delete_pm_plan(conn, agreement_id=agreement_id, plan_id=plan_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
