"""Publish domain events to their handlers, synchronously and inside the caller's transaction.

A handler takes `(conn, event)`.  Because it runs in the publisher's transaction, the reaction commits or rolls
back with the use case that caused it (posting a work order and drafting its invoice are one unit of work).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import psycopg

from service_core.events import Event

log = logging.getLogger(__name__)

Handler = Callable[[psycopg.Connection, Any], None]


def publish(conn: psycopg.Connection, event: Event) -> None:
    """Run every handler registered for `event`'s type, in order; an error rolls back the whole use case."""
    from service_core.handlers import handlers_for  # the wiring imports every domain: import it late

    for handler in handlers_for(type(event)):
        log.debug("%s → %s", type(event).__name__, getattr(handler, "__qualname__", handler))
        handler(conn, event)
