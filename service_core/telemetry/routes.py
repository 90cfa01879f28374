"""HTTP routes of telemetry: latest values, one device's window, fleet roll-ups.  Any authenticated role reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, Field

from service_core.api.deps import ConnDep, CurrentUser
from service_core.api.errors import ERROR_RESPONSES, ErrorBody, Responses
from service_core.api.transactions import TransactionalRoute
from service_core.devices.routes import device_by_id
from service_core.telemetry import service as telemetry_service
from service_core.telemetry.schemas import FleetPoint, LatestValue, Point, Resolution

router = APIRouter(route_class=TransactionalRoute, prefix="/telemetry", tags=["telemetry"], responses=ERROR_RESPONSES)

MetricName = Annotated[str, Query(pattern=r"^[A-Za-z][A-Za-z0-9_.]{0,63}$", description="metric name")]
Start = Annotated[AwareDatetime, Query(description="inclusive, with a timezone (e.g. 2025-01-01T00:00:00Z)")]
End = Annotated[AwareDatetime, Query(description="exclusive, with a timezone")]
DeviceIds = Annotated[
    list[Annotated[int, Field(ge=1, le=2**31 - 1)]] | None,
    Query(max_length=500, description="registry id; repeat for several"),
]
AssetId = Annotated[int | None, Query(ge=1, le=2**63 - 1, description="all devices on this asset")]
DeviceId = Annotated[int, Query(ge=1, le=2**31 - 1, description="registry id of the device")]
Metrics = Annotated[list[MetricName] | None, Query(max_length=100, description="repeat for several; all if absent")]
MaxPoints = Annotated[
    int | None,
    Query(ge=100, le=100_000, description="at most this many points per metric: neighbouring buckets merged exactly"),
]
Tenant = Annotated[str, Query(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
NOT_FOUND: Responses = {404: {"model": ErrorBody, "description": "No such device"}}


@router.get("/latest", summary="Newest value of every metric, by device ids or by asset")
def read_latest(
    conn: ConnDep, _: CurrentUser, device_id: DeviceIds = None, asset_id: AssetId = None
) -> list[LatestValue]:
    return telemetry_service.latest(conn, device_ids=device_id, asset_id=asset_id)


@router.get("/window", summary="One device's metrics over [start, end), raw or rolled up", responses=NOT_FOUND)
def read_window(
    *,
    conn: ConnDep,
    _: CurrentUser,
    device_id: DeviceId,
    start: Start,
    end: End,
    metric: Metrics = None,
    resolution: Resolution = "raw",
    max_points: MaxPoints = None,
) -> list[Point]:
    device_by_id(conn, device_id)
    return telemetry_service.window(
        conn, device_id=device_id, start=start, end=end, metrics=metric, resolution=resolution, max_points=max_points
    )


@router.get("/fleet", summary="A metric across a tenant's fleet per bucket and device type (1m or 1h)")
def read_fleet(
    *,
    conn: ConnDep,
    _: CurrentUser,
    tenant: Tenant,
    metric: MetricName,
    start: Start,
    end: End,
    resolution: Resolution = "1h",
) -> list[FleetPoint]:
    return telemetry_service.fleet_rollup(
        conn, tenant=tenant, metric=metric, start=start, end=end, resolution=resolution
    )
