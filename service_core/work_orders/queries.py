"""Reading work orders: one row, a locked row, the bookings' statuses, and index-backed pages of the list."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import class_row

from service_core.db.like import contains_pattern
from service_core.exceptions import NotFound
from service_core.work_orders.schemas import WorkOrderListQuery, WorkOrderPublic

COLUMNS = (
    "id, number, account_id, billing_account_id, location_id, asset_id, incident_type_id, work_type, priority, "
    "source, status, summary, description, agreement_id, pm_plan_id, pm_due_date, parent_id, condition_id, "
    "estimated_minutes, window_start, window_end, sla_target_id, response_due_at, resolution_due_at, "
    "responded_at, completed_at, posted_at, posted_by, posted_by_actor, canceled_at, cancel_reason, resolution_code, "
    "resolution_notes, created_by, created_at, updated_at, version"
)
LINE_COLUMNS = (
    "id, work_order_id, item_id, kind, description, line_status, quantity, quantity_to_bill, unit_price, "
    "unit_cost, resource_id, created_at"
)
COLUMN_NAMES = tuple(COLUMNS.split(", "))
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


def page(conn: psycopg.Connection, f: WorkOrderListQuery) -> tuple[list[dict[str, Any]], int, bool]:
    """Newest first: the page's rows (column → value, as `WorkOrderPublic` names them), the total counted up to
    limit + offset + COUNT_SLACK rows, and whether that total is exact (below the cap); one statement.

    The page's ids are chosen first from the narrow (filter column, id) index alone, then their rows are read: asked
    for "newest first where status = X" directly, the planner walks the primary key backwards and filters, which
    reads thousands of rows once recent orders (all of another status) pile up on top.  Rows come back in binary
    as plain tuples: the list is the hottest read, and building a model per row cost more than the query."""
    where, params = _where(f)
    cap = f.limit + f.offset + COUNT_SLACK
    with conn.cursor(binary=True) as cur:
        cur.execute(
            f"""
            WITH counted AS (SELECT count(*) AS n FROM (SELECT 1 FROM work.work_orders {where} LIMIT %(cap)s) AS c),
                 page_ids AS (
                     SELECT id FROM work.work_orders {where} ORDER BY id DESC LIMIT %(limit)s OFFSET %(offset)s
                 )
            SELECT counted.n, page.* FROM counted
            LEFT JOIN LATERAL (
                SELECT {COLUMNS} FROM work.work_orders WHERE id IN (SELECT id FROM page_ids)
            ) AS page ON true
            ORDER BY page.id DESC
            """,
            {**params, "limit": f.limit, "offset": f.offset, "cap": cap},
        )
        rows = cur.fetchall()
    total = int(rows[0][0]) if rows else 0
    items = [dict(zip(COLUMN_NAMES, row[1:], strict=True)) for row in rows if row[1] is not None]
    return items, total, total < cap
