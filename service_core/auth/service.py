"""Auth use cases.  Functions take an open connection; the caller owns the transaction."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import psycopg
from psycopg.rows import class_row

from service_core.auth import domain, security
from service_core.auth.models import ApiKeyRow, UserRow
from service_core.auth.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic, UserCreate, UserPublic
from service_core.exceptions import Conflict, InvalidInput, NotAuthenticated, NotFound

log = logging.getLogger(__name__)

_USER_COLUMNS = "id, email, full_name, password_hash, role, is_active, created_at, account_id"
_KEY_COLUMNS = "id, name, prefix, key_hash, role, created_by, created_at, expires_at, revoked_at"
_BAD_LOGIN = "wrong email or password"


def create_user(conn: psycopg.Connection, *, user_in: UserCreate) -> UserPublic:
    """Create a user with an argon2id hash of their password; `Conflict` if the email is taken, `InvalidInput` if
    a customer user's account does not exist."""
    password_hash = security.hash_password(user_in.password)
    params = (user_in.email, user_in.full_name, password_hash, user_in.role.value, user_in.account_id)
    with conn.cursor(row_factory=class_row(UserRow)) as cur:
        try:
            with conn.transaction():
                cur.execute(
                    f"""
                    INSERT INTO auth.users (email, full_name, password_hash, role, account_id)
                    VALUES (%s, %s, %s, %s, %s)
                    ON CONFLICT (email) DO NOTHING
                    RETURNING {_USER_COLUMNS}
                    """,
                    params,
                )
        except psycopg.errors.ForeignKeyViolation as exc:
            raise InvalidInput(f"account {user_in.account_id} does not exist") from exc
        row = cur.fetchone()
    if row is None:
        raise Conflict(f"a user with email {user_in.email} already exists")
    log.info("user %s created with role %s", row.email, row.role)
    return UserPublic.model_validate(row)


def get_user(conn: psycopg.Connection, *, user_id: int) -> UserPublic:
    row = _user_where(conn, "id = %s", user_id)
    if row is None:
        raise NotFound(f"user {user_id} does not exist")
    return UserPublic.model_validate(row)


def set_user_active(conn: psycopg.Connection, *, user_id: int, active: bool, by_user_id: int | None) -> UserPublic:
    """Deactivate (their tokens stop working at once) or reactivate a user; nobody deactivates themselves, and
    the last active admin stays (the active admins are locked while counting, so two cannot remove each other)."""
    if not active and user_id == by_user_id:
        raise Conflict("you cannot deactivate yourself; ask another admin")
    if not active:
        admins = [r[0] for r in conn.execute("SELECT id FROM auth.users WHERE role = 'admin' AND is_active FOR UPDATE")]
        if admins == [user_id]:
            raise Conflict(f"user {user_id} is the last active admin")
    with conn.cursor(row_factory=class_row(UserRow)) as cur:
        cur.execute(f"UPDATE auth.users SET is_active = %s WHERE id = %s RETURNING {_USER_COLUMNS}", (active, user_id))
        row = cur.fetchone()
    if row is None:
        raise NotFound(f"user {user_id} does not exist")
    log.info("user %s %s", row.email, "reactivated" if active else "deactivated")
    return UserPublic.model_validate(row)


def list_users(conn: psycopg.Connection, *, limit: int, offset: int) -> tuple[list[UserPublic], int]:
    """One page of users by email, and how many there are in all."""
    with conn.cursor(row_factory=class_row(UserRow)) as cur:
        cur.execute(f"SELECT {_USER_COLUMNS} FROM auth.users ORDER BY email LIMIT %s OFFSET %s", (limit, offset))
        rows = cur.fetchall()
    total_row = conn.execute("SELECT count(*) FROM auth.users").fetchone()
    return [UserPublic.model_validate(r) for r in rows], int(total_row[0]) if total_row else 0


def authenticate(conn: psycopg.Connection, *, email: str, password: str) -> UserPublic:
    """The active user with this email and password; `NotAuthenticated` otherwise (same answer for every case)."""
    try:
        normalized = domain.normalize_email(email)
    except ValueError:
        normalized = None
    row = _user_where(conn, "email = %s", normalized) if normalized else None
    if not security.verify_password(password, row.password_hash if row else None) or row is None:
        raise NotAuthenticated(_BAD_LOGIN)
    if not row.is_active:
        raise NotAuthenticated(_BAD_LOGIN)
    return UserPublic.model_validate(row)


def principal_for_user(conn: psycopg.Connection, *, user_id: int) -> domain.Principal:
    """The caller a valid token speaks for, with their current role; inactive or deleted users are refused."""
    row = _user_where(conn, "id = %s", user_id)
    if row is None or not row.is_active:
        raise NotAuthenticated("the user of this token is unknown or inactive")
    return domain.Principal(
        kind="user",
        id=row.id,
        name=row.full_name or row.email,
        role=domain.Role(row.role),
        email=row.email,
        account_id=row.account_id,
    )


def customer_account_scope(conn: psycopg.Connection, *, account_id: int) -> list[int]:
    """The accounts a customer user of `account_id` may read: their own and those it pays for (billing account)."""
    rows = conn.execute(
        "SELECT id FROM crm.accounts WHERE id = %s OR billing_account_id = %s ORDER BY id", (account_id, account_id)
    ).fetchall()
    return [int(r[0]) for r in rows]


def create_api_key(conn: psycopg.Connection, *, key_in: ApiKeyCreate, created_by: int | None) -> ApiKeyCreated:
    """A new key for an integration; the whole key is in the answer and nowhere else."""
    key, prefix, key_hash = security.new_api_key()
    with conn.cursor(row_factory=class_row(ApiKeyRow)) as cur:
        cur.execute(
            f"""
            INSERT INTO auth.api_keys (name, prefix, key_hash, role, created_by, expires_at)
            VALUES (%s, %s, %s, %s, %s, %s)
            RETURNING {_KEY_COLUMNS}
            """,
            (key_in.name, prefix, key_hash, key_in.role.value, created_by, key_in.expires_at),
        )
        row = cur.fetchone()
    assert row is not None
    log.info("API key %s (%s) created with role %s", row.prefix, row.name, row.role)
    return ApiKeyCreated(**ApiKeyPublic.model_validate(row).model_dump(), key=key)


def revoke_api_key(conn: psycopg.Connection, *, key_id: int) -> ApiKeyPublic:
    with conn.cursor(row_factory=class_row(ApiKeyRow)) as cur:
        cur.execute(
            f"UPDATE auth.api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = %s RETURNING {_KEY_COLUMNS}",
            (key_id,),
        )
        row = cur.fetchone()
    if row is None:
        raise NotFound(f"API key {key_id} does not exist")
    return ApiKeyPublic.model_validate(row)


def principal_for_api_key(conn: psycopg.Connection, *, key: str) -> domain.Principal:
    """The integration a presented key belongs to; `NotAuthenticated` if unknown, wrong, revoked or expired."""
    prefix, _ = domain.split_api_key(key)
    with conn.cursor(row_factory=class_row(ApiKeyRow)) as cur:
        cur.execute(f"SELECT {_KEY_COLUMNS} FROM auth.api_keys WHERE prefix = %s", (prefix,))
        row = cur.fetchone()
    if row is None or not security.api_key_matches(key, row.key_hash):
        raise NotAuthenticated("unknown API key")
    if not domain.api_key_usable(revoked_at=row.revoked_at, expires_at=row.expires_at, now=datetime.now(UTC)):
        raise NotAuthenticated("this API key is revoked or expired")
    return domain.Principal(kind="api_key", id=row.id, name=row.name, role=domain.Role(row.role))


def _user_where(conn: psycopg.Connection, condition: str, value: object) -> UserRow | None:
    with conn.cursor(row_factory=class_row(UserRow)) as cur:
        cur.execute(f"SELECT {_USER_COLUMNS} FROM auth.users WHERE {condition}", (value,))
        return cur.fetchone()
