"""Reading work orders: one row, a locked row, the bookings' statuses, and index-backed pages of the list (rendered
as JSON by PostgreSQL)."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import class_row

from service_core.db.json_sql import json_columns
from service_core.db.like import contains_pattern
from service_core.exceptions import NotFound
from service_core.work_orders.schemas import WorkOrderListQuery, WorkOrderPublic

COLUMNS = (
    "id, number, account_id, billing_account_id, location_id, asset_id, incident_type_id, work_type, priority, "
    "source, status, summary, description, agreement_id, pm_plan_id, pm_due_date, parent_id, condition_id, "
    "estimated_minutes, window_start, window_end, sla_target_id, response_due_at, resolution_due_at, "
    "responded_at, completed_at, posted_at, posted_by, canceled_at, cancel_reason, resolution_code, "
    "resolution_notes, created_by, created_at, updated_at, version"
)
LINE_COLUMNS = (
    "id, work_order_id, item_id, kind, description, line_status, quantity, quantity_to_bill, unit_price, "
    "unit_cost, resource_id, created_at"
)
TIMESTAMP_COLUMNS = (
    "window_start", "window_end", "response_due_at", "resolution_due_at", "responded_at", "completed_at",
    "posted_at", "canceled_at", "created_at", "updated_at",
)  # fmt: skip
JSON_COLUMNS = json_columns(COLUMNS.split(", "), timestamps=TIMESTAMP_COLUMNS)
COUNT_SLACK = 1000  # a list counts at most limit + offset + this many rows


def fetch(conn: psycopg.Connection, work_order_id: int, *, lock: bool = False) -> WorkOrderPublic:
    """The work order (locked for update if asked), or `NotFound`."""
    suffix = " FOR UPDATE" if lock else ""
    with conn.cursor(row_factory=class_row(WorkOrderPublic)) as cur:
        cur.execute(f"SELECT {COLUMNS} FROM work.work_orders WHERE id = %s{suffix}", (work_order_id,))
        work_order = cur.fetchone()
    if work_order is None:
        raise NotFound(f"work order {work_order_id} does not exist")
    return work_order


def update(conn: psycopg.Connection, work_order_id: int, changes: dict[str, Any]) -> WorkOrderPublic:
    """Apply `changes` (column → value), bump the version and return the new row."""
    assignments = ", ".join(f"{column} = %({column})s" for column in changes)
    with conn.cursor(row_factory=class_row(WorkOrderPublic)) as cur:
        cur.execute(
            f"UPDATE work.work_orders SET {assignments}, version = version + 1, updated_at = now() "
            f"WHERE id = %(_id)s RETURNING {COLUMNS}",
            {**changes, "_id": work_order_id},
        )
        work_order = cur.fetchone()
    assert work_order is not None
    return work_order


def booking_statuses(conn: psycopg.Connection, work_order_id: int) -> list[str]:
    rows = conn.execute("SELECT status FROM work.bookings WHERE work_order_id = %s", (work_order_id,)).fetchall()
    return [str(status) for (status,) in rows]


def _where(f: WorkOrderListQuery) -> tuple[str, dict[str, Any]]:
    """Only the conditions that are set, so the planner sees plain equalities it can match to an index."""
    clauses, params = [], {}
    for column in ("status", "priority", "account_id", "asset_id", "source"):
        value = getattr(f, column)
        if value is not None:
            clauses.append(f"{column} = %({column})s")
            params[column] = value
    if f.created_from is not None:
        clauses.append("created_at >= %(created_from)s")
        params["created_from"] = f.created_from
    if f.created_to is not None:
        clauses.append("created_at < %(created_to)s")
        params["created_to"] = f.created_to
    if f.search:
        clauses.append("(summary ILIKE %(search)s OR number = %(number)s)")
        params["search"], params["number"] = contains_pattern(f.search), f.search.upper()
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def page_json(conn: psycopg.Connection, f: WorkOrderListQuery) -> str:
    """A `WorkOrderPage` as JSON text, rendered by PostgreSQL in one statement: newest first; the total is counted
    up to limit + offset + COUNT_SLACK rows (exact when below the cap).

    The page's ids are chosen first from the narrow (filter column, id) index alone, then their rows are read: asked
    for "newest first where status = X" directly, the planner walks the primary key backwards and filters, which
    reads thousands of rows once recent orders (all of another status) pile up on top.  The rows are written as
    JSON by the server (see `service_core.db.json_sql`), so the API passes one text value through instead of
    parsing 36 columns per row, building a model per row and serializing it all again."""
    where, params = _where(f)
    row = conn.execute(
        f"""
        WITH counted AS (SELECT count(*) AS n FROM (SELECT 1 FROM work.work_orders {where} LIMIT %(cap)s) AS c),
             page_ids AS (
                 SELECT id FROM work.work_orders {where} ORDER BY id DESC LIMIT %(limit)s OFFSET %(offset)s
             )
        SELECT json_build_object(
            'items', coalesce((
                SELECT json_agg(p ORDER BY p.id DESC) FROM (
                    SELECT {JSON_COLUMNS} FROM work.work_orders WHERE id IN (SELECT id FROM page_ids)
                ) AS p), '[]'::json),
            'total', counted.n, 'limit', %(limit)s::int, 'offset', %(offset)s::int,
            'total_is_exact', counted.n < %(cap)s::int
        )::text
        FROM counted
        """,
        {**params, "limit": f.limit, "offset": f.offset, "cap": f.limit + f.offset + COUNT_SLACK},
    ).fetchone()
    assert row is not None
    return str(row[0])
