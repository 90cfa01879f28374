"""Contacts and service locations of an account.  Functions take an open connection; the caller commits."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import errors, sql
from psycopg.rows import class_row

from service_core.accounts.schemas import (
    ContactCreate,
    ContactPublic,
    ContactUpdate,
    LocationCreate,
    LocationPublic,
    LocationUpdate,
)
from service_core.exceptions import Conflict, InvalidInput, NotFound

_CONTACT_COLUMNS = "id, account_id, name, email, phone, role, is_primary, created_at"
_LOCATION_COLUMNS = "id, account_id, name, address, latitude, longitude, timezone, territory_id, created_at"


def add_contact(conn: psycopg.Connection, *, account_id: int, contact_in: ContactCreate) -> ContactPublic:
    """A new contact of the account; a new primary contact replaces the previous one."""
    _ensure_account(conn, account_id)
    if contact_in.is_primary:
        _clear_primary(conn, account_id)
    values = {**contact_in.model_dump(), "account_id": account_id}
    with conn.cursor(row_factory=class_row(ContactPublic)) as cur:
        contact = cur.execute(_insert("crm.contacts", values, _CONTACT_COLUMNS), values).fetchone()
    assert contact is not None
    return contact


def list_contacts(conn: psycopg.Connection, *, account_id: int) -> list[ContactPublic]:
    """The account's contacts, the primary one first."""
    _ensure_account(conn, account_id, lock=False)
    with conn.cursor(row_factory=class_row(ContactPublic)) as cur:
        cur.execute(
            f"SELECT {_CONTACT_COLUMNS} FROM crm.contacts WHERE account_id = %s ORDER BY is_primary DESC, name, id",
            (account_id,),
        )
        return cur.fetchall()


def update_contact(
    conn: psycopg.Connection, *, account_id: int, contact_id: int, contact_in: ContactUpdate
) -> ContactPublic:
    changes = contact_in.model_dump(exclude_unset=True)
    _ensure_account(conn, account_id)
    if changes.get("is_primary"):
        _clear_primary(conn, account_id)
    with conn.cursor(row_factory=class_row(ContactPublic)) as cur:
        contact = cur.execute(
            _update("crm.contacts", changes, _CONTACT_COLUMNS), {**changes, "id": contact_id, "account_id": account_id}
        ).fetchone()
    if contact is None:
        raise NotFound(f"account {account_id} has no contact {contact_id}")
    return contact


def delete_contact(conn: psycopg.Connection, *, account_id: int, contact_id: int) -> None:
    cur = conn.execute("DELETE FROM crm.contacts WHERE id = %s AND account_id = %s", (contact_id, account_id))
    if cur.rowcount == 0:
        raise NotFound(f"account {account_id} has no contact {contact_id}")


def add_location(conn: psycopg.Connection, *, account_id: int, location_in: LocationCreate) -> LocationPublic:
    """A new service location of the account; `InvalidInput` for an unknown territory."""
    _ensure_account(conn, account_id, lock=False)
    values = {**location_in.model_dump(), "account_id": account_id}
    return _write_location(conn, _insert("crm.locations", values, _LOCATION_COLUMNS), values)


def get_location(conn: psycopg.Connection, *, location_id: int) -> LocationPublic:
    with conn.cursor(row_factory=class_row(LocationPublic)) as cur:
        location = cur.execute(
            f"SELECT {_LOCATION_COLUMNS} FROM crm.locations WHERE id = %s", (location_id,)
        ).fetchone()
    if location is None:
        raise NotFound(f"location {location_id} does not exist")
    return location


def get_account_location(conn: psycopg.Connection, *, account_id: int, location_id: int) -> LocationPublic:
    """The location `location_id` if it belongs to `account_id`; `NotFound` otherwise."""
    location = get_location(conn, location_id=location_id)
    if location.account_id != account_id:
        raise NotFound(f"account {account_id} has no location {location_id}")
    return location


def list_locations(conn: psycopg.Connection, *, account_id: int) -> list[LocationPublic]:
    _ensure_account(conn, account_id, lock=False)
    with conn.cursor(row_factory=class_row(LocationPublic)) as cur:
        cur.execute(
            f"SELECT {_LOCATION_COLUMNS} FROM crm.locations WHERE account_id = %s ORDER BY name, id", (account_id,)
        )
        return cur.fetchall()


def update_location(
    conn: psycopg.Connection, *, account_id: int, location_id: int, location_in: LocationUpdate
) -> LocationPublic:
    changes = location_in.model_dump(exclude_unset=True)
    params = {**changes, "id": location_id, "account_id": account_id}
    return _write_location(conn, _update("crm.locations", changes, _LOCATION_COLUMNS), params, location_id)


def delete_location(conn: psycopg.Connection, *, account_id: int, location_id: int) -> None:
    """Delete a location nothing refers to; `Conflict` if assets or work orders are there."""
    try:
        with conn.transaction():
            cur = conn.execute("DELETE FROM crm.locations WHERE id = %s AND account_id = %s", (location_id, account_id))
    except errors.ForeignKeyViolation as exc:
        raise Conflict(f"location {location_id} is still referenced ({exc.diag.table_name})") from exc
    if cur.rowcount == 0:
        raise NotFound(f"account {account_id} has no location {location_id}")


def _write_location(
    conn: psycopg.Connection, query: sql.Composed, params: dict[str, Any], location_id: int | None = None
) -> LocationPublic:
    try:
        with conn.transaction(), conn.cursor(row_factory=class_row(LocationPublic)) as cur:
            location = cur.execute(query, params).fetchone()
    except errors.ForeignKeyViolation as exc:
        raise InvalidInput(f"territory_id: territory {params.get('territory_id')} does not exist") from exc
    if location is None:
        raise NotFound(f"account {params.get('account_id')} has no location {location_id}")
    return location


def _ensure_account(conn: psycopg.Connection, account_id: int, *, lock: bool = True) -> None:
    """The account exists (and is locked, so that two primary contacts cannot be set at once)."""
    suffix = " FOR UPDATE" if lock else ""
    if conn.execute(f"SELECT 1 FROM crm.accounts WHERE id = %s{suffix}", (account_id,)).fetchone() is None:
        raise NotFound(f"account {account_id} does not exist")


def _clear_primary(conn: psycopg.Connection, account_id: int) -> None:
    conn.execute("UPDATE crm.contacts SET is_primary = false WHERE account_id = %s AND is_primary", (account_id,))


def _insert(table: str, values: dict[str, Any], returning: str) -> sql.Composed:
    return sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING {}").format(
        sql.SQL(table),
        sql.SQL(", ").join(sql.Identifier(k) for k in values),
        sql.SQL(", ").join(sql.Placeholder(k) for k in values),
        sql.SQL(returning),
    )


def _update(table: str, changes: dict[str, Any], returning: str) -> sql.Composed:
    """UPDATE of the changed columns of the row `id` of `account_id` (a plain read when nothing changed)."""
    if not changes:  # an identity id cannot be "updated" to itself
        return sql.SQL("SELECT {} FROM {} WHERE id = %(id)s AND account_id = %(account_id)s").format(
            sql.SQL(returning), sql.SQL(table)
        )
    assignments: list[sql.Composable] = [
        sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in changes
    ]
    return sql.SQL("UPDATE {} SET {} WHERE id = %(id)s AND account_id = %(account_id)s RETURNING {}").format(
        sql.SQL(table), sql.SQL(", ").join(assignments), sql.SQL(returning)
    )
