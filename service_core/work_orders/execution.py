"""Doing the work: lines (services and parts), checklist tasks, time entries and attachments."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import class_row

from service_core.auth.domain import Principal
from service_core.exceptions import Conflict, InvalidInput, NotFound
from service_core.work_orders import domain, queries
from service_core.work_orders.access import field_resource, is_supervisor
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

_LINE_COLUMNS = queries.LINE_COLUMNS
_TASK_COLUMNS = "id, work_order_id, position, description, result, notes, done_at, done_by"
_TIME_COLUMNS = "id, work_order_id, booking_id, resource_id, kind, started_at, ended_at, notes"
_ATTACHMENT_COLUMNS = "id, work_order_id, url, title, added_by, added_at"


def _open_for(conn: psycopg.Connection, work_order_id: int, principal: Principal, what: str) -> int | None:
    """Lock the order, refuse a frozen one (409) or a technician not booked on it (403); the technician's resource."""
    work_order = queries.fetch(conn, work_order_id, lock=True)
    domain.ensure_editable(work_order.status, what)
    return field_resource(conn, work_order_id=work_order_id, principal=principal)


def _one(conn: psycopg.Connection, row_type: type[Any], sql: str, params: Any) -> Any:
    with conn.cursor(row_factory=class_row(row_type)) as cur:
        cur.execute(sql, params)
        return cur.fetchone()


def _all(conn: psycopg.Connection, row_type: type[Any], sql: str, params: Any) -> list[Any]:
    with conn.cursor(row_factory=class_row(row_type)) as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def add_line(conn: psycopg.Connection, *, work_order_id: int, line_in: LineCreate, principal: Principal) -> LinePublic:
    """A service or product line; billing prices it later unless a unit price is given."""
    own_resource = _open_for(conn, work_order_id, principal, "take new lines")
    to_bill = domain.billable_quantity(
        line_in.quantity, line_in.quantity_to_bill, may_override=is_supervisor(principal)
    )
    try:
        line: LinePublic = _one(
            conn,
            LinePublic,
            f"""
            INSERT INTO work.lines (work_order_id, item_id, kind, description, line_status, quantity,
                quantity_to_bill, unit_price, unit_cost, resource_id)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s,
                coalesce((SELECT unit_cost FROM catalog.items WHERE id = %s), 0), %s)
            RETURNING {_LINE_COLUMNS}
            """,
            (
                work_order_id,
                line_in.item_id,
                line_in.kind,
                line_in.description,
                line_in.line_status,
                line_in.quantity,
                to_bill,
                line_in.unit_price,
                line_in.item_id,
                line_in.resource_id or own_resource,
            ),
        )
    except psycopg.errors.ForeignKeyViolation as exc:
        raise InvalidInput(f"unknown reference: {exc.diag.message_detail}") from exc
    return line


def update_line(
    conn: psycopg.Connection, *, work_order_id: int, line_id: int, line_in: LineUpdate, principal: Principal
) -> LinePublic:
    """Mark a line used, correct its quantity, what to bill (≤ quantity unless a dispatcher) or its price."""
    _open_for(conn, work_order_id, principal, "change its lines")
    current: LinePublic | None = _one(
        conn,
        LinePublic,
        f"SELECT {_LINE_COLUMNS} FROM work.lines WHERE id = %s AND work_order_id = %s",
        (line_id, work_order_id),
    )
    if current is None:
        raise NotFound(f"line {line_id} is not on work order {work_order_id}")
    changes = line_in.model_dump(exclude_unset=True)
    quantity = changes.get("quantity", current.quantity)
    to_bill = changes.get("quantity_to_bill")
    if to_bill is None:
        to_bill = quantity if "quantity" in changes else min(current.quantity_to_bill, quantity)
    changes["quantity_to_bill"] = domain.billable_quantity(quantity, to_bill, may_override=is_supervisor(principal))
    assignments = ", ".join(f"{column} = %({column})s" for column in changes)
    line: LinePublic = _one(
        conn,
        LinePublic,
        f"UPDATE work.lines SET {assignments} WHERE id = %(_id)s RETURNING {_LINE_COLUMNS}",
        {**changes, "_id": line_id},
    )
    return line


def list_lines(conn: psycopg.Connection, *, work_order_id: int) -> list[LinePublic]:
    queries.fetch(conn, work_order_id)
    sql = f"SELECT {_LINE_COLUMNS} FROM work.lines WHERE work_order_id = %s ORDER BY id"
    return _all(conn, LinePublic, sql, (work_order_id,))


def list_tasks(conn: psycopg.Connection, *, work_order_id: int) -> list[TaskPublic]:
    queries.fetch(conn, work_order_id)
    sql = f"SELECT {_TASK_COLUMNS} FROM work.tasks WHERE work_order_id = %s ORDER BY position"
    return _all(conn, TaskPublic, sql, (work_order_id,))


def add_task(conn: psycopg.Connection, *, work_order_id: int, task_in: TaskCreate, principal: Principal) -> TaskPublic:
    """A checklist task appended at the end."""
    _open_for(conn, work_order_id, principal, "take new tasks")
    task: TaskPublic = _one(
        conn,
        TaskPublic,
        f"""
        INSERT INTO work.tasks (work_order_id, position, description)
        SELECT %(wo)s, coalesce(max(position), 0) + 1, %(d)s FROM work.tasks WHERE work_order_id = %(wo)s
        RETURNING {_TASK_COLUMNS}
        """,
        {"wo": work_order_id, "d": task_in.description},
    )
    return task


def record_task(
    conn: psycopg.Connection, *, work_order_id: int, task_id: int, task_in: TaskRecord, principal: Principal
) -> TaskPublic:
    """Record a checklist result (pass, fail, not applicable) with notes, who and when."""
    own_resource = _open_for(conn, work_order_id, principal, "change its checklist")
    task: TaskPublic | None = _one(
        conn,
        TaskPublic,
        f"""
        UPDATE work.tasks SET result = %s, notes = %s, done_at = %s, done_by = %s
        WHERE id = %s AND work_order_id = %s RETURNING {_TASK_COLUMNS}
        """,
        (task_in.result, task_in.notes, datetime.now(UTC), own_resource, task_id, work_order_id),
    )
    if task is None:
        raise NotFound(f"task {task_id} is not on work order {work_order_id}")
    return task


def add_time_entry(
    conn: psycopg.Connection, *, work_order_id: int, entry_in: TimeEntryCreate, principal: Principal
) -> TimeEntryPublic:
    """Work, travel or a break; one resource never records two overlapping entries (the database refuses)."""
    own_resource = _open_for(conn, work_order_id, principal, "take time entries")
    resource_id = own_resource or entry_in.resource_id
    if resource_id is None:
        raise InvalidInput("resource_id is required when a dispatcher records time")
    if (
        entry_in.booking_id is not None
        and not conn.execute(
            "SELECT 1 FROM work.bookings WHERE id = %s AND work_order_id = %s", (entry_in.booking_id, work_order_id)
        ).fetchone()
    ):
        raise InvalidInput(f"booking {entry_in.booking_id} is not on work order {work_order_id}")
    try:
        entry: TimeEntryPublic = _one(
            conn,
            TimeEntryPublic,
            f"""
            INSERT INTO work.time_entries (work_order_id, booking_id, resource_id, kind, started_at, ended_at, notes)
            VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING {_TIME_COLUMNS}
            """,
            (
                work_order_id,
                entry_in.booking_id,
                resource_id,
                entry_in.kind,
                entry_in.started_at,
                entry_in.ended_at,
                entry_in.notes,
            ),
        )
    except psycopg.errors.ExclusionViolation as exc:
        raise Conflict(f"resource {resource_id} already has time recorded that overlaps this entry") from exc
    except psycopg.errors.ForeignKeyViolation as exc:
        raise InvalidInput(f"unknown reference: {exc.diag.message_detail}") from exc
    return entry


def list_time_entries(conn: psycopg.Connection, *, work_order_id: int) -> list[TimeEntryPublic]:
    queries.fetch(conn, work_order_id)
    sql = f"SELECT {_TIME_COLUMNS} FROM work.time_entries WHERE work_order_id = %s ORDER BY started_at, id"
    return _all(conn, TimeEntryPublic, sql, (work_order_id,))


def add_attachment(
    conn: psycopg.Connection, *, work_order_id: int, attachment_in: AttachmentCreate, principal: Principal
) -> AttachmentPublic:
    """A photo or document by URL."""
    _open_for(conn, work_order_id, principal, "take attachments")
    attachment: AttachmentPublic = _one(
        conn,
        AttachmentPublic,
        f"INSERT INTO work.attachments (work_order_id, url, title, added_by) VALUES (%s, %s, %s, %s) "
        f"RETURNING {_ATTACHMENT_COLUMNS}",
        (work_order_id, attachment_in.url, attachment_in.title, principal.actor),
    )
    return attachment


def list_attachments(conn: psycopg.Connection, *, work_order_id: int) -> list[AttachmentPublic]:
    queries.fetch(conn, work_order_id)
    sql = f"SELECT {_ATTACHMENT_COLUMNS} FROM work.attachments WHERE work_order_id = %s ORDER BY id"
    return _all(conn, AttachmentPublic, sql, (work_order_id,))
