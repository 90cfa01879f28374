"""Which PostgreSQL a process talks to: the configured URL, or the embedded server in the data directory."""

from __future__ import annotations

import atexit

from service_core.config import CoreSettings
from service_core.db.embedded import EmbeddedPostgres

_embedded: EmbeddedPostgres | None = None


def database_url(settings: CoreSettings) -> str:
    """`ASSETPULSE_DATABASE_URL`, else the embedded server under `<data_dir>/pg` (started when needed)."""
    global _embedded
    if settings.database_url:
        return settings.database_url
    if _embedded is None:
        _embedded = EmbeddedPostgres(settings.data_dir / "pg")
        atexit.register(_embedded.stop)
    return _embedded.start()
