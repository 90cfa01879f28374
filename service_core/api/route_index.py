"""Route dispatch by first path segment, in front of Starlette's router.

Starlette tries every route in turn until one matches; with the ~200 routes of this API that scan (a regex per
route) cost more CPU than a simple read's handler.  `RouteIndex` tries only the routes whose first path segment
can match the request's (`/work-orders/...` → the work-order routes), in the router's own order, and hands
everything else (404, 405, trailing-slash redirects, websockets, lifespan) to the router's full scan, so the
answers are exactly Starlette's.  Routes whose first segment is a path parameter, and mounts, are tried for every
segment.  The index is rebuilt when routes are added.
"""

from __future__ import annotations

from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

_ANY_SEGMENT = ""


class RouteIndex:
    """An ASGI app that dispatches to `router`'s routes through an index of their first path segment."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self.full_scan: ASGIApp = router.app
        self._built_for: tuple[int, int] | None = None
        self._groups: dict[str, list[BaseRoute]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.full_scan(scope, receive, send)
            return
        candidates = self._index().get(_first_segment(get_route_path(scope)))
        for route in candidates or ():
            match, child_scope = route.matches(scope)
            if match is Match.FULL:  # routes of other segments cannot match at all: this is the first FULL
                scope.setdefault("router", self.router)
                scope["route"] = route
                scope.update(child_scope)
                await route.handle(scope, receive, send)
                return
        await self.full_scan(scope, receive, send)  # no full match: the router's own answer (405, redirect, 404)

    def _index(self) -> dict[str, list[BaseRoute]]:
        routes = self.router.routes
        if self._built_for != (id(routes), len(routes)):
            self._groups = group_by_first_segment(routes)
            self._built_for = (id(routes), len(routes))
        return self._groups


def group_by_first_segment(routes: list[BaseRoute]) -> dict[str, list[BaseRoute]]:
    """For each static first segment, the routes that can match a path starting with it, in their order."""
    keys = [_route_segment(route) for route in routes]
    static = {key for key in keys if key != _ANY_SEGMENT}
    return {
        segment: [route for route, key in zip(routes, keys, strict=True) if key in (segment, _ANY_SEGMENT)]
        for segment in static
    }


def _route_segment(route: BaseRoute) -> str:
    if not isinstance(route, Route):  # a mount, a host, a websocket route: tried for every path
        return _ANY_SEGMENT
    segment = _first_segment(route.path)
    return _ANY_SEGMENT if "{" in segment else segment


def _first_segment(path: str) -> str:
    return path.split("/", 2)[1] if path.startswith("/") else path
