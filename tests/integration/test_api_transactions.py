"""One transaction per request, run in the endpoint's thread (service_core/api/transactions.py), on a real database:
writes commit or roll back as a whole, the audit trail names the caller, staff reads run in autocommit, a
customer's read runs inside its row-level scope, and every connection goes back to the pool idle."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from service_core.api.deps import ConnDep, Dispatcher, PortalReader
from service_core.api.transactions import TransactionalRoute
from service_core.auth.domain import Role
from service_core.exceptions import Conflict
from tests.support.api import api_client, headers_for
from tests.tenant_factories import customer_headers

pytestmark = pytest.mark.integration


def _probe_routes(client: TestClient) -> None:
    """Routes that exist only in this test: they write to a scratch table and report their connection's state."""

    def write(conn: ConnDep, _: Dispatcher, fail: bool = False) -> dict[str, Any]:
        conn.execute("INSERT INTO public.tx_probe (note) VALUES ('first')")
        conn.execute("INSERT INTO public.tx_probe (note) VALUES ('second')")
        if fail:
            raise Conflict("refused after two writes")
        actor = conn.execute("SELECT current_setting('assetpulse.actor', true)").fetchone()
        return {"actor": actor[0] if actor else None}

    def read(conn: ConnDep, _: PortalReader) -> dict[str, Any]:
        scope = conn.execute("SELECT current_setting('assetpulse.account_scope', true)").fetchone()
        return {"autocommit": conn.autocommit, "scope": scope[0] if scope else None}

    router = client.app.router  # type: ignore[attr-defined]
    router.add_api_route("/_probe/write", write, methods=["POST"], route_class_override=TransactionalRoute)
    router.add_api_route("/_probe/read", read, methods=["GET"], route_class_override=TransactionalRoute)


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.tx_probe (id serial PRIMARY KEY, note text NOT NULL)")
    with api_client(database_url) as client:
        _probe_routes(client)
        yield client


def _notes(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [row[0] for row in conn.execute("SELECT note FROM public.tx_probe ORDER BY id")]


def _pool_is_idle(client: TestClient) -> bool:
    stats = client.app.state.pool.get_stats()  # type: ignore[attr-defined]
    return bool(stats["pool_available"] == stats["pool_size"])


def test_a_write_commits_as_a_whole_and_names_its_actor(api: TestClient, database_url: str):
    answer = api.post("/_probe/write", headers=headers_for(database_url, Role.DISPATCHER))
    assert answer.status_code == 200, answer.text
    assert answer.json()["actor"].startswith("user:")
    assert _notes(database_url) == ["first", "second"]
    assert _pool_is_idle(api)


def test_a_refused_write_leaves_nothing_behind(api: TestClient, database_url: str):
    answer = api.post("/_probe/write", params={"fail": True}, headers=headers_for(database_url, Role.DISPATCHER))
    assert answer.status_code == 409
    assert answer.json()["error"]["message"] == "refused after two writes"
    assert _notes(database_url) == []
    assert _pool_is_idle(api)


def test_a_request_refused_before_the_endpoint_gives_its_connection_back(api: TestClient, database_url: str):
    viewer, dispatcher = headers_for(database_url, Role.VIEWER), headers_for(database_url, Role.DISPATCHER)
    assert api.post("/_probe/write", headers=viewer).status_code == 403  # the role check fails after auth
    assert api.post("/_probe/write", params={"fail": "maybe"}, headers=dispatcher).status_code == 422
    assert _notes(database_url) == []
    assert _pool_is_idle(api)
    ok = api.post("/_probe/write", headers=dispatcher)
    assert ok.status_code == 200 and _notes(database_url) == ["first", "second"]


def test_staff_reads_run_in_autocommit_and_a_customer_read_inside_its_scope(api: TestClient, database_url: str):
    staff = api.get("/_probe/read", headers=headers_for(database_url, Role.VIEWER))
    assert staff.json() == {"autocommit": True, "scope": None}

    with psycopg.connect(database_url) as conn:
        account_id = conn.execute(
            "INSERT INTO crm.accounts (number, name) VALUES ('TX-1', 'Probe customer') RETURNING id"
        ).fetchone()[0]  # type: ignore[index]
    customer = api.get("/_probe/read", headers=customer_headers(database_url, account_id))
    assert customer.status_code == 200, customer.text
    assert customer.json()["autocommit"] is False
    assert str(account_id) in customer.json()["scope"].strip("{}").split(",")
    assert _pool_is_idle(api)


def test_every_route_that_takes_a_connection_runs_as_one_transaction(api: TestClient):
    routes = [r for r in api.app.routes if isinstance(r, APIRoute)]  # type: ignore[attr-defined]
    with_conn = [r for r in routes if "conn" in inspect.signature(r.endpoint).parameters]
    assert len(with_conn) > 150
    plain = [f"{sorted(r.methods)} {r.path}" for r in with_conn if not isinstance(r, TransactionalRoute)]
    assert plain == []
    assert all(getattr(r.endpoint, "__transactional__", False) for r in with_conn)
