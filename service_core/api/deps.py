"""Dependencies of the routes, as `Annotated` aliases: `ConnDep`, `SettingsDep`, `CurrentUser`, `require_roles`.

Customer users (role `customer`, the customer portal) pass only `PortalReader`: the read routes of their own
accounts' records.  `CurrentUser` and every other role dependency admit staff only, so a route is closed to
customers unless it opts in.  A customer's transaction also runs as the database role `assetpulse_portal`, whose
row-level security policies show only the rows of the customer's accounts (migration 0100).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated

import psycopg
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from psycopg_pool import ConnectionPool
from starlette.concurrency import run_in_threadpool

from service_core.api.settings import ApiSettings
from service_core.api.transactions import READ_ONLY_METHODS, ApiConnection, ConnectionWaits, take_connection
from service_core.auth import security
from service_core.auth import service as auth_service
from service_core.auth.domain import ALL_ROLES, STAFF_ROLES, Principal, Role, account_scope_setting, ensure_role
from service_core.exceptions import NotAuthenticated

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="An integration's API key")


async def get_settings(request: Request) -> ApiSettings:
    """`async` only so that FastAPI calls it inline instead of in the thread pool: it does no I/O."""
    settings: ApiSettings = request.app.state.settings
    return settings


async def get_conn(request: Request) -> AsyncIterator[psycopg.Connection]:
    """One pooled connection and one transaction per request, committed when the endpoint returns (before the
    answer is sent: a client never hears "created" for something that was not committed), rolled back if it
    raises.  The transaction runs in the endpoint's own thread: see `service_core.api.transactions`.  Dependencies
    that take this connection read only: the endpoint's transaction starts after them."""
    pool: ConnectionPool = request.app.state.pool
    settings: ApiSettings = request.app.state.settings
    waits: ConnectionWaits = request.app.state.connection_waits
    async for conn in take_connection(pool, method=request.method, timeout=settings.pool_timeout_seconds, waits=waits):
        yield conn


SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
ConnDep = Annotated[psycopg.Connection, Depends(get_conn, scope="function")]
TokenDep = Annotated[str | None, Depends(oauth2_scheme)]
ApiKeyDep = Annotated[str | None, Depends(api_key_scheme)]


async def get_current_principal(
    request: Request, conn: ConnDep, settings: SettingsDep, token: TokenDep, api_key: ApiKeyDep
) -> Principal:
    """The user behind a bearer token, or the integration behind an `X-API-Key` header; 401 without either.

    A request that may write tags its transaction with the caller and their address, so the audit trail and the
    security log record who changed what, from where (reads change nothing, so they skip that round trip).  A
    customer's transaction is confined to the portal role and their accounts.  `async` with the database work
    handed to the thread pool only when needed: a read by a recently seen user costs no thread hop here.
    """
    if api_key:
        principal = await run_in_threadpool(auth_service.principal_for_api_key, conn, key=api_key)
    elif token:
        user_id = security.access_token_subject(token, secret=settings.signing_secret, now=datetime.now(UTC))
        cache: PrincipalCache = request.app.state.principal_cache
        cached = _cached_principal(cache, user_id)
        if cached is None:
            cached = await run_in_threadpool(
                _user_principal, conn, user_id, cache=cache, ttl=settings.principal_cache_seconds
            )
        principal = cached
    else:
        raise NotAuthenticated("not authenticated: send a bearer token or an X-API-Key header")
    if principal.is_customer:  # the scope must hold before any statement of the request: set it now
        await run_in_threadpool(_enter_customer_transaction, conn, principal, client_address(request))
    elif request.method not in READ_ONLY_METHODS and isinstance(conn, ApiConnection):
        actor, client_ip = principal.actor, client_address(request)
        conn.defer(lambda c: set_actor(c, actor, client_ip=client_ip))  # sent in the endpoint's transaction
    elif request.method not in READ_ONLY_METHODS:
        await run_in_threadpool(set_actor, conn, principal.actor, client_ip=client_address(request))
    return principal


def _enter_customer_transaction(conn: psycopg.Connection, principal: Principal, client_ip: str) -> None:
    if conn.autocommit:
        conn.autocommit = False  # transaction-local scope needs a transaction (idle in autocommit: allowed)
    set_actor(conn, principal.actor, client_ip=client_ip)
    enter_portal_scope(conn, principal)


PrincipalCache = dict[int, tuple[float, Principal]]
PRINCIPAL_CACHE_MAX = 10_000


def _cached_principal(cache: PrincipalCache, user_id: int) -> Principal | None:
    cached = cache.get(user_id)
    return cached[1] if cached is not None and cached[0] > time.monotonic() else None


def _user_principal(conn: psycopg.Connection, user_id: int, *, cache: PrincipalCache, ttl: float) -> Principal:
    """The token's user, read from the database at most every `ttl` seconds per app (worker process): a deactivated
    user or a changed role takes effect within `ttl` (0 reads it on every request)."""
    now = time.monotonic()
    principal = auth_service.principal_for_user(conn, user_id=user_id)
    if ttl > 0:
        if len(cache) >= PRINCIPAL_CACHE_MAX:
            cache.clear()
        cache[user_id] = (now + ttl, principal)
    return principal


PORTAL_DB_ROLE = "assetpulse_portal"


def enter_portal_scope(conn: psycopg.Connection, principal: Principal) -> None:
    """Run the rest of this transaction as the read-only portal role, seeing only the customer's accounts' rows.

    The scope is the customer's account and the accounts it pays for; both settings end with the transaction.
    """
    if principal.account_id is None:
        raise NotAuthenticated("this customer user belongs to no account")
    scope = auth_service.customer_account_scope(conn, account_id=principal.account_id)
    conn.execute("SELECT set_config('assetpulse.account_scope', %s, true)", (account_scope_setting(scope),))
    conn.execute(f"SET LOCAL ROLE {PORTAL_DB_ROLE}")


def set_actor(conn: psycopg.Connection, actor: str, *, client_ip: str | None = None) -> None:
    """Name who is acting, and from where, for the rest of this transaction (read by the audit triggers)."""
    conn.execute(
        "SELECT set_config('assetpulse.actor', %s, true), set_config('assetpulse.client_ip', %s, true)",
        (actor, client_ip or ""),
    )


def client_address(request: Request) -> str:
    """The caller's address as the server saw it (behind a proxy: run uvicorn with --forwarded-allow-ips)."""
    return request.client.host if request.client else "unknown"


Authenticated = Annotated[Principal, Depends(get_current_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets through only callers with one of `roles` (403 for the others)."""
    allowed = frozenset(roles)

    async def check_role(principal: Authenticated) -> Principal:  # no I/O: inline, not in the thread pool
        ensure_role(principal.role, allowed)
        return principal

    return check_role


CurrentUser = Annotated[Principal, Depends(require_roles(*STAFF_ROLES))]  # any staff role: read access
Staff = CurrentUser
PortalReader = Annotated[Principal, Depends(require_roles(*ALL_ROLES))]  # staff, and customers (scoped to their rows)

AdminUser = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
FleetWriter = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.DISPATCHER))]
Dispatcher = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.DISPATCHER))]
FieldWorker = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.DISPATCHER, Role.TECHNICIAN))]
Finance = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.FINANCE))]
Admin = AdminUser
