"""An embedded PostgreSQL (the `pgserver` wheel) for the zero-config demo and the test suite."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from service_core.exceptions import ServiceUnavailable

log = logging.getLogger(__name__)


class EmbeddedPostgres:
    """A PostgreSQL server whose cluster lives in `data_dir`; it survives restarts of this process."""

    def __init__(self, data_dir: Path, *, stop_on_close: bool = True) -> None:
        self.data_dir = Path(data_dir)
        self.stop_on_close = stop_on_close
        self._server: Any = None

    def start(self) -> str:
        """Start (or attach to) the server and return a URL for its `postgres` database."""
        if "XDG_RUNTIME_DIR" not in os.environ:  # pgserver's platformdirs wants a private one (mode 0700)
            os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="assetpulse-run-")
        try:
            import pgserver
        except ImportError as exc:  # pragma: no cover - pgserver is a hard dependency
            raise ServiceUnavailable("the embedded PostgreSQL needs the 'pgserver' package") from exc
        self.data_dir.mkdir(parents=True, exist_ok=True)
        mode = "stop" if self.stop_on_close else None
        try:
            self._server = pgserver.get_server(str(self.data_dir), cleanup_mode=mode)  # type: ignore[attr-defined]
        except Exception as exc:
            raise ServiceUnavailable(f"embedded PostgreSQL did not start in {self.data_dir}: {exc}") from exc
        url: str = self._server.get_uri()
        log.info("embedded PostgreSQL running, data in %s", self.data_dir)
        return url

    def stop(self) -> None:
        if self._server is not None and self.stop_on_close:
            self._server.cleanup()
            self._server = None


@contextlib.contextmanager
def admin_server(admin_url: str | None, *, prefix: str = "assetpulse-pg-") -> Iterator[str]:
    """`admin_url` when given (a server where scratch databases may be created), else an embedded PostgreSQL in a
    fresh temporary folder for the duration of the block (benchmarks use it on a machine without a server)."""
    if admin_url:
        yield admin_url
        return
    base = Path(tempfile.mkdtemp(prefix=prefix))
    base.chmod(0o755)  # traversable: as root, pgserver runs PostgreSQL as another user
    server = EmbeddedPostgres(base / "data")
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
