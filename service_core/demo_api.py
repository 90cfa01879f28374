"""The API inside `assetpulse demo`: a uvicorn server in a thread, and a demo administrator to log in with."""

from __future__ import annotations

import secrets
import threading
from pathlib import Path

import psycopg
import uvicorn

from service_core.api.app import create_app
from service_core.api.settings import ApiSettings
from service_core.auth import service as auth_service
from service_core.auth.domain import Role
from service_core.auth.schemas import UserCreate
from service_core.exceptions import Conflict

DEMO_ADMIN_EMAIL = "admin@demo.assetpulse.dev"


def ensure_demo_admin(url: str, data_dir: Path) -> tuple[str, str]:
    """The demo administrator's email and password: created on the first run, the password kept (mode 600) in
    the data directory so that later runs can show it again."""
    secret_file = data_dir / "demo-admin-password"
    if secret_file.exists():
        return DEMO_ADMIN_EMAIL, secret_file.read_text().strip()
    password = "Demo-" + secrets.token_urlsafe(12)
    with psycopg.connect(url) as conn:
        try:
            user_in = UserCreate(
                email=DEMO_ADMIN_EMAIL, full_name="Demo administrator", password=password, role=Role.ADMIN
            )
            auth_service.create_user(conn, user_in=user_in)
        except Conflict:  # created by a run whose password file was removed: nothing to show
            return DEMO_ADMIN_EMAIL, "(unknown: delete the user or the data directory)"
    data_dir.mkdir(parents=True, exist_ok=True)
    secret_file.write_text(password + "\n")
    secret_file.chmod(0o600)
    return DEMO_ADMIN_EMAIL, password


class ApiThread:
    """uvicorn serving the API in a background thread; `stop()` asks it to finish its requests and exit."""

    def __init__(self, url: str, settings: ApiSettings) -> None:
        app = create_app(settings, database_url=url)
        config = uvicorn.Config(app, host=settings.host, port=settings.port, log_config=None, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="api", daemon=True)
        self.base_url = f"http://{settings.host}:{settings.port}"

    def start(self) -> ApiThread:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)
