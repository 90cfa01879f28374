"""The API as its own process (uvicorn), as an operator starts it, over a test database."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from service_core.api.serve import api_command, api_env, server_process
from tests.support.api import SECRET


@contextlib.contextmanager
def api_process(database_url: str, *, workers: int = 1) -> Iterator[str]:
    """Serve the API on a free port until the block ends; yields its base URL."""
    env = api_env(database_url, secret=SECRET, ASSETPULSE_PRINCIPAL_CACHE_SECONDS="0")  # tests change users' roles
    with server_process(api_command(workers=workers), env=env) as base_url:
        yield base_url
