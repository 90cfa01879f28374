"""How the Streamlit dashboard process is started: by `assetpulse dashboard` and by `assetpulse demo`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO

APP_PATH = Path(__file__).resolve().parent / "app.py"


def streamlit_command(*, port: int, host: str) -> list[str]:
    """`streamlit run dashboard/app.py` headless on host:port, without usage statistics or stack traces for users."""
    options = {
        "server.port": str(port),
        "server.address": host,
        "server.headless": "true",
        "browser.gatherUsageStats": "false",
        "client.toolbarMode": "viewer",
        "client.showErrorDetails": "type",  # a user never sees a stack trace
    }
    command = [sys.executable, "-m", "streamlit", "run", str(APP_PATH)]
    return command + [part for key, value in options.items() for part in (f"--{key}", value)]


def start_dashboard(
    *, port: int, host: str = "127.0.0.1", api_url: str | None = None, output: IO[bytes] | int | None = None
) -> subprocess.Popen[bytes]:
    """The dashboard as a child process reading `api_url` (else ASSETPULSE_API_URL or its default)."""
    env = {**os.environ, **({"ASSETPULSE_API_URL": api_url} if api_url else {})}
    return subprocess.Popen(streamlit_command(port=port, host=host), env=env, stdout=output, stderr=output)
