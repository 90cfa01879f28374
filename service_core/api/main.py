"""Composition root of `assetpulse api`: settings, logging, database, schema, then uvicorn."""

from __future__ import annotations

import uvicorn
from pydantic import ValidationError

from service_core.api.app import create_app
from service_core.api.settings import ApiSettings
from service_core.config import CoreSettings
from service_core.db.migrate import migrate
from service_core.db.resolve import database_url
from service_core.exceptions import ConfigurationError
from service_core.logging import configure_logging


def load_settings() -> ApiSettings:
    """`ApiSettings` from the environment; a refused setting becomes a `ConfigurationError` with pydantic's reason."""
    try:
        return ApiSettings()
    except ValidationError as exc:
        reasons = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors(include_url=False))
        raise ConfigurationError(f"API settings refused: {reasons}") from exc


def main(settings: ApiSettings | None = None, *, core: CoreSettings | None = None) -> None:
    """Serve the API until interrupted; pending migrations are applied first."""
    core = core or CoreSettings()
    configure_logging(core.log_level, core.log_format)
    settings = settings or load_settings()
    url = database_url(core)
    migrate(url, timescale=core.timescale)
    app = create_app(settings, database_url=url)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=core.log_level.lower(), log_config=None)
