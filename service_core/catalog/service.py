"""Catalogue use cases.  Functions take an open connection; the caller owns the transaction.

Other domains call `get_item`, `price_for` and `get_price_list`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import psycopg
from psycopg import errors, sql
from psycopg.rows import class_row

from service_core.catalog.domain import effective_price
from service_core.catalog.schemas import (
    ItemCreate,
    ItemPricePublic,
    ItemPublic,
    ItemUpdate,
    PriceListCreate,
    PriceListPublic,
    PriceListUpdate,
)
from service_core.db.like import contains_pattern
from service_core.exceptions import Conflict, NotFound

_ITEM_COLUMNS = "id, sku, name, kind, unit, unit_cost, unit_price, is_active"
_LIST_COLUMNS = "id, name, currency, minimum_charge, is_default"
_DEFAULT_LOCK = 0x43415444  # "CATD": one change of the default price list at a time


def create_item(conn: psycopg.Connection, *, item_in: ItemCreate) -> ItemPublic:
    """Create a catalogue item; `Conflict` if the SKU is taken."""
    values = item_in.model_dump()
    with conn.cursor(row_factory=class_row(ItemPublic)) as cur:
        item = cur.execute(_insert("catalog.items", values, "(sku)", _ITEM_COLUMNS), values).fetchone()
    if item is None:
        raise Conflict(f"SKU {item_in.sku} is taken")
    return item


def get_item(conn: psycopg.Connection, *, item_id: int) -> ItemPublic:
    """The catalogue item with this id; `NotFound` if there is none."""
    with conn.cursor(row_factory=class_row(ItemPublic)) as cur:
        item = cur.execute(f"SELECT {_ITEM_COLUMNS} FROM catalog.items WHERE id = %s", (item_id,)).fetchone()
    if item is None:
        raise NotFound(f"catalogue item {item_id} does not exist")
    return item


def update_item(conn: psycopg.Connection, *, item_id: int, item_in: ItemUpdate) -> ItemPublic:
    changes = item_in.model_dump(exclude_unset=True)
    try:
        with conn.transaction(), conn.cursor(row_factory=class_row(ItemPublic)) as cur:
            item = cur.execute(_update("catalog.items", changes, _ITEM_COLUMNS), {**changes, "id": item_id}).fetchone()
    except errors.UniqueViolation as exc:
        raise Conflict(f"SKU {changes.get('sku')} is taken") from exc
    if item is None:
        raise NotFound(f"catalogue item {item_id} does not exist")
    return item


def list_items(
    conn: psycopg.Connection,
    *,
    search: str | None = None,
    kind: str | None = None,
    is_active: bool | None = None,
    limit: int,
    offset: int,
) -> tuple[list[ItemPublic], int]:
    """One page of items by SKU, filtered, and how many match in all."""
    params: dict[str, Any] = {
        "q": contains_pattern(search),
        "kind": kind,
        "active": is_active,
        "limit": limit,
        "offset": offset,
    }
    where = """
        WHERE (%(q)s::text IS NULL OR sku ILIKE %(q)s OR name ILIKE %(q)s)
          AND (%(kind)s::text IS NULL OR kind = %(kind)s)
          AND (%(active)s::boolean IS NULL OR is_active = %(active)s)
    """
    row = conn.execute(f"SELECT count(*) FROM catalog.items {where}", params).fetchone()
    with conn.cursor(row_factory=class_row(ItemPublic)) as cur:
        cur.execute(
            f"SELECT {_ITEM_COLUMNS} FROM catalog.items {where} ORDER BY sku, id LIMIT %(limit)s OFFSET %(offset)s",
            params,
        )
        return cur.fetchall(), int(row[0]) if row else 0


def create_price_list(conn: psycopg.Connection, *, price_list_in: PriceListCreate) -> PriceListPublic:
    """Create a price list; making it the default unmarks the previous default."""
    values = price_list_in.model_dump()
    if price_list_in.is_default:
        _clear_default(conn)
    with conn.cursor(row_factory=class_row(PriceListPublic)) as cur:
        price_list = cur.execute(_insert("catalog.price_lists", values, "(name)", _LIST_COLUMNS), values).fetchone()
    if price_list is None:
        raise Conflict(f"a price list named {price_list_in.name!r} exists")
    return price_list


def get_price_list(conn: psycopg.Connection, *, price_list_id: int) -> PriceListPublic:
    """The price list with this id; `NotFound` if there is none."""
    with conn.cursor(row_factory=class_row(PriceListPublic)) as cur:
        price_list = cur.execute(
            f"SELECT {_LIST_COLUMNS} FROM catalog.price_lists WHERE id = %s", (price_list_id,)
        ).fetchone()
    if price_list is None:
        raise NotFound(f"price list {price_list_id} does not exist")
    return price_list


def update_price_list(
    conn: psycopg.Connection, *, price_list_id: int, price_list_in: PriceListUpdate
) -> PriceListPublic:
    changes = price_list_in.model_dump(exclude_unset=True)
    if changes.get("is_default"):
        _clear_default(conn)
    query = _update("catalog.price_lists", changes, _LIST_COLUMNS)
    try:
        with conn.transaction(), conn.cursor(row_factory=class_row(PriceListPublic)) as cur:
            price_list = cur.execute(query, {**changes, "id": price_list_id}).fetchone()
    except errors.UniqueViolation as exc:
        raise Conflict(f"a price list named {changes.get('name')!r} exists") from exc
    if price_list is None:
        raise NotFound(f"price list {price_list_id} does not exist")
    return price_list


def list_price_lists(conn: psycopg.Connection) -> list[PriceListPublic]:
    """Every price list, the default first."""
    with conn.cursor(row_factory=class_row(PriceListPublic)) as cur:
        cur.execute(f"SELECT {_LIST_COLUMNS} FROM catalog.price_lists ORDER BY is_default DESC, name, id")
        return cur.fetchall()


def set_item_price(
    conn: psycopg.Connection, *, price_list_id: int, item_id: int, unit_price: Decimal
) -> ItemPricePublic:
    """Put the item on the price list at `unit_price` (or change its price there)."""
    get_price_list(conn, price_list_id=price_list_id)
    get_item(conn, item_id=item_id)
    conn.execute(
        """
        INSERT INTO catalog.price_list_items (price_list_id, item_id, unit_price) VALUES (%s, %s, %s)
        ON CONFLICT (price_list_id, item_id) DO UPDATE SET unit_price = EXCLUDED.unit_price
        """,
        (price_list_id, item_id, unit_price),
    )
    return next(p for p in list_item_prices(conn, price_list_id=price_list_id) if p.item_id == item_id)


def remove_item_price(conn: psycopg.Connection, *, price_list_id: int, item_id: int) -> None:
    cur = conn.execute(
        "DELETE FROM catalog.price_list_items WHERE price_list_id = %s AND item_id = %s", (price_list_id, item_id)
    )
    if cur.rowcount == 0:
        raise NotFound(f"item {item_id} is not on price list {price_list_id}")


def list_item_prices(conn: psycopg.Connection, *, price_list_id: int) -> list[ItemPricePublic]:
    """The items of a price list with their prices there, by SKU."""
    get_price_list(conn, price_list_id=price_list_id)
    with conn.cursor(row_factory=class_row(ItemPricePublic)) as cur:
        cur.execute(
            """
            SELECT p.price_list_id, p.item_id, i.sku, i.name, p.unit_price
            FROM catalog.price_list_items p JOIN catalog.items i ON i.id = p.item_id
            WHERE p.price_list_id = %s ORDER BY i.sku, i.id
            """,
            (price_list_id,),
        )
        return cur.fetchall()


def price_for(conn: psycopg.Connection, *, item_id: int, price_list_id: int | None) -> Decimal:
    """The unit price of an item: on `price_list_id`, else on the default price list, else its list price."""
    if price_list_id is not None:
        get_price_list(conn, price_list_id=price_list_id)
    row = conn.execute(
        """
        SELECT i.unit_price,
               (SELECT p.unit_price FROM catalog.price_list_items p
                WHERE p.price_list_id = %(list)s AND p.item_id = i.id),
               (SELECT p.unit_price FROM catalog.price_list_items p
                JOIN catalog.price_lists l ON l.id = p.price_list_id AND l.is_default
                WHERE p.item_id = i.id)
        FROM catalog.items i WHERE i.id = %(item)s
        """,
        {"list": price_list_id, "item": item_id},
    ).fetchone()
    if row is None:
        raise NotFound(f"catalogue item {item_id} does not exist")
    return effective_price(list_price=row[1], default_list_price=row[2], item_price=row[0])


def _clear_default(conn: psycopg.Connection) -> None:
    """Unmark the default price list; two callers making a list the default queue on an advisory lock."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_DEFAULT_LOCK,))
    conn.execute("UPDATE catalog.price_lists SET is_default = false WHERE is_default")


def _insert(table: str, values: dict[str, Any], conflict: str, returning: str) -> sql.Composed:
    return sql.SQL("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT {} DO NOTHING RETURNING {}").format(
        sql.SQL(table),
        sql.SQL(", ").join(sql.Identifier(k) for k in values),
        sql.SQL(", ").join(sql.Placeholder(k) for k in values),
        sql.SQL(conflict),
        sql.SQL(returning),
    )


def _update(table: str, changes: dict[str, Any], returning: str) -> sql.Composed:
    if not changes:  # nothing to change: read the row (an identity id cannot be "updated" to itself)
        return sql.SQL("SELECT {} FROM {} WHERE id = %(id)s").format(sql.SQL(returning), sql.SQL(table))
    assignments: list[sql.Composable] = [
        sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in changes
    ]
    return sql.SQL("UPDATE {} SET {} WHERE id = %(id)s RETURNING {}").format(
        sql.SQL(table), sql.SQL(", ").join(assignments), sql.SQL(returning)
    )
