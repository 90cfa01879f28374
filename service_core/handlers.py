"""Which domain reacts to which event: the one place where domains are wired to each other's events."""

from __future__ import annotations

from functools import cache

from service_core.events import Event
from service_core.messagebus import Handler


@cache
def _registry() -> dict[type[Event], tuple[Handler, ...]]:
    # Imports live here, not at module level, so that domains never import each other through the bus.
    return {}


def handlers_for(event_type: type[Event]) -> tuple[Handler, ...]:
    return _registry().get(event_type, ())
