"""Pure rules of authentication: roles, who may do what, access-token claims and their expiry, key formats.

Nothing here touches a database, the network or FastAPI; hashing and signing live in `security.py`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from service_core.exceptions import NotAuthenticated, PermissionDenied

TOKEN_ISSUER = "assetpulse"  # noqa: S105 - a name, not a secret
TOKEN_TYPE = "access"  # noqa: S105
API_KEY_SCHEME = "apk"
API_KEY_PREFIX_PATTERN = re.compile(r"^[0-9a-f]{12}$")
EMAIL_PATTERN = re.compile(r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")
MIN_PASSWORD_LENGTH = 12


class Role(StrEnum):
    ADMIN = "admin"
    DISPATCHER = "dispatcher"
    TECHNICIAN = "technician"
    FINANCE = "finance"
    VIEWER = "viewer"
    CUSTOMER = "customer"  # a customer's user: reads only their own accounts' records (the customer portal)


ALL_ROLES: frozenset[Role] = frozenset(Role)
STAFF_ROLES: frozenset[Role] = ALL_ROLES - {Role.CUSTOMER}
WRITE_FLEET: frozenset[Role] = frozenset({Role.ADMIN, Role.DISPATCHER})


@dataclass(frozen=True, slots=True)
class Principal:
    """Whoever makes a request: a user (logged in with a token) or an integration (an API key)."""

    kind: Literal["user", "api_key"]
    id: int
    name: str
    role: Role
    email: str | None = None
    account_id: int | None = None  # the customer account of a customer user; None for staff and API keys

    @property
    def is_customer(self) -> bool:
        return self.role is Role.CUSTOMER

    @property
    def actor(self) -> str:
        """How the audit trail and business records name this caller: `user:7` or `api_key:3`."""
        return f"{self.kind}:{self.id}"


def ensure_role(role: Role, allowed: Collection[Role]) -> None:
    """Refuse (`PermissionDenied`) a role that is not among `allowed`."""
    if role not in allowed:
        wanted = ", ".join(sorted(r.value for r in allowed))
        raise PermissionDenied(f"role {role.value!r} may not do this; it needs one of: {wanted}")


def account_problem(role: Role, account_id: int | None) -> str | None:
    """Why a user's account link is refused: a customer user needs their account, a staff user has none."""
    if role is Role.CUSTOMER and account_id is None:
        return "a customer user needs the account_id of their customer account"
    if role is not Role.CUSTOMER and account_id is not None:
        return f"only customer users belong to an account; a {role.value} user has no account_id"
    return None


def account_scope_setting(account_ids: Collection[int]) -> str:
    """The accounts a customer may read, as the PostgreSQL array literal the row-level security policies read."""
    if any(isinstance(i, bool) or not isinstance(i, int) or i < 1 for i in account_ids):
        raise ValueError("account ids are positive integers")
    return "{" + ",".join(str(i) for i in sorted(set(account_ids))) + "}"


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively; the stored form is trimmed and lower case."""
    normalized = email.strip().lower()
    if len(normalized) > 254 or not EMAIL_PATTERN.match(normalized):
        raise ValueError("not an email address")
    return normalized


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """Why a new password is refused, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters"
    if email is not None and password.strip().lower() == email.strip().lower():
        return "must not be the email address"
    if len(set(password)) < 4:
        return "must use at least 4 different characters"
    return None


def access_claims(*, user_id: int, role: Role, issued_at: datetime, lifetime: timedelta) -> dict[str, Any]:
    """The claims of an access token for `user_id`, valid from `issued_at` for `lifetime`."""
    if issued_at.tzinfo is None:
        raise ValueError("issued_at must be timezone-aware")
    if lifetime <= timedelta(0):
        raise ValueError("a token lifetime must be positive")
    return {
        "iss": TOKEN_ISSUER,
        "typ": TOKEN_TYPE,
        "sub": str(user_id),
        "role": role.value,
        "iat": int(issued_at.timestamp()),
        "exp": int((issued_at + lifetime).timestamp()),
    }


def subject_of(claims: Mapping[str, Any], *, now: datetime) -> int:
    """The user id an access token speaks for; `NotAuthenticated` if the claims are malformed or expired."""
    if claims.get("iss") != TOKEN_ISSUER or claims.get("typ") != TOKEN_TYPE:
        raise NotAuthenticated("not an AssetPulse access token")
    exp, sub = claims.get("exp"), claims.get("sub")
    if not isinstance(exp, int) or isinstance(exp, bool):
        raise NotAuthenticated("the token has no expiry")
    if exp <= now.timestamp():
        raise NotAuthenticated("the token has expired")
    if not isinstance(sub, str) or not sub.isdecimal():
        raise NotAuthenticated("the token names no user")
    return int(sub)


def format_api_key(prefix: str, secret: str) -> str:
    """`apk_<prefix>_<secret>`: the prefix finds the stored hash, the secret proves possession."""
    return f"{API_KEY_SCHEME}_{prefix}_{secret}"


def split_api_key(key: str) -> tuple[str, str]:
    """(prefix, secret) of a presented API key; `NotAuthenticated` if it is not shaped like one."""
    scheme, _, rest = key.partition("_")
    prefix, _, secret = rest.partition("_")
    if scheme != API_KEY_SCHEME or not API_KEY_PREFIX_PATTERN.match(prefix) or len(secret) < 16:
        raise NotAuthenticated("malformed API key")
    return prefix, secret


def api_key_usable(*, revoked_at: datetime | None, expires_at: datetime | None, now: datetime) -> bool:
    """A key works until it is revoked or expires."""
    return revoked_at is None and (expires_at is None or now < expires_at)


@dataclass(frozen=True, slots=True)
class LoginLimits:
    """How many failed logins a window allows, per email and per client address, before logins are refused."""

    window: timedelta = timedelta(minutes=15)
    max_failures_per_email: int = 5
    max_failures_per_client: int = 20


class LoginThrottled(NotAuthenticated):
    """Too many recent failed logins for this email or from this client; try again in `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def login_retry_after(failures: Sequence[datetime], *, limit: int, window: timedelta, now: datetime) -> int | None:
    """Seconds until one more login may be tried, or None when it may be tried now.

    `failures` are the times of the failed attempts (any order); those older than `window` no longer count.  With
    `limit` or more failures in the window, the next attempt waits until enough of them have aged out of it.
    """
    recent = sorted(at for at in failures if at > now - window)
    if len(recent) < limit:
        return None
    frees_at = recent[len(recent) - limit] + window
    return max(1, math.ceil((frees_at - now).total_seconds()))


def login_subject(email: str) -> str:
    """The key a login attempt is counted under: the normalized email, or what was typed (bounded, no NUL)."""
    try:
        return normalize_email(email)
    except ValueError:
        return email.replace("\x00", "").strip().lower()[:254]
