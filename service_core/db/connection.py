"""How processes reach PostgreSQL: URLs, single connections and pools (psycopg 3)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool

from service_core.exceptions import ServiceUnavailable

APPLICATION_NAME = "assetpulse"
UTC_SESSION = "-c TimeZone=UTC"


def session_options(url: str) -> str:
    """The URL's own `options` plus a UTC session time zone, so timestamps come back (and are written by the
    server, e.g. as JSON) in UTC whatever the server's default zone is."""
    own = conninfo_to_dict(url).get("options")
    return f"{own} {UTC_SESSION}" if own else UTC_SESSION


def connect(url: str, *, autocommit: bool = False, application: str = APPLICATION_NAME) -> psycopg.Connection:
    """Open one connection, turning a refusal into a clear `ServiceUnavailable`."""
    try:
        return psycopg.connect(
            url,
            autocommit=autocommit,
            application_name=application,
            connect_timeout=10,
            options=session_options(url),
        )
    except psycopg.OperationalError as exc:
        raise ServiceUnavailable(f"cannot reach PostgreSQL at {redact(url)}: {exc}".strip()) from exc


def open_pool(
    url: str,
    *,
    min_size: int = 1,
    max_size: int = 4,
    application: str = APPLICATION_NAME,
    connection_class: type[psycopg.Connection[Any]] = psycopg.Connection,
) -> ConnectionPool[Any]:
    pool: ConnectionPool[Any] = ConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        kwargs={"application_name": application, "options": session_options(url)},
        connection_class=connection_class,
        open=False,
    )
    pool.open(wait=True, timeout=15)
    return pool


@contextlib.contextmanager
def transaction(url: str) -> Iterator[psycopg.Connection]:
    """One connection, one transaction: committed on success, rolled back on error."""
    with connect(url) as conn, conn.transaction():
        yield conn


def redact(url: str) -> str:
    """The URL without its password, for logs and messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def with_database(url: str, dbname: str) -> str:
    """The same server URL pointed at another database (query-string host= stays as it is)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + dbname))


@contextlib.contextmanager
def scratch_database(
    admin_url: str, name: str, *, template: str | None = None, comment: str | None = None
) -> Iterator[str]:
    """A new database `name` (copied from `template` if given) on the server of `admin_url`; yields its URL and
    drops it, forcibly, on exit."""
    database = sql.Identifier(name)
    create = sql.SQL("CREATE DATABASE {}").format(database)
    if template is not None:
        create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with connect(admin_url, autocommit=True) as conn:
        conn.execute(create)
        if comment is not None:
            conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(database, sql.Literal(comment)))
    try:
        yield with_database(admin_url, name)
    finally:
        with connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
