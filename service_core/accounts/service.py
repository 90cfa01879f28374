"""Account use cases.  Functions take an open connection; the caller owns the transaction.

Other domains call `get_account`, `billing_account_of`, `set_credit_hold` and `get_location`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import errors, sql
from psycopg.rows import class_row

from service_core.accounts import domain, locations
from service_core.accounts.schemas import AccountCreate, AccountPublic, AccountUpdate, LocationPublic
from service_core.catalog import service as catalog_service
from service_core.db.like import contains_pattern
from service_core.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied

log = logging.getLogger(__name__)

_COLUMNS = (
    "id, number, name, kind, billing_account_id, currency, payment_terms_days, tax_rate, credit_limit, "
    "price_list_id, credit_hold, credit_hold_reason, credit_hold_since, credit_hold_manual, tenant, email, phone, "
    "is_active, created_at, updated_at"
)


def create_account(conn: psycopg.Connection, *, account_in: AccountCreate, may_set_billing: bool) -> AccountPublic:
    """Create an account; `Conflict` if the number is taken, `PermissionDenied` for billing fields without finance."""
    _ensure_may_set(account_in.model_fields_set, may_set_billing)
    _ensure_payer(conn, account_id=None, kind=account_in.kind, payer_id=account_in.billing_account_id)
    _ensure_price_list(conn, account_in.price_list_id)
    values = account_in.model_dump()
    columns = sql.SQL(", ").join(sql.Identifier(k) for k in values)
    placeholders = sql.SQL(", ").join(sql.Placeholder(k) for k in values)
    query = sql.SQL("INSERT INTO crm.accounts ({}) VALUES ({}) ON CONFLICT (number) DO NOTHING RETURNING {}").format(
        columns, placeholders, sql.SQL(_COLUMNS)
    )
    with conn.cursor(row_factory=class_row(AccountPublic)) as cur:
        account = cur.execute(query, values).fetchone()
    if account is None:
        raise Conflict(f"account number {account_in.number} is taken")
    log.info("account %s (%s) created", account.number, account.id)
    return account


def get_account(conn: psycopg.Connection, *, account_id: int) -> AccountPublic:
    """The account with this id; `NotFound` if there is none."""
    with conn.cursor(row_factory=class_row(AccountPublic)) as cur:
        account = cur.execute(f"SELECT {_COLUMNS} FROM crm.accounts WHERE id = %s", (account_id,)).fetchone()
    if account is None:
        raise NotFound(f"account {account_id} does not exist")
    return account


PAYER_SQL = "SELECT coalesce(billing_account_id, id) FROM crm.accounts WHERE id = %(account_id)s"
"""The account that pays for work at %(account_id)s (its billing account, or itself): a scalar subquery that
other domains may embed in their own statement to save a round trip; NULL when the account does not exist."""


def billing_account_of(conn: psycopg.Connection, *, account_id: int) -> int:
    """The id of the account that pays for work at `account_id` (its billing account, or itself)."""
    row = conn.execute(PAYER_SQL, {"account_id": account_id}).fetchone()
    if row is None:
        raise NotFound(f"account {account_id} does not exist")
    return int(row[0])


def update_account(
    conn: psycopg.Connection, *, account_id: int, account_in: AccountUpdate, may_set_billing: bool
) -> AccountPublic:
    """Change the fields sent; the credit hold is not among them (see `set_credit_hold`)."""
    changes = account_in.model_dump(exclude_unset=True)
    _ensure_may_set(changes, may_set_billing)
    current = _locked(conn, account_id)
    if not changes:
        return current
    kind = changes.get("kind", current.kind)
    payer = changes.get("billing_account_id", current.billing_account_id)
    _ensure_payer(conn, account_id=account_id, kind=kind, payer_id=payer)
    if kind not in domain.BILLING_CAPABLE:
        _ensure_pays_for_nobody(conn, account_id)
    _ensure_price_list(conn, changes.get("price_list_id"))
    assignments = sql.SQL(", ").join(sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in changes)
    query = sql.SQL("UPDATE crm.accounts SET {}, updated_at = now() WHERE id = %(id)s RETURNING {}").format(
        assignments, sql.SQL(_COLUMNS)
    )
    try:
        with conn.transaction(), conn.cursor(row_factory=class_row(AccountPublic)) as cur:
            account = cur.execute(query, {**changes, "id": account_id}).fetchone()
    except errors.UniqueViolation as exc:
        raise Conflict(f"account number {changes.get('number')} is taken") from exc
    assert account is not None
    return account


def delete_account(conn: psycopg.Connection, *, account_id: int) -> None:
    """Delete an account nothing refers to; `Conflict` if assets, work or invoices still do (deactivate it then)."""
    _locked(conn, account_id)
    try:
        with conn.transaction():
            conn.execute("DELETE FROM crm.accounts WHERE id = %s", (account_id,))
    except errors.ForeignKeyViolation as exc:
        raise Conflict(f"account {account_id} is still referenced ({exc.diag.table_name}); deactivate it") from exc


def list_accounts(
    conn: psycopg.Connection,
    *,
    search: str | None = None,
    kind: str | None = None,
    credit_hold: bool | None = None,
    tenant: str | None = None,
    is_active: bool | None = None,
    limit: int,
    offset: int,
) -> tuple[list[AccountPublic], int]:
    """One page of accounts by name, filtered, and how many match in all."""
    params: dict[str, Any] = {
        "q": contains_pattern(search),
        "kind": kind,
        "hold": credit_hold,
        "tenant": tenant,
        "active": is_active,
        "limit": limit,
        "offset": offset,
    }
    where = """
        WHERE (%(q)s::text IS NULL OR name ILIKE %(q)s OR number ILIKE %(q)s)
          AND (%(kind)s::text IS NULL OR kind = %(kind)s)
          AND (%(hold)s::boolean IS NULL OR credit_hold = %(hold)s)
          AND (%(tenant)s::text IS NULL OR tenant = %(tenant)s)
          AND (%(active)s::boolean IS NULL OR is_active = %(active)s)
    """
    row = conn.execute(f"SELECT count(*) FROM crm.accounts {where}", params).fetchone()
    with conn.cursor(row_factory=class_row(AccountPublic)) as cur:
        cur.execute(
            f"SELECT {_COLUMNS} FROM crm.accounts {where} ORDER BY lower(name), id LIMIT %(limit)s OFFSET %(offset)s",
            params,
        )
        return cur.fetchall(), int(row[0]) if row else 0


def set_credit_hold(
    conn: psycopg.Connection, *, account_id: int, hold: bool, reason: str, manual: bool
) -> AccountPublic:
    """Hold or release credit: a person's decision always applies; an automatic release leaves a manual hold."""
    current = _locked(conn, account_id)
    state = domain.HoldState(
        current.credit_hold, current.credit_hold_reason, current.credit_hold_since, current.credit_hold_manual
    )
    after = domain.next_hold(state, hold=hold, reason=reason, manual=manual, now=datetime.now(UTC))
    if after == state:
        return current
    with conn.cursor(row_factory=class_row(AccountPublic)) as cur:
        account = cur.execute(
            f"""
            UPDATE crm.accounts SET credit_hold = %s, credit_hold_reason = %s, credit_hold_since = %s,
                credit_hold_manual = %s, updated_at = now()
            WHERE id = %s RETURNING {_COLUMNS}
            """,
            (after.hold, after.reason, after.since, after.manual, account_id),
        ).fetchone()
    assert account is not None
    log.info("account %s credit hold %s (%s, manual=%s)", account_id, after.hold, after.reason, manual)
    return account


def get_location(conn: psycopg.Connection, *, location_id: int) -> LocationPublic:
    """The service location with this id; `NotFound` if there is none."""
    return locations.get_location(conn, location_id=location_id)


def _locked(conn: psycopg.Connection, account_id: int) -> AccountPublic:
    with conn.cursor(row_factory=class_row(AccountPublic)) as cur:
        account = cur.execute(f"SELECT {_COLUMNS} FROM crm.accounts WHERE id = %s FOR UPDATE", (account_id,)).fetchone()
    if account is None:
        raise NotFound(f"account {account_id} does not exist")
    return account


def _ensure_may_set(fields: Any, may_set_billing: bool) -> None:
    restricted = domain.billing_fields_in(fields)
    if restricted and not may_set_billing:
        raise PermissionDenied(f"only finance or an admin may set {', '.join(restricted)}")


def _ensure_payer(conn: psycopg.Connection, *, account_id: int | None, kind: str, payer_id: int | None) -> None:
    payer_kind = payers_payer_id = None
    pays_for_others = False
    if payer_id is not None:
        row = conn.execute(
            "SELECT kind, billing_account_id FROM crm.accounts WHERE id = %s FOR SHARE", (payer_id,)
        ).fetchone()
        payer_kind, payers_payer_id = row if row else (None, None)
        if account_id is not None and payer_id != account_id and kind in domain.BILLING_CAPABLE:
            # (a service-only account that pays for others is refused on that ground, with a 409, by the caller)
            pays_for_others = _dependents(conn, account_id) > 0
    problem = domain.payer_problem(
        account_id=account_id, kind=kind, payer_id=payer_id, payer_kind=payer_kind,
        payers_payer_id=payers_payer_id, pays_for_others=pays_for_others,
    )  # fmt: skip
    if problem is not None:
        raise InvalidInput(f"billing_account_id: {problem}")


def _dependents(conn: psycopg.Connection, account_id: int) -> int:
    """How many other accounts `account_id` pays for."""
    row = conn.execute(
        "SELECT count(*) FROM crm.accounts WHERE billing_account_id = %s AND id <> %s", (account_id, account_id)
    ).fetchone()
    return int(row[0]) if row else 0


def _ensure_pays_for_nobody(conn: psycopg.Connection, account_id: int) -> None:
    if dependents := _dependents(conn, account_id):
        raise Conflict(f"account {account_id} pays for {dependents} other account(s) and must stay billing-capable")


def _ensure_price_list(conn: psycopg.Connection, price_list_id: int | None) -> None:
    if price_list_id is None:
        return
    try:
        catalog_service.get_price_list(conn, price_list_id=price_list_id)
    except NotFound as exc:
        raise InvalidInput(f"price_list_id: price list {price_list_id} does not exist") from exc
