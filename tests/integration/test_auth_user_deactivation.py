"""Deactivating users: never yourself, never the last active admin, not even by two admins at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from service_core.auth import service as auth_service
from service_core.auth.domain import Role
from service_core.exceptions import Conflict
from tests.support.api import api_client, bearer, make_user

pytestmark = pytest.mark.integration


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    with api_client(database_url) as client:
        yield client


def test_an_admin_api_key_cannot_deactivate_the_last_active_admin(api: TestClient, database_url: str):
    admin_id = make_user(database_url, Role.ADMIN)
    key = api.post("/api-keys", headers=bearer(admin_id), json={"name": "ops", "role": "admin"}).json()["key"]
    refused = api.post(f"/users/{admin_id}/deactivate", headers={"X-API-Key": key})
    assert refused.status_code == 409
    assert refused.json()["error"]["message"] == f"user {admin_id} is the last active admin"

    second = make_user(database_url, Role.ADMIN)
    assert api.post(f"/users/{admin_id}/deactivate", headers={"X-API-Key": key}).json()["is_active"] is False
    assert api.post(f"/users/{second}/deactivate", headers={"X-API-Key": key}).status_code == 409
    viewer = make_user(database_url, Role.VIEWER)
    assert api.post(f"/users/{viewer}/deactivate", headers={"X-API-Key": key}).json()["is_active"] is False


def test_two_admins_deactivating_each_other_at_once_leave_one_active(database_url: str):
    first, second = make_user(database_url, Role.ADMIN), make_user(database_url, Role.ADMIN)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def deactivate(target: int, by: int) -> None:
        with psycopg.connect(database_url) as conn:
            barrier.wait()
            try:
                auth_service.set_user_active(conn, user_id=target, active=False, by_user_id=by)
                outcomes.append("deactivated")
            except Conflict:
                outcomes.append("refused")

    threads = [
        threading.Thread(target=deactivate, args=(second, first)),
        threading.Thread(target=deactivate, args=(first, second)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["deactivated", "refused"]
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM auth.users WHERE role = 'admin' AND is_active").fetchone()
    assert row == (1,)
