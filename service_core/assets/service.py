"""Asset use cases.  Functions take an open connection; the caller owns the transaction.

Other domains call `get_asset`, `record_meter_reading`, `periods_due`, `lock_periods_to_invoice` and
`mark_period_invoiced`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import errors, sql
from psycopg.rows import class_row

from service_core.accounts import service as accounts_service
from service_core.assets import domain, lease_service, meters, queries
from service_core.assets.lease_schemas import LeasePeriodPublic
from service_core.assets.queries import COLUMNS
from service_core.assets.schemas import (
    AssetCreate,
    AssetNode,
    AssetPublic,
    AssetTypeCreate,
    AssetTypePublic,
    AssetUpdate,
    LinkedDevicePublic,
    MeterReadingPublic,
)
from service_core.db.like import contains_pattern
from service_core.exceptions import Conflict, InvalidInput, NotFound


def create_asset_type(conn: psycopg.Connection, *, asset_type_in: AssetTypeCreate) -> AssetTypePublic:
    """Create an asset type; `Conflict` if the code is taken."""
    with conn.cursor(row_factory=class_row(AssetTypePublic)) as cur:
        asset_type = cur.execute(
            "INSERT INTO assets.asset_types (code, name) VALUES (%s, %s) ON CONFLICT (code) DO NOTHING "
            "RETURNING id, code, name",
            (asset_type_in.code, asset_type_in.name),
        ).fetchone()
    if asset_type is None:
        raise Conflict(f"asset type {asset_type_in.code!r} exists")
    return asset_type


def list_asset_types(conn: psycopg.Connection) -> list[AssetTypePublic]:
    with conn.cursor(row_factory=class_row(AssetTypePublic)) as cur:
        return cur.execute("SELECT id, code, name FROM assets.asset_types ORDER BY code").fetchall()


def create_asset(conn: psycopg.Connection, *, asset_in: AssetCreate) -> AssetPublic:
    """Create an asset in the hierarchy; `InvalidInput` with the reason for a wrong account, location or parent."""
    _ensure_account(conn, asset_in.account_id)
    _ensure_location(conn, asset_in.location_id, asset_in.account_id)
    _ensure_parent(
        conn, asset_id=None, level=asset_in.level, parent_id=asset_in.parent_id, account_id=asset_in.account_id
    )
    values = asset_in.model_dump()
    query = sql.SQL("INSERT INTO assets.assets ({}) VALUES ({}) RETURNING {}").format(
        sql.SQL(", ").join(sql.Identifier(k) for k in values),
        sql.SQL(", ").join(sql.Placeholder(k) for k in values),
        sql.SQL(COLUMNS),
    )
    asset = _write(conn, query, values)
    assert asset is not None
    return asset


def get_asset(conn: psycopg.Connection, *, asset_id: int) -> AssetPublic:
    """The asset with this id; `NotFound` if there is none."""
    with conn.cursor(row_factory=class_row(AssetPublic)) as cur:
        asset = cur.execute(f"SELECT {COLUMNS} FROM assets.assets WHERE id = %s", (asset_id,)).fetchone()
    if asset is None:
        raise NotFound(f"asset {asset_id} does not exist")
    return asset


def update_asset(conn: psycopg.Connection, *, asset_id: int, asset_in: AssetUpdate) -> AssetPublic:
    """Change the fields sent; a new level or parent must keep the hierarchy valid (and free of cycles)."""
    changes = asset_in.model_dump(exclude_unset=True)
    current = lock_asset(conn, asset_id=asset_id)
    if not changes:
        return current
    merged = current.model_copy(update=changes)
    if merged.install_date and merged.warranty_end and merged.warranty_end < merged.install_date:
        raise InvalidInput("warranty_end: the warranty ends before the install date")
    if "location_id" in changes:
        _ensure_location(conn, merged.location_id, current.account_id)
    if "level" in changes or "parent_id" in changes:
        _ensure_parent(
            conn, asset_id=asset_id, level=merged.level, parent_id=merged.parent_id, account_id=current.account_id
        )
        if (problem := domain.children_problem(merged.level, queries.child_levels(conn, asset_id))) is not None:
            raise InvalidInput(f"level: {problem}")
    query = sql.SQL("UPDATE assets.assets SET {}, updated_at = now() WHERE id = %(id)s RETURNING {}").format(
        sql.SQL(", ").join(sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in changes),
        sql.SQL(COLUMNS),
    )
    asset = _write(conn, query, {**changes, "id": asset_id})
    assert asset is not None
    return asset


def list_assets(
    conn: psycopg.Connection,
    *,
    account_id: int | None = None,
    location_id: int | None = None,
    asset_type_id: int | None = None,
    parent_id: int | None = None,
    level: str | None = None,
    criticality: str | None = None,
    ownership: str | None = None,
    status: str | None = None,
    search: str | None = None,
    limit: int,
    offset: int,
) -> tuple[list[AssetPublic], int]:
    """One page of assets by name, filtered, and how many match in all."""
    like = contains_pattern(search)
    filters = {
        "account_id": account_id,
        "location_id": location_id,
        "asset_type_id": asset_type_id,
        "parent_id": parent_id,
        "level": level,
        "criticality": criticality,
        "ownership": ownership,
        "status": status,
        "q": like,
    }
    return queries.page(conn, filters, limit=limit, offset=offset)


def asset_children(conn: psycopg.Connection, *, asset_id: int) -> list[AssetPublic]:
    """The assets directly below `asset_id`, by name."""
    get_asset(conn, asset_id=asset_id)
    return queries.children(conn, asset_id)


def asset_tree(conn: psycopg.Connection, *, asset_id: int) -> AssetNode:
    """The asset with everything below it, nested."""
    nodes = {a.id: a for a in queries.subtree(conn, asset_id)}
    if asset_id not in nodes:
        raise NotFound(f"asset {asset_id} does not exist")
    children_of = domain.tree(asset_id, {i: a.parent_id for i, a in nodes.items()})

    def build(node_id: int) -> AssetNode:
        return AssetNode(asset=nodes[node_id], children=[build(c) for c in children_of.get(node_id, [])])

    return build(asset_id)


def asset_devices(conn: psycopg.Connection, *, asset_id: int) -> list[LinkedDevicePublic]:
    """The devices that instrument the asset."""
    get_asset(conn, asset_id=asset_id)
    return queries.linked_devices(conn, asset_id)


def record_meter_reading(
    conn: psycopg.Connection, *, asset_id: int, meter: str, value: Decimal, read_at: datetime, source: str
) -> MeterReadingPublic:
    """Record a reading; `Conflict` if it would make the meter go down; the latest run hours go on the asset."""
    return meters.record(conn, asset_id=asset_id, meter=meter, value=value, read_at=read_at, source=source)


def periods_due(conn: psycopg.Connection, *, through: date) -> list[LeasePeriodPublic]:
    """Lease charges not yet invoiced and due on or before `through`, of leases that were activated."""
    return lease_service.periods_due(conn, through=through)


def lock_periods_to_invoice(
    conn: psycopg.Connection, *, lease_id: int, period_ids: list[int]
) -> list[LeasePeriodPublic]:
    """Those of a lease's charges `period_ids` still not invoiced, read afresh and locked until commit."""
    return lease_service.lock_periods_to_invoice(conn, lease_id=lease_id, period_ids=period_ids)


def mark_period_invoiced(conn: psycopg.Connection, *, period_id: int, invoice_id: int) -> None:
    """Note the invoice that bills a lease charge; `Conflict` if the charge is invoiced already."""
    lease_service.mark_period_invoiced(conn, period_id=period_id, invoice_id=invoice_id)


def lock_asset(conn: psycopg.Connection, *, asset_id: int) -> AssetPublic:
    """The asset, locked for this transaction; `NotFound` if there is none."""
    with conn.cursor(row_factory=class_row(AssetPublic)) as cur:
        asset = cur.execute(f"SELECT {COLUMNS} FROM assets.assets WHERE id = %s FOR UPDATE", (asset_id,)).fetchone()
    if asset is None:
        raise NotFound(f"asset {asset_id} does not exist")
    return asset


def _ensure_account(conn: psycopg.Connection, account_id: int) -> None:
    try:
        accounts_service.get_account(conn, account_id=account_id)
    except NotFound as exc:
        raise InvalidInput(f"account_id: account {account_id} does not exist") from exc


def _ensure_location(conn: psycopg.Connection, location_id: int | None, account_id: int) -> None:
    if location_id is None:
        return
    try:
        location = accounts_service.get_location(conn, location_id=location_id)
    except NotFound as exc:
        raise InvalidInput(f"location_id: location {location_id} does not exist") from exc
    if location.account_id != account_id:
        raise InvalidInput(f"location_id: location {location_id} belongs to another account")


def _ensure_parent(
    conn: psycopg.Connection, *, asset_id: int | None, level: str, parent_id: int | None, account_id: int
) -> None:
    """The parent exists, has the right level and account, and is not below the asset; it is locked (FOR SHARE)."""
    parent_level = None
    if parent_id is not None:
        row = conn.execute(
            "SELECT level, account_id FROM assets.assets WHERE id = %s FOR SHARE", (parent_id,)
        ).fetchone()
        if row is None:
            raise InvalidInput(f"parent_id: asset {parent_id} does not exist")
        parent_level = str(row[0])
        if row[1] != account_id:
            raise InvalidInput(f"parent_id: asset {parent_id} belongs to another account")
        if asset_id is not None and (problem := domain.cycle_problem(asset_id, queries.ancestors(conn, parent_id))):
            raise InvalidInput(f"parent_id: {problem}")
    if (problem := domain.parent_problem(level, parent_level)) is not None:
        raise InvalidInput(f"parent_id: {problem}")


def _write(conn: psycopg.Connection, query: sql.Composed, params: dict[str, Any]) -> AssetPublic | None:
    try:
        with conn.transaction(), conn.cursor(row_factory=class_row(AssetPublic)) as cur:
            return cur.execute(query, params).fetchone()
    except errors.UniqueViolation as exc:
        raise Conflict(f"serial number {params.get('serial_number')} exists for this asset type") from exc
    except errors.ForeignKeyViolation as exc:
        raise InvalidInput(f"asset_type_id: asset type {params.get('asset_type_id')} does not exist") from exc
    except errors.CheckViolation as exc:
        raise InvalidInput("parent_id: an asset cannot be its own parent") from exc
