"""The FastAPI application: settings, a psycopg connection pool opened and closed with it, routes, errors."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from service_core.api.errors import install_error_handlers
from service_core.api.route_index import RouteIndex
from service_core.api.router import api_router
from service_core.api.settings import ApiSettings
from service_core.api.transactions import ApiConnection, ConnectionWaits
from service_core.db.connection import open_pool, redact

log = logging.getLogger(__name__)

OPENAPI_TAGS = [
    {"name": "auth", "description": "Log in for an access token (OAuth2 password flow); who am I."},
    {"name": "users", "description": "People who use AssetPulse and their roles (admin only)."},
    {"name": "api keys", "description": "Keys for integrations, sent as `X-API-Key` (admin only)."},
    {"name": "devices", "description": "The device registry. Any role reads; admin and dispatcher register."},
    {"name": "telemetry", "description": "Latest values, windows of one device and fleet roll-ups."},
    {"name": "health", "description": "Liveness."},
]


def create_app(settings: ApiSettings, *, database_url: str) -> FastAPI:
    """The API over the PostgreSQL at `database_url` (already migrated)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Sync psycopg pool, opened and closed off the event loop; routes are sync and run in the threadpool.
        app.state.pool = await run_in_threadpool(
            open_pool,
            database_url,
            min_size=settings.pool_min_size,
            max_size=settings.pool_max_size,
            application="assetpulse-api",
            connection_class=ApiConnection,
        )
        app.state.connection_waits = ConnectionWaits(settings.pool_max_size)
        log.info(
            "API connected to %s (pool %d-%d)", redact(database_url), settings.pool_min_size, settings.pool_max_size
        )
        try:
            yield
        finally:
            await run_in_threadpool(app.state.pool.close)

    app = FastAPI(
        title="AssetPulse API",
        version="0.1.0",
        description="Telemetry and the service-to-cash core of AssetPulse.",
        openapi_tags=OPENAPI_TAGS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.principal_cache = {}  # user id -> (expires, Principal): see deps._user_principal
    install_error_handlers(app)
    app.include_router(api_router)

    @app.get("/health", tags=["health"], summary="The process is up")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    app.router.middleware_stack = RouteIndex(app.router)  # see route_index: same answers, a fraction of the scan
    return app
