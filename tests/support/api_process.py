"""The API as its own process (uvicorn), as an operator starts it, over a test database."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx

from ingest.brokers import free_port
from tests.support.api import SECRET


@contextlib.contextmanager
def api_process(database_url: str, *, workers: int = 1) -> Iterator[str]:
    """Serve the API on a free port until the block ends; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "ASSETPULSE_DATABASE_URL": database_url,
        "ASSETPULSE_JWT_SECRET": SECRET,
        "ASSETPULSE_ENVIRONMENT": "test",
        "ASSETPULSE_LOG_LEVEL": "WARNING",
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "service_core.api.main:app_from_env",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, env=env)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"the API exited with {process.returncode}"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, "the API did not become healthy within a minute"
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
