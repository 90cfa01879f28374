"""One transaction per request, run inside the single trip the endpoint makes through the thread pool.

Routes are sync (psycopg's sync pool, sync services), so FastAPI runs each endpoint in the thread pool; a sync
generator dependency would cost two more trips (its setup and its teardown), and every trip is a thread handoff
that costs more CPU than a simple query.  So:

- `take_connection` (the `ConnDep` dependency, async) takes an idle pooled connection on the event loop, which
  needs no I/O, and hands the wait to a thread only when the pool has none idle.  At most as many requests as the
  pool has connections wait in a thread (`ConnectionWaits`); the others wait on the event loop.  Without that
  bound, a database outage under load filled every worker thread with requests waiting for a connection, and the
  requests that did get one could find no thread to run in: the API stayed wedged after the database came back
  (the soak's PostgreSQL restart, `tests/e2e/test_api_database_outage.py`);
- what the transaction must know before the endpoint's first statement (who is acting, for the audit trail) is
  queued on the connection by the auth dependency (`ApiConnection.defer`), not sent from the event loop;
- `TransactionalRoute` wraps each endpoint so that, in the endpoint's own thread, the queued statements run, then
  the endpoint, then the commit (or the rollback if it raised);
- staff reads (GET/HEAD) run in autocommit: each statement is its own transaction at READ COMMITTED, exactly what a
  multi-statement read transaction gives at that level, without the BEGIN and COMMIT round trips.  A customer's
  read is the exception: its row-level scope is transaction-local, so it runs in a transaction.

The teardown gives the connection back to the pool; it touches the network (in a thread) only when something left
a transaction open, e.g. a dependency failed before the endpoint ran.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import psycopg
from fastapi.routing import APIRoute
from psycopg import pq
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool, PoolTimeout
from starlette.concurrency import run_in_threadpool

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_IDLE_ONLY = 1e-6  # a getconn timeout this short only ever takes an idle connection: it never waits for one


class ApiConnection(psycopg.Connection[TupleRow]):
    """A pooled connection that carries the statements its next transaction must start with."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deferred: list[Callable[[psycopg.Connection[Any]], None]] = []

    def defer(self, step: Callable[[psycopg.Connection[Any]], None]) -> None:
        """Run `step(conn)` at the start of the request's transaction, before the endpoint's own statements."""
        self.deferred.append(step)

    def begin_request(self) -> None:
        """Run the deferred steps; they need a transaction (transaction-local settings), so leave autocommit."""
        if not self.deferred:
            return
        if self.autocommit:
            self.autocommit = False  # allowed: in autocommit the connection is idle between statements
        steps, self.deferred = self.deferred, []
        with self.pipeline():  # BEGIN and the steps go out together: one round trip, not one per statement
            for step in steps:
                step(self)

    def end_request(self, *, failed: bool) -> None:
        """Commit the request's transaction, or roll it back if the endpoint raised."""
        if self.info.transaction_status == pq.TransactionStatus.IDLE:
            return
        if failed or self.info.transaction_status == pq.TransactionStatus.INERROR:
            self.rollback()
        else:
            self.commit()


class ConnectionWaits:
    """Bounds the requests that wait for a pooled connection in a worker thread to the pool's size, so waiting
    never takes every thread; made in the app's event loop (its lifespan)."""

    def __init__(self, slots: int) -> None:
        self._slots = anyio.Semaphore(slots)

    async def getconn(self, pool: ConnectionPool, timeout: float) -> psycopg.Connection[Any]:
        """A connection within `timeout` s (waiting first for a slot on the event loop), else `PoolTimeout`."""
        deadline = anyio.current_time() + timeout
        with anyio.move_on_after(timeout) as waiting:
            await self._slots.acquire()
        if waiting.cancelled_caught:
            raise PoolTimeout(f"couldn't get a connection after {timeout:.2f} sec (every waiting slot was taken)")
        try:
            left = max(deadline - anyio.current_time(), _IDLE_ONLY)
            with anyio.CancelScope(shield=True):  # a connection taken must reach the caller, who gives it back
                conn: psycopg.Connection[Any] = await run_in_threadpool(pool.getconn, left)
            return conn
        finally:
            self._slots.release()


async def take_connection(
    pool: ConnectionPool, *, method: str, timeout: float, waits: ConnectionWaits
) -> AsyncIterator[ApiConnection]:
    """An idle pooled connection (autocommit for reads), given back after the request; see the module notes."""
    try:
        conn = pool.getconn(timeout=_IDLE_ONLY)
    except PoolTimeout:
        conn = await waits.getconn(pool, timeout)
    if not isinstance(conn, ApiConnection):  # the pool is opened with connection_class=ApiConnection
        pool.putconn(conn)
        raise TypeError("the API's pool must hand out ApiConnection objects")
    conn.deferred.clear()
    conn.autocommit = method in READ_ONLY_METHODS
    try:
        yield conn
    finally:
        await _give_back(pool, conn)


async def _give_back(pool: ConnectionPool, conn: ApiConnection) -> None:
    conn.deferred.clear()
    if conn.info.transaction_status != pq.TransactionStatus.IDLE:
        await run_in_threadpool(_roll_back_and_return, pool, conn)  # network I/O: off the event loop
        return
    conn.autocommit = False
    pool.putconn(conn)


def _roll_back_and_return(pool: ConnectionPool, conn: ApiConnection) -> None:
    try:
        if not conn.closed:
            conn.rollback()
            conn.autocommit = False
    finally:
        pool.putconn(conn)


def in_transaction(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """`endpoint` run as one transaction on its `conn` argument (see the module notes); async endpoints and
    endpoints without a connection are returned as they are."""
    if getattr(endpoint, "__transactional__", False) or _is_async(endpoint):
        return endpoint

    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        conn = kwargs.get("conn")
        if not isinstance(conn, ApiConnection):
            return endpoint(*args, **kwargs)
        conn.begin_request()
        try:
            result = endpoint(*args, **kwargs)
        except BaseException:
            conn.end_request(failed=True)
            raise
        conn.end_request(failed=False)
        return result

    run.__transactional__ = True  # type: ignore[attr-defined]
    return run


def _is_async(endpoint: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(inspect.unwrap(endpoint))


class TransactionalRoute(APIRoute):
    """An `APIRoute` whose sync endpoint runs as one transaction in one thread-pool trip (`in_transaction`)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, in_transaction(endpoint), **kwargs)
