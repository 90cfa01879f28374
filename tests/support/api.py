"""The API in-process over a real database, and users with tokens for it (no slow login per test)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import psycopg
from fastapi.testclient import TestClient

from service_core.api.app import create_app
from service_core.api.settings import ApiSettings
from service_core.auth import security
from service_core.auth import service as auth_service
from service_core.auth.domain import Role
from service_core.auth.schemas import UserCreate

SECRET = "test-secret-" + "x" * 32
PASSWORD = "correct horse battery"


@contextmanager
def api_client(url: str, *, principal_cache_seconds: float = 0.0) -> Iterator[TestClient]:
    """The app over `url`; users are looked up on every request unless `principal_cache_seconds` says otherwise."""
    settings = ApiSettings(
        environment="test",
        jwt_secret=SECRET,
        pool_min_size=1,
        pool_max_size=4,
        principal_cache_seconds=principal_cache_seconds,
    )
    with TestClient(create_app(settings, database_url=url)) as client:
        yield client


def make_user(url: str, role: Role, email: str | None = None, password: str = PASSWORD) -> int:
    email = email or f"{role.value}-{uuid.uuid4().hex[:8]}@example.com"
    with psycopg.connect(url) as conn:
        user = auth_service.create_user(conn, user_in=UserCreate(email=email, password=password, role=role))
    return user.id


def bearer(user_id: int, *, now: datetime | None = None, lifetime: timedelta = timedelta(minutes=30)) -> dict[str, str]:
    token = security.issue_access_token(
        user_id=user_id, role=Role.VIEWER, secret=SECRET, now=now or datetime.now(UTC), lifetime=lifetime
    )
    return {"Authorization": f"Bearer {token}"}


def headers_for(url: str, role: Role) -> dict[str, str]:
    """Authorization headers of a fresh user with `role` (a token issued directly: no slow login)."""
    return bearer(make_user(url, role))
