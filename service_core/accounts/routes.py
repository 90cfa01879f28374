"""HTTP routes of the accounts domain: accounts, their credit hold, contacts and service locations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from service_core.accounts import locations
from service_core.accounts import service as accounts_service
from service_core.accounts.schemas import (
    AccountCreate,
    AccountKind,
    AccountPublic,
    AccountUpdate,
    ContactCreate,
    ContactPublic,
    ContactUpdate,
    CreditHoldChange,
    LocationCreate,
    LocationPublic,
    LocationUpdate,
)
from service_core.api.deps import ConnDep, Finance, PortalReader, require_roles
from service_core.api.errors import ERROR_RESPONSES, ErrorBody, Responses
from service_core.api.pagination import Limit, Offset, Page
from service_core.api.transactions import TransactionalRoute
from service_core.auth.domain import Principal, Role

router = APIRouter(route_class=TransactionalRoute, prefix="/accounts", tags=["accounts"], responses=ERROR_RESPONSES)

AccountWriter = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.DISPATCHER, Role.FINANCE))]
AccountId = Annotated[int, Path(ge=1, le=2**31 - 1)]
ChildId = Annotated[int, Path(ge=1, le=2**31 - 1)]
NOT_FOUND: Responses = {404: {"model": ErrorBody, "description": "No such account, contact or location"}}
CONFLICT: Responses = {**NOT_FOUND, 409: {"model": ErrorBody, "description": "Conflicts with stored data"}}
BILLING_ROLES = frozenset({Role.ADMIN, Role.FINANCE})


@router.get("", summary="List accounts: search by name or number, filter by kind, credit hold, tenant")
def list_accounts(
    conn: ConnDep,
    _: PortalReader,
    *,
    q: Annotated[str | None, Query(min_length=1, max_length=100, description="part of the name or number")] = None,
    kind: AccountKind | None = None,
    credit_hold: bool | None = None,
    tenant: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = None,
    is_active: bool | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AccountPublic]:
    items, total = accounts_service.list_accounts(
        conn,
        search=q,
        kind=kind,
        credit_hold=credit_hold,
        tenant=tenant,
        is_active=is_active,
        limit=limit,
        offset=offset,
    )
    return Page[AccountPublic](items=items, total=total, limit=limit, offset=offset)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=CONFLICT,
    summary="Create an account (admin, dispatcher, finance; billing fields: admin, finance)",
)
def create_account(conn: ConnDep, principal: AccountWriter, account_in: AccountCreate) -> AccountPublic:
    return accounts_service.create_account(conn, account_in=account_in, may_set_billing=principal.role in BILLING_ROLES)


@router.get("/{account_id}", responses=NOT_FOUND)
def read_account(conn: ConnDep, _: PortalReader, account_id: AccountId) -> AccountPublic:
    return accounts_service.get_account(conn, account_id=account_id)


@router.patch("/{account_id}", responses=CONFLICT, summary="Change an account (billing fields: admin, finance)")
def update_account(
    conn: ConnDep, principal: AccountWriter, account_id: AccountId, account_in: AccountUpdate
) -> AccountPublic:
    return accounts_service.update_account(
        conn, account_id=account_id, account_in=account_in, may_set_billing=principal.role in BILLING_ROLES
    )


@router.delete("/{account_id}", status_code=status.HTTP_204_NO_CONTENT, responses=CONFLICT)
def delete_account(conn: ConnDep, _: AccountWriter, account_id: AccountId) -> Response:
    accounts_service.delete_account(conn, account_id=account_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{account_id}/credit-hold", responses=NOT_FOUND, summary="Put on or release from credit hold by hand")
def change_credit_hold(conn: ConnDep, _: Finance, account_id: AccountId, change: CreditHoldChange) -> AccountPublic:
    return accounts_service.set_credit_hold(
        conn, account_id=account_id, hold=change.hold, reason=change.reason, manual=True
    )


@router.get("/{account_id}/contacts", responses=NOT_FOUND)
def list_contacts(conn: ConnDep, _: PortalReader, account_id: AccountId) -> list[ContactPublic]:
    return locations.list_contacts(conn, account_id=account_id)


@router.post("/{account_id}/contacts", status_code=status.HTTP_201_CREATED, responses=NOT_FOUND)
def add_contact(conn: ConnDep, _: AccountWriter, account_id: AccountId, contact_in: ContactCreate) -> ContactPublic:
    return locations.add_contact(conn, account_id=account_id, contact_in=contact_in)


@router.patch("/{account_id}/contacts/{contact_id}", responses=NOT_FOUND)
def update_contact(
    conn: ConnDep, _: AccountWriter, account_id: AccountId, contact_id: ChildId, contact_in: ContactUpdate
) -> ContactPublic:
    return locations.update_contact(conn, account_id=account_id, contact_id=contact_id, contact_in=contact_in)


@router.delete("/{account_id}/contacts/{contact_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
def delete_contact(conn: ConnDep, _: AccountWriter, account_id: AccountId, contact_id: ChildId) -> Response:
    locations.delete_contact(conn, account_id=account_id, contact_id=contact_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{account_id}/locations", responses=NOT_FOUND)
def list_locations(conn: ConnDep, _: PortalReader, account_id: AccountId) -> list[LocationPublic]:
    return locations.list_locations(conn, account_id=account_id)


@router.post("/{account_id}/locations", status_code=status.HTTP_201_CREATED, responses=NOT_FOUND)
def add_location(conn: ConnDep, _: AccountWriter, account_id: AccountId, location_in: LocationCreate) -> LocationPublic:
    return locations.add_location(conn, account_id=account_id, location_in=location_in)


@router.get("/{account_id}/locations/{location_id}", responses=NOT_FOUND)
def read_location(conn: ConnDep, _: PortalReader, account_id: AccountId, location_id: ChildId) -> LocationPublic:
    return locations.get_account_location(conn, account_id=account_id, location_id=location_id)


@router.patch("/{account_id}/locations/{location_id}", responses=NOT_FOUND)
def update_location(
    conn: ConnDep, _: AccountWriter, account_id: AccountId, location_id: ChildId, location_in: LocationUpdate
) -> LocationPublic:
    return locations.update_location(conn, account_id=account_id, location_id=location_id, location_in=location_in)


@router.delete("/{account_id}/locations/{location_id}", status_code=status.HTTP_204_NO_CONTENT, responses=CONFLICT)
def delete_location(conn: ConnDep, _: AccountWriter, account_id: AccountId, location_id: ChildId) -> Response:
    locations.delete_location(conn, account_id=account_id, location_id=location_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
