"""HTTP routes of resources: territories, skills, resources with skills, working hours, time off, availability."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from service_core.api.deps import ConnDep, CurrentUser, Dispatcher
from service_core.api.errors import ERROR_RESPONSES, ErrorBody, Responses
from service_core.api.pagination import Limit, Offset, Page
from service_core.api.transactions import TransactionalRoute
from service_core.resources import catalogs
from service_core.resources import service as resources_service
from service_core.resources.schemas import (
    Interval,
    ResourceCreate,
    ResourceKind,
    ResourcePublic,
    ResourceSkillIn,
    ResourceSkillPublic,
    ResourceUpdate,
    ShiftIn,
    ShiftPublic,
    SkillCreate,
    SkillPublic,
    TerritoryCreate,
    TerritoryPublic,
    TimeOffCreate,
    TimeOffPublic,
)

router = APIRouter(route_class=TransactionalRoute, prefix="/resources", tags=["resources"], responses=ERROR_RESPONSES)

RowIdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
NOT_FOUND: Responses = {404: {"model": ErrorBody, "description": "No such resource, territory or time off"}}
CONFLICT: Responses = {**NOT_FOUND, 409: {"model": ErrorBody, "description": "Conflicts with stored data"}}


@router.get("/territories")
def list_territories(conn: ConnDep, _: CurrentUser) -> list[TerritoryPublic]:
    return catalogs.list_territories(conn)


@router.post("/territories", status_code=status.HTTP_201_CREATED, responses=CONFLICT)
def create_territory(conn: ConnDep, _: Dispatcher, territory_in: TerritoryCreate) -> TerritoryPublic:
    return catalogs.create_territory(conn, territory_in=territory_in)


@router.put("/territories/{territory_id}", responses=CONFLICT, summary="Rename a territory")
def rename_territory(
    conn: ConnDep, _: Dispatcher, territory_id: RowIdPath, territory_in: TerritoryCreate
) -> TerritoryPublic:
    return catalogs.rename_territory(conn, territory_id=territory_id, territory_in=territory_in)


@router.delete("/territories/{territory_id}", status_code=status.HTTP_204_NO_CONTENT, responses=CONFLICT)
def delete_territory(conn: ConnDep, _: Dispatcher, territory_id: RowIdPath) -> Response:
    catalogs.delete_territory(conn, territory_id=territory_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/skills")
def list_skills(conn: ConnDep, _: CurrentUser) -> list[SkillPublic]:
    return catalogs.list_skills(conn)


@router.post("/skills", status_code=status.HTTP_201_CREATED, responses=CONFLICT)
def create_skill(conn: ConnDep, _: Dispatcher, skill_in: SkillCreate) -> SkillPublic:
    return catalogs.create_skill(conn, skill_in=skill_in)


@router.get("", summary="List resources: search by name, filter by kind, territory, skill")
def list_resources(
    conn: ConnDep,
    _: CurrentUser,
    *,
    q: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    kind: ResourceKind | None = None,
    territory_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    skill_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    is_active: bool | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ResourcePublic]:
    items, total = resources_service.list_resources(
        conn,
        search=q,
        kind=kind,
        territory_id=territory_id,
        skill_id=skill_id,
        is_active=is_active,
        limit=limit,
        offset=offset,
    )
    return Page[ResourcePublic](items=items, total=total, limit=limit, offset=offset)


@router.post("", status_code=status.HTTP_201_CREATED, responses=CONFLICT, summary="Create (admin, dispatcher)")
def create_resource(conn: ConnDep, _: Dispatcher, resource_in: ResourceCreate) -> ResourcePublic:
    return resources_service.create_resource(conn, resource_in=resource_in)


@router.get("/{resource_id}", responses=NOT_FOUND)
def read_resource(conn: ConnDep, _: CurrentUser, resource_id: RowIdPath) -> ResourcePublic:
    return resources_service.get_resource(conn, resource_id=resource_id)


@router.patch("/{resource_id}", responses=CONFLICT)
def update_resource(
    conn: ConnDep, _: Dispatcher, resource_id: RowIdPath, resource_in: ResourceUpdate
) -> ResourcePublic:
    return resources_service.update_resource(conn, resource_id=resource_id, resource_in=resource_in)


@router.put("/{resource_id}/skills", responses=NOT_FOUND, summary="Replace the resource's skills")
def replace_skills(
    conn: ConnDep, _: Dispatcher, resource_id: RowIdPath, skills_in: list[ResourceSkillIn]
) -> list[ResourceSkillPublic]:
    return resources_service.replace_skills(conn, resource_id=resource_id, skills_in=skills_in)


@router.get("/{resource_id}/working-hours", responses=NOT_FOUND)
def read_working_hours(conn: ConnDep, _: CurrentUser, resource_id: RowIdPath) -> list[ShiftPublic]:
    return resources_service.working_hours(conn, resource_id=resource_id)


@router.put("/{resource_id}/working-hours", responses=NOT_FOUND, summary="Replace the resource's working week")
def replace_working_hours(
    conn: ConnDep, _: Dispatcher, resource_id: RowIdPath, shifts_in: list[ShiftIn]
) -> list[ShiftPublic]:
    return resources_service.replace_working_hours(conn, resource_id=resource_id, shifts_in=shifts_in)


@router.get("/{resource_id}/time-off", responses=NOT_FOUND)
def list_time_off(conn: ConnDep, _: CurrentUser, resource_id: RowIdPath) -> list[TimeOffPublic]:
    return resources_service.list_time_off(conn, resource_id=resource_id)


@router.post("/{resource_id}/time-off", status_code=status.HTTP_201_CREATED, responses=NOT_FOUND)
def add_time_off(conn: ConnDep, _: Dispatcher, resource_id: RowIdPath, time_off_in: TimeOffCreate) -> TimeOffPublic:
    return resources_service.add_time_off(conn, resource_id=resource_id, time_off_in=time_off_in)


@router.delete("/{resource_id}/time-off/{time_off_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
def delete_time_off(conn: ConnDep, _: Dispatcher, resource_id: RowIdPath, time_off_id: RowIdPath) -> Response:
    resources_service.delete_time_off(conn, resource_id=resource_id, time_off_id=time_off_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{resource_id}/availability", responses=NOT_FOUND, summary="When the resource works on a local day")
def read_availability(
    conn: ConnDep,
    _: CurrentUser,
    resource_id: RowIdPath,
    day: Annotated[date, Query(ge=date(2000, 1, 1), le=date(2999, 12, 31), description="a local day")],
) -> list[Interval]:
    spans = resources_service.availability(conn, resource_id=resource_id, day=day)
    return [Interval(start=start, end=end) for start, end in spans]
