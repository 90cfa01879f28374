"""The cryptography behind authentication: argon2id password hashes, API key hashes, signed JWTs."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

import jwt
from pwdlib import PasswordHash
from pwdlib.exceptions import PwdlibError

from service_core.auth import domain
from service_core.exceptions import NotAuthenticated

JWT_ALGORITHM = "HS256"

_hasher = PasswordHash.recommended()  # argon2id with the library's current parameters


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so a wrong email costs as much time as a wrong password."""
    return _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """True when `password` matches; with no hash, spends the same time and says no."""
    if password_hash is None:
        _hasher.verify(password, _dummy_hash())
        return False
    try:
        return _hasher.verify(password, password_hash)
    except (PwdlibError, ValueError):  # a malformed stored hash is a refusal, not a crash
        return False


def new_api_key() -> tuple[str, str, str]:
    """(whole key to show once, prefix to store, hash to store)."""
    prefix = secrets.token_hex(6)
    key = domain.format_api_key(prefix, secrets.token_urlsafe(32))
    return key, prefix, hash_api_key(key)


def hash_api_key(key: str) -> str:
    """SHA-256 is enough here: the key holds 256 random bits, unlike a person's password."""
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_matches(key: str, key_hash: str) -> bool:
    return hmac.compare_digest(hash_api_key(key), key_hash)


def issue_access_token(*, user_id: int, role: domain.Role, secret: str, now: datetime, lifetime: timedelta) -> str:
    claims = domain.access_claims(user_id=user_id, role=role, issued_at=now, lifetime=lifetime)
    return jwt.encode(claims, secret, algorithm=JWT_ALGORITHM)


def access_token_subject(token: str, *, secret: str, now: datetime) -> int:
    """The user id of a valid access token; `NotAuthenticated` for a forged, malformed or expired one.

    A token's signature is checked once per process and its claims kept (`_VERIFIED`): a client sends the same
    token with every request, and verifying it again cost as much CPU as a simple query.  Expiry and the claims'
    shape are checked on every call (`domain.subject_of`), so a remembered token still expires on time."""
    key = (token, secret)
    claims = _VERIFIED.get(key)
    if claims is None:
        claims = _verified_claims(token, secret)
        if len(_VERIFIED) >= VERIFIED_TOKENS_MAX:
            _VERIFIED.clear()
        _VERIFIED[key] = claims
    return domain.subject_of(claims, now=now)


VERIFIED_TOKENS_MAX = 10_000
_VERIFIED: dict[tuple[str, str], dict[str, Any]] = {}


def _verified_claims(token: str, secret: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[JWT_ALGORITHM],
            issuer=domain.TOKEN_ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise NotAuthenticated("the token has expired") from exc
    except jwt.InvalidTokenError as exc:
        raise NotAuthenticated("invalid token") from exc
    return claims
