"""Logging in under a rate limit: every attempt is stored, so all API workers count the same failures.

A guessing run is refused (`LoginThrottled`, HTTP 429) once an email has `max_failures_per_email` failures since its
last success, or a client address `max_failures_per_client` failures, within the window.  Attempts for one email and
from one address are serialized with transaction-scoped advisory locks (email first, then address, so two logins
never wait on each other in a cycle): concurrent guesses cannot slip past the count.  Every outcome is written to the
security log.  The caller commits even when the login fails: a failure that is rolled back would not count.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import psycopg

from service_core.audit import service as audit_service
from service_core.auth import domain
from service_core.auth import service as auth_service
from service_core.auth.schemas import UserPublic
from service_core.exceptions import NotAuthenticated

log = logging.getLogger(__name__)

ANONYMOUS = "anonymous"
KEEP_ATTEMPTS = timedelta(days=1)  # far longer than any window; older attempts are pruned
DEFAULT_LIMITS = domain.LoginLimits()


def log_in(
    conn: psycopg.Connection,
    *,
    email: str,
    password: str,
    client_ip: str,
    now: datetime,
    limits: domain.LoginLimits = DEFAULT_LIMITS,
) -> UserPublic:
    """The active user with this email and password; `LoginThrottled` or `NotAuthenticated` otherwise (recorded)."""
    subject = domain.login_subject(email)
    client = client_ip[:100]
    _lock(conn, f"login-email:{subject}")
    _lock(conn, f"login-client:{client}")
    retry_after = _retry_after(conn, subject=subject, client_ip=client, now=now, limits=limits)
    if retry_after is not None:
        detail = {"retry_after": retry_after}
        audit_service.record_security_event(
            conn, actor=ANONYMOUS, event="login.throttled", subject=subject, client_ip=client, detail=detail
        )
        log.warning("login for %r from %s throttled for %d s", subject, client, retry_after)
        raise domain.LoginThrottled("too many failed logins; try again later", retry_after=retry_after)
    try:
        user = auth_service.authenticate(conn, email=email, password=password)
    except NotAuthenticated:
        _record_attempt(conn, subject=subject, client_ip=client, succeeded=False, now=now)
        audit_service.record_security_event(
            conn, actor=ANONYMOUS, event="login.failed", subject=subject, client_ip=client
        )
        raise
    _record_attempt(conn, subject=subject, client_ip=client, succeeded=True, now=now)
    audit_service.record_security_event(
        conn,
        actor=f"user:{user.id}",
        event="login.succeeded",
        subject=f"user:{user.id}",
        client_ip=client,
        detail={"email": user.email},
    )
    return user


def _lock(conn: psycopg.Connection, key: str) -> None:
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))


def _retry_after(
    conn: psycopg.Connection, *, subject: str, client_ip: str, now: datetime, limits: domain.LoginLimits
) -> int | None:
    """Seconds the caller must wait (the longer of the email's and the address's wait), or None."""
    since = now - limits.window
    email_failures = _column(
        conn,
        """
        SELECT at FROM auth.login_attempts
        WHERE email = %(email)s AND NOT succeeded AND at > %(since)s AND at > coalesce(
            (SELECT max(at) FROM auth.login_attempts WHERE email = %(email)s AND succeeded), '-infinity')
        ORDER BY at DESC LIMIT %(limit)s
        """,
        {"email": subject, "since": since, "limit": limits.max_failures_per_email},
    )
    client_failures = _column(
        conn,
        """
        SELECT at FROM auth.login_attempts WHERE client_ip = %(ip)s AND NOT succeeded AND at > %(since)s
        ORDER BY at DESC LIMIT %(limit)s
        """,
        {"ip": client_ip, "since": since, "limit": limits.max_failures_per_client},
    )
    waits = [
        domain.login_retry_after(email_failures, limit=limits.max_failures_per_email, window=limits.window, now=now),
        domain.login_retry_after(client_failures, limit=limits.max_failures_per_client, window=limits.window, now=now),
    ]
    refused = [wait for wait in waits if wait is not None]
    return max(refused) if refused else None


def _column(conn: psycopg.Connection, query: str, params: dict[str, object]) -> list[datetime]:
    return [row[0] for row in conn.execute(query, params).fetchall()]


def _record_attempt(conn: psycopg.Connection, *, subject: str, client_ip: str, succeeded: bool, now: datetime) -> None:
    conn.execute(
        "INSERT INTO auth.login_attempts (at, email, client_ip, succeeded) VALUES (%s, %s, %s, %s)",
        (now, subject, client_ip, succeeded),
    )
    conn.execute("DELETE FROM auth.login_attempts WHERE at < %s", (now - KEEP_ATTEMPTS,))
