"""HTTP routes of auth: log in for a token, who am I, users and API keys (admin only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, status
from fastapi.security import OAuth2PasswordRequestForm

from service_core.api.deps import AdminUser, ConnDep, CurrentUser, SettingsDep
from service_core.api.errors import ERROR_RESPONSES, ErrorBody, Responses
from service_core.api.pagination import Limit, Offset, Page
from service_core.auth import security
from service_core.auth import service as auth_service
from service_core.auth.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    PrincipalPublic,
    Token,
    UserCreate,
    UserPublic,
)

router = APIRouter(responses=ERROR_RESPONSES)
LoginForm = Annotated[OAuth2PasswordRequestForm, Depends()]
EMAIL_TAKEN: Responses = {409: {"model": ErrorBody, "description": "The email is taken"}}
KeyId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post("/auth/token", tags=["auth"], summary="Log in (OAuth2 password flow); the username is the email")
def login(conn: ConnDep, settings: SettingsDep, form: LoginForm) -> Token:
    user = auth_service.authenticate(conn, email=form.username, password=form.password)
    lifetime = timedelta(minutes=settings.access_token_minutes)
    token = security.issue_access_token(
        user_id=user.id, role=user.role, secret=settings.signing_secret, now=datetime.now(UTC), lifetime=lifetime
    )
    return Token(access_token=token, expires_in=int(lifetime.total_seconds()))


@router.get("/auth/me", tags=["auth"], summary="Who the credentials belong to")
def read_me(principal: CurrentUser) -> PrincipalPublic:
    return PrincipalPublic(
        kind=principal.kind, id=principal.id, name=principal.name, role=principal.role, email=principal.email
    )


@router.post("/users", tags=["users"], status_code=status.HTTP_201_CREATED, responses=EMAIL_TAKEN)
def create_user(conn: ConnDep, _: AdminUser, user_in: UserCreate) -> UserPublic:
    return auth_service.create_user(conn, user_in=user_in)


@router.get("/users", tags=["users"])
def list_users(conn: ConnDep, _: AdminUser, limit: Limit = 50, offset: Offset = 0) -> Page[UserPublic]:
    users, total = auth_service.list_users(conn, limit=limit, offset=offset)
    return Page[UserPublic](items=users, total=total, limit=limit, offset=offset)


@router.post(
    "/api-keys",
    tags=["api keys"],
    status_code=status.HTTP_201_CREATED,
    summary="Create an API key for an integration; the key is shown only in this answer",
)
def create_api_key(conn: ConnDep, admin: AdminUser, key_in: ApiKeyCreate) -> ApiKeyCreated:
    created_by = admin.id if admin.kind == "user" else None
    return auth_service.create_api_key(conn, key_in=key_in, created_by=created_by)


@router.delete("/api-keys/{key_id}", tags=["api keys"], summary="Revoke an API key")
def revoke_api_key(conn: ConnDep, _: AdminUser, key_id: KeyId) -> ApiKeyPublic:
    return auth_service.revoke_api_key(conn, key_id=key_id)
