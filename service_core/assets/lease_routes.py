"""HTTP routes of leases, under /assets/leases (included into the assets router before /assets/{asset_id})."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from service_core.api.deps import ConnDep, Finance, PortalReader, require_roles
from service_core.api.errors import ErrorBody, Responses
from service_core.api.pagination import Limit, Offset, Page
from service_core.api.transactions import TransactionalRoute
from service_core.assets import lease_service
from service_core.assets.lease_schemas import (
    LeaseBuyOut,
    LeaseCreate,
    LeasePeriodPublic,
    LeasePublic,
    LeaseStatus,
    LeaseTermination,
)
from service_core.auth.domain import Principal, Role

router = APIRouter(route_class=TransactionalRoute, prefix="/leases", tags=["leases"])

LeaseWriter = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.DISPATCHER, Role.FINANCE))]
LeaseId = Annotated[int, Path(ge=1, le=2**31 - 1)]
NOT_FOUND: Responses = {404: {"model": ErrorBody, "description": "No such lease"}}
REFUSED: Responses = {**NOT_FOUND, 409: {"model": ErrorBody, "description": "Not possible in the lease's state"}}


@router.get("", summary="List leases by asset, account, status")
def list_leases(
    conn: ConnDep,
    _: PortalReader,
    *,
    asset_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    account_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    lease_status: Annotated[LeaseStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[LeasePublic]:
    items, total = lease_service.list_leases(
        conn, asset_id=asset_id, account_id=account_id, status=lease_status, limit=limit, offset=offset
    )
    return Page[LeasePublic](items=items, total=total, limit=limit, offset=offset)


@router.post("", status_code=status.HTTP_201_CREATED, responses=REFUSED, summary="Draft a lease")
def create_lease(conn: ConnDep, _: LeaseWriter, lease_in: LeaseCreate) -> LeasePublic:
    return lease_service.create_lease(conn, lease_in=lease_in)


@router.get("/charges-due", summary="Charges not invoiced yet and due by a day (admin, finance)")
def list_charges_due(
    conn: ConnDep, _: Finance, through: Annotated[date, Query(description="due on or before this day")]
) -> list[LeasePeriodPublic]:
    return lease_service.periods_due(conn, through=through)


@router.get("/{lease_id}", responses=NOT_FOUND)
def read_lease(conn: ConnDep, _: PortalReader, lease_id: LeaseId) -> LeasePublic:
    return lease_service.get_lease(conn, lease_id=lease_id)


@router.delete("/{lease_id}", status_code=status.HTTP_204_NO_CONTENT, responses=REFUSED, summary="Delete a draft")
def delete_lease(conn: ConnDep, _: LeaseWriter, lease_id: LeaseId) -> Response:
    lease_service.delete_draft(conn, lease_id=lease_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{lease_id}/charges", responses=NOT_FOUND, summary="The lease's schedule of charges")
def list_charges(conn: ConnDep, _: PortalReader, lease_id: LeaseId) -> list[LeasePeriodPublic]:
    return lease_service.lease_periods(conn, lease_id=lease_id)


@router.post("/{lease_id}/activate", responses=REFUSED, summary="Start the lease and write its schedule")
def activate_lease(conn: ConnDep, _: Finance, lease_id: LeaseId) -> LeasePublic:
    return lease_service.activate(conn, lease_id=lease_id)


@router.post("/{lease_id}/end", responses=REFUSED, summary="End the lease on its agreed end date")
def end_lease(conn: ConnDep, _: Finance, lease_id: LeaseId) -> LeasePublic:
    return lease_service.end(conn, lease_id=lease_id)


@router.post("/{lease_id}/buy-out", responses=REFUSED, summary="The lessee buys the asset")
def buy_out_lease(conn: ConnDep, principal: Finance, lease_id: LeaseId, buy_out: LeaseBuyOut) -> LeasePublic:
    return lease_service.buy_out(conn, lease_id=lease_id, on=buy_out.on, actor=principal.actor)


@router.post("/{lease_id}/terminate", responses=REFUSED, summary="End the lease early, with an optional fee")
def terminate_lease(conn: ConnDep, principal: Finance, lease_id: LeaseId, termination: LeaseTermination) -> LeasePublic:
    return lease_service.terminate(
        conn,
        lease_id=lease_id,
        on=termination.on,
        fee=termination.fee,
        reason=termination.reason,
        actor=principal.actor,
    )
