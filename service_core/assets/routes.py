"""HTTP routes of the assets domain: asset types, assets and their hierarchy, devices, meter readings; leases."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from service_core.api.deps import ConnDep, CurrentUser, Dispatcher, FieldWorker, PortalReader
from service_core.api.errors import ERROR_RESPONSES, ErrorBody, Responses
from service_core.api.pagination import Limit, Offset, Page
from service_core.api.transactions import TransactionalRoute
from service_core.assets import fleet, meters
from service_core.assets import service as assets_service
from service_core.assets.fleet_schemas import FLEET_MAX_LIMIT, FleetFilter, FleetHealth
from service_core.assets.lease_routes import router as leases_router
from service_core.assets.schemas import (
    AssetCreate,
    AssetNode,
    AssetPublic,
    AssetStatus,
    AssetTypeCreate,
    AssetTypePublic,
    AssetUpdate,
    Criticality,
    Level,
    LinkedDevicePublic,
    MeterReadingCreate,
    MeterReadingPublic,
    Ownership,
)

router = APIRouter(route_class=TransactionalRoute, prefix="/assets", tags=["assets"], responses=ERROR_RESPONSES)
router.include_router(leases_router)  # before /{asset_id}, which would otherwise match /leases

AssetId = Annotated[int, Path(ge=1, le=2**63 - 1)]
RowIdQuery = Annotated[int | None, Query(ge=1, le=2**31 - 1)]
NOT_FOUND: Responses = {404: {"model": ErrorBody, "description": "No such asset"}}
CONFLICT: Responses = {**NOT_FOUND, 409: {"model": ErrorBody, "description": "Conflicts with stored data"}}


@router.get("/types", tags=["assets"])
def list_asset_types(conn: ConnDep, _: CurrentUser) -> list[AssetTypePublic]:
    return assets_service.list_asset_types(conn)


@router.post("/types", status_code=status.HTTP_201_CREATED, responses=CONFLICT)
def create_asset_type(conn: ConnDep, _: Dispatcher, asset_type_in: AssetTypeCreate) -> AssetTypePublic:
    return assets_service.create_asset_type(conn, asset_type_in=asset_type_in)


@router.get("", summary="List assets by account, location, type, level, criticality, ownership; search names")
def list_assets(
    conn: ConnDep,
    _: PortalReader,
    *,
    account_id: RowIdQuery = None,
    location_id: RowIdQuery = None,
    asset_type_id: RowIdQuery = None,
    parent_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    level: Level | None = None,
    criticality: Criticality | None = None,
    ownership: Ownership | None = None,
    asset_status: Annotated[AssetStatus | None, Query(alias="status")] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100, description="name, serial or model")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AssetPublic]:
    items, total = assets_service.list_assets(
        conn,
        account_id=account_id,
        location_id=location_id,
        asset_type_id=asset_type_id,
        parent_id=parent_id,
        level=level,
        criticality=criticality,
        ownership=ownership,
        status=asset_status,
        search=q,
        limit=limit,
        offset=offset,
    )
    return Page[AssetPublic](items=items, total=total, limit=limit, offset=offset)


@router.get(
    "/fleet-health",
    summary="Every matching asset with devices, newest values, open work, open conditions and health, in one read",
)
def read_fleet_health(
    conn: ConnDep,
    _: CurrentUser,
    *,
    account_id: RowIdQuery = None,
    location_id: RowIdQuery = None,
    asset_type_id: RowIdQuery = None,
    criticality: Criticality | None = None,
    ownership: Ownership | None = None,
    asset_status: Annotated[AssetStatus | None, Query(alias="status")] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=100, description="asset name, serial or model; account; site")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=FLEET_MAX_LIMIT, description="most assets returned")] = 1000,
) -> FleetHealth:
    fleet_filter = FleetFilter(
        account_id=account_id,
        location_id=location_id,
        asset_type_id=asset_type_id,
        criticality=criticality,
        ownership=ownership,
        status=asset_status,
        search=q,
    )
    return fleet.fleet_health(conn, fleet_filter=fleet_filter, limit=limit)


@router.post("", status_code=status.HTTP_201_CREATED, responses=CONFLICT, summary="Create (admin, dispatcher)")
def create_asset(conn: ConnDep, _: Dispatcher, asset_in: AssetCreate) -> AssetPublic:
    return assets_service.create_asset(conn, asset_in=asset_in)


@router.get("/{asset_id}", responses=NOT_FOUND)
def read_asset(conn: ConnDep, _: PortalReader, asset_id: AssetId) -> AssetPublic:
    return assets_service.get_asset(conn, asset_id=asset_id)


@router.patch("/{asset_id}", responses=CONFLICT)
def update_asset(conn: ConnDep, _: Dispatcher, asset_id: AssetId, asset_in: AssetUpdate) -> AssetPublic:
    return assets_service.update_asset(conn, asset_id=asset_id, asset_in=asset_in)


@router.get("/{asset_id}/children", responses=NOT_FOUND)
def list_children(conn: ConnDep, _: PortalReader, asset_id: AssetId) -> list[AssetPublic]:
    return assets_service.asset_children(conn, asset_id=asset_id)


@router.get("/{asset_id}/tree", responses=NOT_FOUND, summary="The asset and everything below it, nested")
def read_tree(conn: ConnDep, _: PortalReader, asset_id: AssetId) -> AssetNode:
    return assets_service.asset_tree(conn, asset_id=asset_id)


@router.get("/{asset_id}/devices", responses=NOT_FOUND, summary="The devices that instrument the asset")
def list_devices(conn: ConnDep, _: PortalReader, asset_id: AssetId) -> list[LinkedDevicePublic]:
    return assets_service.asset_devices(conn, asset_id=asset_id)


@router.get("/{asset_id}/meter-readings", responses=NOT_FOUND, summary="Readings, newest first")
def list_meter_readings(
    conn: ConnDep,
    _: PortalReader,
    asset_id: AssetId,
    meter: Annotated[str | None, Query(pattern=r"^[a-z0-9_]{1,64}$")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[MeterReadingPublic]:
    items, total = meters.readings(conn, asset_id=asset_id, meter=meter, limit=limit, offset=offset)
    return Page[MeterReadingPublic](items=items, total=total, limit=limit, offset=offset)


@router.post(
    "/{asset_id}/meter-readings",
    status_code=status.HTTP_201_CREATED,
    responses=CONFLICT,
    summary="Record a reading (admin, dispatcher, technician); a meter never goes down",
)
def record_meter_reading(
    conn: ConnDep, _: FieldWorker, asset_id: AssetId, reading_in: MeterReadingCreate
) -> MeterReadingPublic:
    return assets_service.record_meter_reading(
        conn,
        asset_id=asset_id,
        meter=reading_in.meter,
        value=reading_in.value,
        read_at=reading_in.read_at,
        source=reading_in.source,
    )
