"""HTTP routes of auth: log in for a token (rate limited), who am I, users and API keys (admin only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, status
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm

from service_core.api.deps import AdminUser, ConnDep, PortalReader, SettingsDep, client_address
from service_core.api.errors import ERROR_RESPONSES, ErrorBody, Responses, error_response
from service_core.api.pagination import Limit, Offset, Page
from service_core.api.transactions import TransactionalRoute
from service_core.auth import logins, security
from service_core.auth import service as auth_service
from service_core.auth.domain import LoginThrottled
from service_core.auth.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    PrincipalPublic,
    Token,
    UserCreate,
    UserPublic,
)
from service_core.exceptions import NotAuthenticated

router = APIRouter(route_class=TransactionalRoute, responses=ERROR_RESPONSES)
LoginForm = Annotated[OAuth2PasswordRequestForm, Depends()]
EMAIL_TAKEN: Responses = {409: {"model": ErrorBody, "description": "The email is taken"}}
KeyId = Annotated[int, Path(ge=1, le=2**31 - 1)]
UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]
USER_CHANGE: Responses = {
    404: {"model": ErrorBody, "description": "No such user"},
    409: {"model": ErrorBody, "description": "Admins cannot deactivate themselves"},
}


@router.post(
    "/auth/token",
    tags=["auth"],
    summary="Log in (OAuth2 password flow); the username is the email",
    responses={
        401: {"model": ErrorBody, "description": "Wrong email or password"},
        429: {"model": ErrorBody, "description": "Too many failed logins for this email or client; see Retry-After"},
    },
    response_model=Token,
)
def login(request: Request, conn: ConnDep, settings: SettingsDep, form: LoginForm) -> Token | JSONResponse:
    # A refusal is answered, not raised: the request's transaction must commit so the failure counts.
    try:
        user = logins.log_in(
            conn, email=form.username, password=form.password, client_ip=client_address(request), now=datetime.now(UTC)
        )
    except LoginThrottled as exc:
        headers = {"Retry-After": str(exc.retry_after)}
        return error_response(status.HTTP_429_TOO_MANY_REQUESTS, "too_many_requests", str(exc), headers=headers)
    except NotAuthenticated as exc:
        headers = {"WWW-Authenticate": "Bearer"}
        return error_response(status.HTTP_401_UNAUTHORIZED, "not_authenticated", str(exc), headers=headers)
    lifetime = timedelta(minutes=settings.access_token_minutes)
    token = security.issue_access_token(
        user_id=user.id, role=user.role, secret=settings.signing_secret, now=datetime.now(UTC), lifetime=lifetime
    )
    return Token(access_token=token, expires_in=int(lifetime.total_seconds()))


@router.get("/auth/me", tags=["auth"], summary="Who the credentials belong to")
def read_me(principal: PortalReader) -> PrincipalPublic:
    return PrincipalPublic(
        kind=principal.kind,
        id=principal.id,
        name=principal.name,
        role=principal.role,
        email=principal.email,
        account_id=principal.account_id,
    )


@router.post("/users", tags=["users"], status_code=status.HTTP_201_CREATED, responses=EMAIL_TAKEN)
def create_user(conn: ConnDep, _: AdminUser, user_in: UserCreate) -> UserPublic:
    return auth_service.create_user(conn, user_in=user_in)


@router.get("/users", tags=["users"])
def list_users(conn: ConnDep, _: AdminUser, limit: Limit = 50, offset: Offset = 0) -> Page[UserPublic]:
    users, total = auth_service.list_users(conn, limit=limit, offset=offset)
    return Page[UserPublic](items=users, total=total, limit=limit, offset=offset)


@router.post(
    "/users/{user_id}/deactivate",
    tags=["users"],
    summary="Deactivate a user: their tokens stop working at once (not yourself)",
    responses=USER_CHANGE,
)
def deactivate_user(conn: ConnDep, admin: AdminUser, user_id: UserId) -> UserPublic:
    by_user_id = admin.id if admin.kind == "user" else None
    return auth_service.set_user_active(conn, user_id=user_id, active=False, by_user_id=by_user_id)


@router.post("/users/{user_id}/activate", tags=["users"], summary="Reactivate a user", responses=USER_CHANGE)
def activate_user(conn: ConnDep, admin: AdminUser, user_id: UserId) -> UserPublic:
    by_user_id = admin.id if admin.kind == "user" else None
    return auth_service.set_user_active(conn, user_id=user_id, active=True, by_user_id=by_user_id)


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
