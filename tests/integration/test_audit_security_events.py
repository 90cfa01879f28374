"""The security log: logins, users, API keys and device credentials, with actor, subject and client address."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from service_core.auth.domain import Role
from tests.support.api import PASSWORD, api_client, bearer, headers_for, make_user

pytestmark = pytest.mark.integration

CLIENT = "testclient"  # the address the TestClient reports


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    with api_client(database_url) as client:
        yield client


@pytest.fixture
def admin(database_url: str) -> tuple[int, dict[str, str]]:
    admin_id = make_user(database_url, Role.ADMIN, email="root@example.com")
    return admin_id, bearer(admin_id)


def events(api: TestClient, headers: dict[str, str], **filters: Any) -> list[dict[str, Any]]:
    answer = api.get("/audit/security-events", headers=headers, params=filters)
    assert answer.status_code == 200, answer.text
    return [{k: e[k] for k in ("actor", "event", "subject", "client_ip", "detail")} for e in answer.json()]


def test_logins_are_recorded_with_the_client_address(api: TestClient, database_url: str, admin):
    _, headers = admin
    user_id = make_user(database_url, Role.VIEWER, email="vic@example.com")
    wrong = api.post("/auth/token", data={"username": "vic@example.com", "password": "wrong password"})
    right = api.post("/auth/token", data={"username": "Vic@example.com", "password": PASSWORD})
    assert (wrong.status_code, right.status_code) == (401, 200)

    assert events(api, headers, event="login.failed") == [
        {"actor": "anonymous", "event": "login.failed", "subject": "vic@example.com", "client_ip": CLIENT, "detail": {}}
    ]
    assert events(api, headers, event="login.succeeded") == [
        {
            "actor": f"user:{user_id}",
            "event": "login.succeeded",
            "subject": f"user:{user_id}",
            "client_ip": CLIENT,
            "detail": {"email": "vic@example.com"},
        }
    ]


def test_a_throttled_login_is_recorded_with_its_wait(api: TestClient, database_url: str, admin):
    _, headers = admin
    for _ in range(6):
        api.post("/auth/token", data={"username": "eve@example.com", "password": "guess guess"})
    throttled = events(api, headers, event="login.throttled", subject="eve@example.com")
    assert len(throttled) == 1
    assert throttled[0]["actor"] == "anonymous" and throttled[0]["client_ip"] == CLIENT
    assert 0 < throttled[0]["detail"]["retry_after"] <= 900
    assert len(events(api, headers, event="login.failed", subject="eve@example.com")) == 5


def test_users_created_deactivated_and_reactivated_by_an_admin(api: TestClient, database_url: str, admin):
    admin_id, headers = admin
    created = api.post(
        "/users", headers=headers, json={"email": "tech@example.com", "password": PASSWORD, "role": "technician"}
    )
    assert created.status_code == 201
    user_id = created.json()["id"]
    user_token = bearer(user_id)
    assert api.get("/auth/me", headers=user_token).status_code == 200

    deactivated = api.post(f"/users/{user_id}/deactivate", headers=headers)
    assert deactivated.status_code == 200 and deactivated.json()["is_active"] is False
    assert api.get("/auth/me", headers=user_token).status_code == 401  # the token stops working at once
    again = api.post(f"/users/{user_id}/deactivate", headers=headers)
    assert again.status_code == 200  # idempotent, and recorded once
    assert api.post(f"/users/{user_id}/activate", headers=headers).json()["is_active"] is True
    assert api.get("/auth/me", headers=user_token).status_code == 200

    actor = f"user:{admin_id}"
    assert events(api, headers, subject=f"user:{user_id}") == [
        {"actor": actor, "event": "user.reactivated", "subject": f"user:{user_id}", "client_ip": CLIENT, "detail": {}},
        {"actor": actor, "event": "user.deactivated", "subject": f"user:{user_id}", "client_ip": CLIENT, "detail": {}},
        {
            "actor": actor,
            "event": "user.created",
            "subject": f"user:{user_id}",
            "client_ip": CLIENT,
            "detail": {"role": "technician"},
        },
    ]


def test_an_admin_cannot_deactivate_themselves_and_unknown_users_are_404(api: TestClient, admin):
    admin_id, headers = admin
    refused = api.post(f"/users/{admin_id}/deactivate", headers=headers)
    assert refused.status_code == 409
    assert refused.json()["error"]["message"] == "you cannot deactivate yourself; ask another admin"
    assert api.post("/users/999999/deactivate", headers=headers).status_code == 404
    assert api.post("/users/0/activate", headers=headers).status_code == 422


def test_only_admins_manage_users_and_read_the_security_log(api: TestClient, database_url: str, admin):
    admin_id, _ = admin
    finance = headers_for(database_url, Role.FINANCE)
    assert api.post(f"/users/{admin_id}/deactivate", headers=finance).status_code == 403
    assert api.get("/audit/security-events", headers=finance).status_code == 403
    assert api.get("/audit/security-events").status_code == 401


def test_api_keys_created_and_revoked(api: TestClient, admin):
    admin_id, headers = admin
    key = api.post("/api-keys", headers=headers, json={"name": "erp-sync", "role": "finance"}).json()
    assert api.delete(f"/api-keys/{key['id']}", headers=headers).status_code == 200
    assert api.delete(f"/api-keys/{key['id']}", headers=headers).status_code == 200  # revoked once
    subject = f"api_key:{key['id']}"
    assert events(api, headers, subject=subject) == [
        {
            "actor": f"user:{admin_id}",
            "event": "api_key.revoked",
            "subject": subject,
            "client_ip": CLIENT,
            "detail": {"name": "erp-sync"},
        },
        {
            "actor": f"user:{admin_id}",
            "event": "api_key.created",
            "subject": subject,
            "client_ip": CLIENT,
            "detail": {"name": "erp-sync", "role": "finance", "prefix": key["prefix"]},
        },
    ]


def test_an_api_key_acting_is_the_actor(api: TestClient, admin):
    _, headers = admin
    key = api.post("/api-keys", headers=headers, json={"name": "provisioner", "role": "admin"}).json()
    created = api.post(
        "/users", headers={"X-API-Key": key["key"]}, json={"email": "ops@example.com", "password": PASSWORD}
    )
    assert created.status_code == 201
    [event] = events(api, headers, subject=f"user:{created.json()['id']}")
    assert (event["actor"], event["event"]) == (f"api_key:{key['id']}", "user.created")


def test_device_credentials_issued_rotated_and_revoked(api: TestClient, admin):
    admin_id, headers = admin
    device = api.post("/devices", headers=headers, json={"tenant": "t1", "device_key": "pump-7", "device_type": "pump"})
    device_id = device.json()["id"]
    for step in ("credentials", "credentials", "revoke", "revoke", "credentials"):
        assert api.post(f"/devices/{device_id}/{step}", headers=headers).status_code == 200
    logged = events(api, headers, subject=f"device:{device_id}")
    assert [e["event"] for e in logged] == [
        "device.credentials_rotated",  # new credentials lift the revocation
        "device.credentials_revoked",  # revoked once, not twice
        "device.credentials_rotated",
        "device.credentials_issued",
    ]
    assert {(e["actor"], e["client_ip"]) for e in logged} == {(f"user:{admin_id}", CLIENT)}
    assert logged[0]["detail"] == {"tenant": "t1", "device_key": "pump-7"}


def test_changes_outside_the_api_are_recorded_as_the_database_role(api: TestClient, database_url: str, admin):
    _, headers = admin
    user_id = make_user(database_url, Role.VIEWER)
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE auth.users SET is_active = false WHERE id = %s", (user_id,))
        role = conn.execute("SELECT session_user").fetchone()
    [deactivated] = events(api, headers, event="user.deactivated")
    assert role is not None
    assert (deactivated["actor"], deactivated["client_ip"]) == (f"db:{role[0]}", None)


def test_the_log_pages_newest_first_and_filters(api: TestClient, database_url: str, admin):
    _, headers = admin
    for n in range(3):
        make_user(database_url, Role.VIEWER, email=f"u{n}@example.com")
    first = api.get("/audit/security-events", headers=headers, params={"event": "user.created", "limit": 2}).json()
    assert [e["detail"]["role"] for e in first] == ["viewer", "viewer"]
    rest = api.get(
        "/audit/security-events",
        headers=headers,
        params={"event": "user.created", "before_id": first[-1]["id"], "limit": 10},
    ).json()
    ids = [e["id"] for e in first + rest]
    assert len(ids) == 4 and ids == sorted(ids, reverse=True)  # three users and the admin
    assert api.get("/audit/security-events", headers=headers, params={"event": "nope"}).status_code == 422
    since = api.get("/audit/security-events", headers=headers, params={"since": "2020-01-01T00:00:00"})
    assert since.status_code == 422  # a naive time is refused


def test_the_security_log_is_append_only(database_url: str):
    make_user(database_url, Role.VIEWER)
    with psycopg.connect(database_url) as conn, pytest.raises(psycopg.errors.RestrictViolation):
        conn.execute("UPDATE audit.security_events SET actor = 'someone else'")
    with psycopg.connect(database_url) as conn, pytest.raises(psycopg.errors.RestrictViolation):
        conn.execute("DELETE FROM audit.security_events")
