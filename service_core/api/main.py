"""Composition root of `assetpulse api`: settings, logging, database, schema, then uvicorn."""

from __future__ import annotations

import os

import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError

from service_core.api.app import create_app
from service_core.api.settings import ApiSettings
from service_core.config import CoreSettings
from service_core.db.migrate import migrate
from service_core.db.resolve import database_url
from service_core.exceptions import ConfigurationError
from service_core.logging import configure_logging

WORKER_HEALTHCHECK_SECONDS = 30  # how long uvicorn waits for a worker's answer before it kills it as hung


def load_settings() -> ApiSettings:
    """`ApiSettings` from the environment; a refused setting becomes a `ConfigurationError` with pydantic's reason."""
    try:
        return ApiSettings()
    except ValidationError as exc:
        reasons = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors(include_url=False))
        raise ConfigurationError(f"API settings refused: {reasons}") from exc


def app_from_env() -> FastAPI:
    """The app of one uvicorn worker process (`--factory`): settings from the environment, schema already migrated."""
    core = CoreSettings()
    configure_logging(core.log_level, core.log_format)
    return create_app(load_settings(), database_url=database_url(core))


def main(settings: ApiSettings | None = None, *, core: CoreSettings | None = None) -> None:
    """Serve the API until interrupted; pending migrations are applied first."""
    core = core or CoreSettings()
    configure_logging(core.log_level, core.log_format)
    settings = settings or load_settings()
    url = database_url(core)
    migrate(url, timescale=core.timescale)
    if settings.workers > 1:
        # Worker processes build their own app from the environment: they must share the database and the secret.
        os.environ["ASSETPULSE_DATABASE_URL"] = url
        os.environ["ASSETPULSE_JWT_SECRET"] = settings.signing_secret
        uvicorn.run(
            "service_core.api.main:app_from_env",
            factory=True,
            workers=settings.workers,
            host=settings.host,
            port=settings.port,
            log_level=core.log_level.lower(),
            log_config=None,
            access_log=False,
            # A spawned worker imports the whole CLI (about 3.5 s idle on 2 cores, 10-16 s while a compose stack
            # starts): uvicorn's default of 5 s killed and respawned a worker on every stack start.
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        )
        return
    app = create_app(settings, database_url=url)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=core.log_level.lower(), log_config=None)
