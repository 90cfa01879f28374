"""Read-side queries of assets: the hierarchy walked up and down, and the devices that instrument an asset."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import class_row

from service_core.assets.schemas import AssetPublic, LinkedDevicePublic

COLUMNS = (
    "id, account_id, location_id, parent_id, level, asset_type_id, name, model, serial_number, ownership, "
    "install_date, warranty_end, criticality, status, run_hours, created_at, updated_at"
)


def ancestors(conn: psycopg.Connection, asset_id: int) -> list[int]:
    """`asset_id`, its parent, the parent's parent ... up to the top (stops if the data ever had a cycle)."""
    rows = conn.execute(
        """
        WITH RECURSIVE up (id, parent_id, depth, path) AS (
            SELECT id, parent_id, 0, ARRAY[id] FROM assets.assets WHERE id = %s
            UNION ALL
            SELECT a.id, a.parent_id, up.depth + 1, up.path || a.id
            FROM assets.assets a JOIN up ON a.id = up.parent_id
            WHERE NOT a.id = ANY(up.path)
        )
        SELECT id FROM up ORDER BY depth
        """,
        (asset_id,),
    ).fetchall()
    return [int(r[0]) for r in rows]


def subtree(conn: psycopg.Connection, asset_id: int) -> list[AssetPublic]:
    """`asset_id` and everything below it."""
    columns = ", ".join(f"a.{c.strip()}" for c in COLUMNS.split(","))
    with conn.cursor(row_factory=class_row(AssetPublic)) as cur:
        cur.execute(
            f"""
            WITH RECURSIVE down (id, path) AS (
                SELECT id, ARRAY[id] FROM assets.assets WHERE id = %s
                UNION ALL
                SELECT a.id, down.path || a.id FROM assets.assets a JOIN down ON a.parent_id = down.id
                WHERE NOT a.id = ANY(down.path)
            )
            SELECT {columns} FROM assets.assets a JOIN down USING (id) ORDER BY a.id
            """,
            (asset_id,),
        )
        return cur.fetchall()


def children(conn: psycopg.Connection, asset_id: int) -> list[AssetPublic]:
    with conn.cursor(row_factory=class_row(AssetPublic)) as cur:
        cur.execute(f"SELECT {COLUMNS} FROM assets.assets WHERE parent_id = %s ORDER BY name, id", (asset_id,))
        return cur.fetchall()


def child_levels(conn: psycopg.Connection, asset_id: int) -> list[str]:
    """The levels of the asset's children, which are locked against being moved meanwhile."""
    rows = conn.execute("SELECT level FROM assets.assets WHERE parent_id = %s FOR SHARE", (asset_id,)).fetchall()
    return [str(r[0]) for r in rows]


def linked_devices(conn: psycopg.Connection, asset_id: int) -> list[LinkedDevicePublic]:
    """The registry's devices that instrument the asset."""
    with conn.cursor(row_factory=class_row(LinkedDevicePublic)) as cur:
        cur.execute(
            "SELECT id, tenant, device_key, device_type, status, last_seen_at FROM fleet.devices "
            "WHERE asset_id = %s ORDER BY tenant, device_key",
            (asset_id,),
        )
        return cur.fetchall()


def page(
    conn: psycopg.Connection, filters: dict[str, Any], *, limit: int, offset: int
) -> tuple[list[AssetPublic], int]:
    """One page of assets by name matching `filters` (keys as in `list_assets`), and how many match."""
    params = {**filters, "limit": limit, "offset": offset}
    where = """
        WHERE (%(account_id)s::int IS NULL OR account_id = %(account_id)s)
          AND (%(location_id)s::int IS NULL OR location_id = %(location_id)s)
          AND (%(asset_type_id)s::int IS NULL OR asset_type_id = %(asset_type_id)s)
          AND (%(parent_id)s::bigint IS NULL OR parent_id = %(parent_id)s)
          AND (%(level)s::text IS NULL OR level = %(level)s)
          AND (%(criticality)s::text IS NULL OR criticality = %(criticality)s)
          AND (%(ownership)s::text IS NULL OR ownership = %(ownership)s)
          AND (%(status)s::text IS NULL OR status = %(status)s)
          AND (%(q)s::text IS NULL OR name ILIKE %(q)s OR serial_number ILIKE %(q)s OR model ILIKE %(q)s)
    """
    total = conn.execute(f"SELECT count(*) FROM assets.assets {where}", params).fetchone()
    with conn.cursor(row_factory=class_row(AssetPublic)) as cur:
        cur.execute(
            f"SELECT {COLUMNS} FROM assets.assets {where} ORDER BY lower(name), id LIMIT %(limit)s OFFSET %(offset)s",
            params,
        )
        return cur.fetchall(), int(total[0]) if total else 0
