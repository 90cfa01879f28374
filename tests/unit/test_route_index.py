"""The first-segment route index answers exactly as Starlette's full scan: same route, same 404, 405 and redirect."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Route

from service_core.api.route_index import RouteIndex, group_by_first_segment


def _app(*, indexed: bool) -> FastAPI:
    app = FastAPI()

    @app.get("/items")
    def list_items() -> dict[str, str]:
        return {"route": "list"}

    @app.get("/items/{item_id}")
    def read_item(item_id: int) -> dict[str, object]:
        return {"route": "read", "id": item_id}

    @app.post("/items/{item_id}/close")
    def close_item(item_id: int) -> dict[str, object]:
        return {"route": "close", "id": item_id}

    @app.get("/{anything}/echo")
    def echo(anything: str) -> dict[str, str]:
        return {"route": "echo", "value": anything}

    @app.get("/orders/")
    def list_orders() -> dict[str, str]:
        return {"route": "orders"}

    if indexed:
        app.router.middleware_stack = RouteIndex(app.router)
    return app


CASES = [
    ("GET", "/items"),
    ("GET", "/items/7"),
    ("GET", "/items/x"),  # a path match with a bad parameter: 422 from the same route
    ("POST", "/items/7/close"),
    ("GET", "/items/7/close"),  # path matches, method does not: 405
    ("DELETE", "/items"),
    ("GET", "/items/echo"),  # a parameter first segment, tried for every segment
    ("GET", "/zzz/echo"),
    ("GET", "/orders"),  # redirected to the trailing slash
    ("GET", "/nothing/here"),
    ("GET", "/"),
]


@pytest.mark.parametrize(("method", "path"), CASES)
def test_the_index_answers_as_the_full_scan(method: str, path: str):
    with TestClient(_app(indexed=False)) as plain, TestClient(_app(indexed=True)) as indexed:
        expected = plain.request(method, path, follow_redirects=False)
        answer = indexed.request(method, path, follow_redirects=False)
    assert (answer.status_code, answer.content, answer.headers.get("location")) == (
        expected.status_code,
        expected.content,
        expected.headers.get("location"),
    )


def test_routes_added_after_the_index_was_built_are_found():
    app = _app(indexed=True)
    with TestClient(app) as client:
        assert client.get("/later").status_code == 404

        @app.get("/later")
        def later() -> dict[str, str]:
            return {"route": "later"}

        assert client.get("/later").json() == {"route": "later"}


def test_groups_keep_the_routers_order_and_add_parameter_routes_to_every_segment():
    def endpoint() -> None:
        return None

    a, b, any_, c = (Route(p, endpoint) for p in ("/a/x", "/b", "/{p}/y", "/a/{id}"))
    groups = group_by_first_segment([a, b, any_, c])
    assert groups == {"a": [a, any_, c], "b": [b, any_]}
