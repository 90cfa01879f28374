"""A PostgreSQL cluster of the soak's own (initdb + pg_ctl in a temporary folder, on a free loopback port), so it
can be stopped and started without touching the machine's server.  As root the server runs as `postgres`."""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import pwd
import shutil
import subprocess
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from ingest.brokers import free_port
from service_core.exceptions import ServiceUnavailable

log = logging.getLogger(__name__)

SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "200",
    "shared_buffers": "'256MB'",
    "fsync": "off",  # the soak restarts the server cleanly (fast shutdown checkpoints); it never crashes the OS
    "full_page_writes": "off",
    "synchronous_commit": "on",
    "max_wal_size": "'2GB'",
    "log_min_messages": "warning",
    "logging_collector": "off",
}
STATEMENT_STATS = "pg_stat_statements"  # contrib, shipped with the server packages; the soak reports its top
STATEMENT_STATS_SETTINGS = {
    "shared_preload_libraries": f"'{STATEMENT_STATS}'",
    "pg_stat_statements.track": "top",
    "pg_stat_statements.max": "2000",
}
TOP_STATEMENTS_SQL = """
SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), %(width)s) AS query, calls,
       round(total_exec_time::numeric, 1) AS total_ms, round(mean_exec_time::numeric, 2) AS mean_ms, rows
FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
ORDER BY total_exec_time DESC
LIMIT %(limit)s
"""


def postgres_bin_dir() -> Path:
    """The folder holding initdb and pg_ctl (PATH first, then the newest /usr/lib/postgresql/*/bin)."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    for candidate in candidates:
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    raise ServiceUnavailable("the soak needs PostgreSQL's initdb and pg_ctl (apt-get install postgresql)")


def _in_pkglibdir(bin_dir: Path) -> bool:
    """Whether `pg_config --pkglibdir` of this installation holds pg_stat_statements (a PATH install)."""
    pg_config = bin_dir / "pg_config"
    if not pg_config.exists():
        return False
    done = subprocess.run([str(pg_config), "--pkglibdir"], capture_output=True, text=True, check=False)
    return done.returncode == 0 and (Path(done.stdout.strip()) / f"{STATEMENT_STATS}.so").exists()


class OwnPostgres:
    """`initdb` into `base / data`; `start`, `stop`, `restart`; `url` for the `postgres` database."""

    def __init__(self, base: Path, *, port: int | None = None) -> None:
        self.bin = postgres_bin_dir()
        self.base = Path(base)
        self.data = self.base / "data"
        self.port = port or free_port()
        self.log_path = self.base / "postgres.log"
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._user = "postgres" if os.geteuid() == 0 else None
        self.statement_stats = (self.bin.parent / "lib" / f"{STATEMENT_STATS}.so").exists() or _in_pkglibdir(self.bin)

    # -- life cycle ------------------------------------------------------------------------------------------
    def init(self) -> OwnPostgres:
        self.base.mkdir(parents=True, exist_ok=True)
        if self._user:  # initdb refuses to run as root: the cluster belongs to `postgres`
            for folder in (self.base.parent, self.base):
                folder.chmod(0o755)  # traversable by `postgres` (a fresh temporary folder is 0700)
            entry = pwd.getpwnam(self._user)
            os.chown(self.base, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# assetpulse soak\n")
            settings = {**SERVER_SETTINGS, **(STATEMENT_STATS_SETTINGS if self.statement_stats else {})}
            for name, value in {**settings, "port": str(self.port)}.items():
                conf.write(f"{name} = {value}\n")
            conf.write(f"unix_socket_directories = '{self.data}'\n")
        return self

    def start(self, timeout: float = 60.0) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log_path), "-w", "-t", str(int(timeout)), "start")
        log.info("PostgreSQL of the soak running on port %d (postmaster %s)", self.port, self.postmaster_pid())

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "-l", str(self.log_path), "restart")

    def close(self) -> None:
        """Stop the server if it runs and remove nothing (the caller owns the folder)."""
        if self.postmaster_pid() is not None:
            with contextlib.suppress(ServiceUnavailable):
                self.stop("immediate")

    # -- where the database time went ------------------------------------------------------------------------
    def reset_statement_stats(self) -> bool:
        """Create the extension if the server preloads it and empty its counters (after the soak's setup, so the
        report shows the run's statements, not the bulk load of the history).  False where it is unavailable."""
        if not self.statement_stats:
            return False
        with psycopg.connect(self.url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f"CREATE EXTENSION IF NOT EXISTS {STATEMENT_STATS}")
            conn.execute("SELECT pg_stat_statements_reset()")
        return True

    def top_statements(self, limit: int = 8, width: int = 160) -> list[dict[str, Any]]:
        """The statements that took the most execution time since the reset (kept across the soak's clean
        restarts: the extension saves its counters at shutdown); [] where the extension is unavailable."""
        if not self.statement_stats:
            return []
        with contextlib.suppress(psycopg.Error), psycopg.connect(self.url, connect_timeout=10) as conn:
            cursor = conn.cursor(row_factory=dict_row)
            rows = cursor.execute(TOP_STATEMENTS_SQL, {"limit": limit, "width": width}).fetchall()
            return [{**row, "total_ms": float(row["total_ms"]), "mean_ms": float(row["mean_ms"])} for row in rows]
        return []

    # -- facts -----------------------------------------------------------------------------------------------
    def postmaster_pid(self) -> int | None:
        pid_file = self.data / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int(pid_file.read_text().splitlines()[0])
            os.kill(pid, 0)
            return pid
        return None

    def start_time(self) -> datetime | None:
        """`pg_postmaster_start_time()`: changes with every restart."""
        with contextlib.suppress(psycopg.Error), psycopg.connect(self.url, connect_timeout=5) as conn:
            row = conn.execute("SELECT pg_postmaster_start_time()").fetchone()
            return row[0] if row else None
        return None

    def wait_accepting(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.start_time() is not None:
                return
            time.sleep(0.2)
        raise ServiceUnavailable(f"the soak's PostgreSQL does not accept connections after {timeout:.0f}s")

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        done = subprocess.run(
            command,
            user=self._user,
            cwd=self.base,
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C at the terminal reaches the soak, which stops the server itself
        )
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip()[-1500:]
            raise ServiceUnavailable(f"{program} {' '.join(args[-1:])} failed ({done.returncode}): {tail}")
