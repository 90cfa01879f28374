"""HTTP routes of the device registry."""

from __future__ import annotations

from typing import Annotated

import psycopg
from fastapi import APIRouter, Path, Query, Response, status

from service_core.api.deps import ConnDep, CurrentUser, FleetWriter
from service_core.api.errors import ERROR_RESPONSES, ErrorBody, Responses
from service_core.api.pagination import Limit, Offset, Page
from service_core.api.transactions import TransactionalRoute
from service_core.devices import service as devices_service
from service_core.devices.schemas import DeviceCreate, DeviceCredentialsPublic, DevicePublic
from service_core.exceptions import NotFound

router = APIRouter(route_class=TransactionalRoute, prefix="/devices", tags=["devices"], responses=ERROR_RESPONSES)

DeviceId = Annotated[int, Path(ge=1, le=2**31 - 1, description="registry id of the device")]
TenantFilter = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="only this tenant's")]
NOT_FOUND: Responses = {404: {"model": ErrorBody, "description": "No such device"}}


@router.get("", summary="List devices, by tenant and key")
def list_devices(
    conn: ConnDep, _: CurrentUser, tenant: TenantFilter = None, limit: Limit = 50, offset: Offset = 0
) -> Page[DevicePublic]:
    items, total = devices_service.list_page(conn, tenant=tenant, limit=limit, offset=offset)
    return Page[DevicePublic](items=items, total=total, limit=limit, offset=offset)


@router.get("/{device_id}", responses=NOT_FOUND)
def read_device(conn: ConnDep, _: CurrentUser, device_id: DeviceId) -> DevicePublic:
    return device_by_id(conn, device_id)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register a device (admin, dispatcher); registering it again updates it (200)",
    responses={200: {"model": DevicePublic, "description": "The device was registered already and is updated"}},
)
def register_device(conn: ConnDep, _: FleetWriter, device_in: DeviceCreate, response: Response) -> DevicePublic:
    try:
        devices_service.get(conn, tenant=device_in.tenant, device_key=device_in.device_key)
        response.status_code = status.HTTP_200_OK
    except NotFound:
        pass
    return devices_service.register(conn, device_in=device_in)


@router.post(
    "/{device_id}/credentials",
    summary="Issue the device a new MQTT password (admin, dispatcher); shown in this answer only",
    responses=NOT_FOUND,
)
def rotate_device_credentials(
    conn: ConnDep, _: FleetWriter, device_id: DeviceId, response: Response
) -> DeviceCredentialsPublic:
    response.headers["Cache-Control"] = "no-store"
    return devices_service.rotate_credentials(conn, device_id=device_id)


@router.post(
    "/{device_id}/revoke",
    summary="Revoke the device's MQTT credentials (admin, dispatcher); the broker refuses it after its next sync",
    responses=NOT_FOUND,
)
def revoke_device_credentials(conn: ConnDep, _: FleetWriter, device_id: DeviceId) -> DevicePublic:
    return devices_service.revoke_credentials(conn, device_id=device_id)


def device_by_id(conn: psycopg.Connection, device_id: int) -> DevicePublic:
    """The device with this registry id, or `NotFound`."""
    return devices_service.get_by_id(conn, device_id=device_id)
