"""HTTP routes of work in the field: lines, checklist tasks, time entries and attachments of a work order."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from service_core.api.deps import ConnDep, CurrentUser, FieldWorker, PortalReader
from service_core.api.errors import ErrorBody, Responses
from service_core.api.transactions import TransactionalRoute
from service_core.work_orders import execution
from service_core.work_orders.schemas import (
    AttachmentCreate,
    AttachmentPublic,
    LineCreate,
    LinePublic,
    LineUpdate,
    TaskCreate,
    TaskPublic,
    TaskRecord,
    TimeEntryCreate,
    TimeEntryPublic,
)

execution_router = APIRouter(route_class=TransactionalRoute)

WorkOrderId = Annotated[int, Path(ge=1, le=2**63 - 1, description="id of the work order")]
ChildId = Annotated[int, Path(ge=1, le=2**63 - 1)]
FIELD: Responses = {
    403: {"model": ErrorBody, "description": "A technician not booked on this work order"},
    404: {"model": ErrorBody, "description": "No such work order, line or task"},
    409: {"model": ErrorBody, "description": "The work order is posted or canceled; overlapping time"},
}


@execution_router.get("/{work_order_id}/lines", responses=FIELD)
def list_lines(conn: ConnDep, _: PortalReader, work_order_id: WorkOrderId) -> list[LinePublic]:
    return execution.list_lines(conn, work_order_id=work_order_id)


@execution_router.post("/{work_order_id}/lines", status_code=status.HTTP_201_CREATED, responses=FIELD)
def add_line(conn: ConnDep, principal: FieldWorker, work_order_id: WorkOrderId, line_in: LineCreate) -> LinePublic:
    return execution.add_line(conn, work_order_id=work_order_id, line_in=line_in, principal=principal)


@execution_router.patch("/{work_order_id}/lines/{line_id}", responses=FIELD)
def update_line(
    conn: ConnDep, principal: FieldWorker, work_order_id: WorkOrderId, line_id: ChildId, line_in: LineUpdate
) -> LinePublic:
    return execution.update_line(
        conn, work_order_id=work_order_id, line_id=line_id, line_in=line_in, principal=principal
    )


@execution_router.get("/{work_order_id}/tasks", responses=FIELD)
def list_tasks(conn: ConnDep, _: PortalReader, work_order_id: WorkOrderId) -> list[TaskPublic]:
    return execution.list_tasks(conn, work_order_id=work_order_id)


@execution_router.post("/{work_order_id}/tasks", status_code=status.HTTP_201_CREATED, responses=FIELD)
def add_task(conn: ConnDep, principal: FieldWorker, work_order_id: WorkOrderId, task_in: TaskCreate) -> TaskPublic:
    return execution.add_task(conn, work_order_id=work_order_id, task_in=task_in, principal=principal)


@execution_router.put("/{work_order_id}/tasks/{task_id}/result", responses=FIELD, summary="Record a checklist result")
def record_task(
    conn: ConnDep, principal: FieldWorker, work_order_id: WorkOrderId, task_id: ChildId, task_in: TaskRecord
) -> TaskPublic:
    return execution.record_task(
        conn, work_order_id=work_order_id, task_id=task_id, task_in=task_in, principal=principal
    )


@execution_router.get("/{work_order_id}/time-entries", responses=FIELD)
def list_time_entries(conn: ConnDep, _: CurrentUser, work_order_id: WorkOrderId) -> list[TimeEntryPublic]:
    return execution.list_time_entries(conn, work_order_id=work_order_id)


@execution_router.post("/{work_order_id}/time-entries", status_code=status.HTTP_201_CREATED, responses=FIELD)
def add_time_entry(
    conn: ConnDep, principal: FieldWorker, work_order_id: WorkOrderId, entry_in: TimeEntryCreate
) -> TimeEntryPublic:
    return execution.add_time_entry(conn, work_order_id=work_order_id, entry_in=entry_in, principal=principal)


@execution_router.get("/{work_order_id}/attachments", responses=FIELD)
def list_attachments(conn: ConnDep, _: CurrentUser, work_order_id: WorkOrderId) -> list[AttachmentPublic]:
    return execution.list_attachments(conn, work_order_id=work_order_id)


@execution_router.post("/{work_order_id}/attachments", status_code=status.HTTP_201_CREATED, responses=FIELD)
def add_attachment(
    conn: ConnDep, principal: FieldWorker, work_order_id: WorkOrderId, attachment_in: AttachmentCreate
) -> AttachmentPublic:
    return execution.add_attachment(conn, work_order_id=work_order_id, attachment_in=attachment_in, principal=principal)
