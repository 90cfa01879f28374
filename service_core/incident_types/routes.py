"""HTTP routes of incident types (templates of work): any role reads, admin and dispatcher write."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from service_core.api.deps import ConnDep, CurrentUser, Dispatcher
from service_core.api.errors import ERROR_RESPONSES
from service_core.api.transactions import TransactionalRoute
from service_core.incident_types import service
from service_core.incident_types.schemas import IncidentTypeIn, IncidentTypePublic, WorkType

router = APIRouter(
    route_class=TransactionalRoute, prefix="/incident-types", tags=["incident types"], responses=ERROR_RESPONSES
)

IncidentTypeId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("", summary="Incident types by code")
def list_incident_types(conn: ConnDep, _: CurrentUser, work_type: WorkType | None = None) -> list[IncidentTypePublic]:
    return service.list_all(conn, work_type=work_type)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_incident_type(conn: ConnDep, _: Dispatcher, incident_type_in: IncidentTypeIn) -> IncidentTypePublic:
    return service.create(conn, incident_type_in=incident_type_in)


@router.get("/{incident_type_id}")
def read_incident_type(conn: ConnDep, _: CurrentUser, incident_type_id: IncidentTypeId) -> IncidentTypePublic:
    return service.get(conn, incident_type_id=incident_type_id)


@router.put("/{incident_type_id}", summary="Replace the template (work orders made before keep their copy)")
def replace_incident_type(
    conn: ConnDep, _: Dispatcher, incident_type_id: IncidentTypeId, incident_type_in: IncidentTypeIn
) -> IncidentTypePublic:
    return service.replace(conn, incident_type_id=incident_type_id, incident_type_in=incident_type_in)


@router.delete("/{incident_type_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_incident_type(conn: ConnDep, _: Dispatcher, incident_type_id: IncidentTypeId) -> Response:
    service.delete(conn, incident_type_id=incident_type_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
