"""Run the API (or another HTTP server) as its own process on a free port, as benchmarks and end-to-end tests do."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import httpx

from ingest.brokers import free_port
from service_core.exceptions import ServiceUnavailable


def api_command(*, workers: int = 1) -> list[str]:
    """`uvicorn` serving the API built from the environment; `{port}` is filled in by `server_process`."""
    return [sys.executable, "-m", "uvicorn", "service_core.api.main:app_from_env", "--factory",
            "--host", "127.0.0.1", "--port", "{port}", "--workers", str(workers),
            "--no-access-log", "--log-level", "warning"]  # fmt: skip


def api_env(database_url: str, *, secret: str, pool_min: int = 2, pool_max: int = 8, **extra: str) -> dict[str, str]:
    """The environment of an API process over `database_url` (test settings, the given signing secret)."""
    return {
        **os.environ,
        "ASSETPULSE_DATABASE_URL": database_url,
        "ASSETPULSE_JWT_SECRET": secret,
        "ASSETPULSE_ENVIRONMENT": "test",
        "ASSETPULSE_LOG_LEVEL": "WARNING",
        "ASSETPULSE_POOL_MIN_SIZE": str(pool_min),
        "ASSETPULSE_POOL_MAX_SIZE": str(pool_max),
        **extra,
    }


@contextlib.contextmanager
def server_process(
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    health_path: str = "/health",
    log_path: Path | None = None,
    timeout: float = 90.0,
) -> Iterator[str]:
    """Start `command` (with `{port}` replaced by a free port), yield its base URL once `health_path` answers 200,
    and stop it when the block ends.  Its output goes to `log_path` when given (and is quoted if it dies)."""
    port = free_port()
    argv = [part.format(port=port) for part in command]
    with contextlib.ExitStack() as stack:
        log = stack.enter_context(log_path.open("ab")) if log_path else None
        process = subprocess.Popen(argv, env=dict(env), stdout=log, stderr=log)
        base_url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(base_url + health_path, process, log_path, timeout)
            yield base_url
        finally:
            stop(process)


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log_path: Path | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:] if log_path else ""
            raise ServiceUnavailable(f"{url}: the process exited with {process.returncode} before answering {tail}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        time.sleep(0.2)
    raise ServiceUnavailable(f"{url} did not answer within {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 15 s."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
