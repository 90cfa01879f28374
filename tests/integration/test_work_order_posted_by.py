"""A posted work order names who posted it, a user or an integration's API key, as `created_by` names its creator."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.policy_factories import insert_account, insert_work_order

pytestmark = pytest.mark.integration


def _completed_order(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        order = insert_work_order(conn, account_id=insert_account(conn), status="completed")
        conn.execute("UPDATE work.work_orders SET completed_at = %s WHERE id = %s", (datetime.now(UTC), order))
    return order


def test_posting_with_an_api_key_names_the_key(api: TestClient, database_url: str, admin: dict[str, str]):
    created = api.post("/api-keys", json={"name": "erp-sync", "role": "dispatcher"}, headers=admin)
    assert created.status_code == 201, created.text
    order = _completed_order(database_url)
    posted = api.post(f"/work-orders/{order}/post", json={}, headers={"X-API-Key": created.json()["key"]})
    assert posted.status_code == 200, posted.text
    body = posted.json()
    assert (body["status"], body["posted_by"], body["posted_by_actor"]) == (
        "posted", None, f"api_key:{created.json()['id']}"
    )  # fmt: skip
    assert api.get(f"/work-orders/{order}", headers=admin).json()["posted_by_actor"] == body["posted_by_actor"]


def test_posting_as_a_user_names_the_user(api: TestClient, database_url: str, dispatcher: dict[str, str]):
    me = api.get("/auth/me", headers=dispatcher).json()
    order = _completed_order(database_url)
    posted = api.post(f"/work-orders/{order}/post", json={}, headers=dispatcher)
    assert posted.status_code == 200, posted.text
    assert (posted.json()["posted_by"], posted.json()["posted_by_actor"]) == (me["id"], f"user:{me['id']}")
