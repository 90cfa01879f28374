"""Authentication and roles through HTTP, against a real PostgreSQL (no mocks)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient

from service_core.auth import security
from service_core.auth.domain import Role
from tests.support.api import PASSWORD, api_client, bearer, headers_for, make_user

pytestmark = pytest.mark.integration


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    with api_client(database_url) as client:
        yield client


def test_login_flow_gives_a_token_that_identifies_the_user(api: TestClient, database_url: str):
    make_user(database_url, Role.DISPATCHER, email="Dana@Example.com")
    answer = api.post("/auth/token", data={"username": "dana@example.COM", "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    token = answer.json()
    assert token["token_type"] == "bearer" and token["expires_in"] == 3600

    me = api.get("/auth/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.status_code == 200
    assert me.json() == {
        "kind": "user",
        "id": me.json()["id"],
        "name": "dana@example.com",
        "role": "dispatcher",
        "email": "dana@example.com",
        "account_id": None,
    }


def test_wrong_password_and_unknown_email_are_the_same_401(api: TestClient, database_url: str):
    make_user(database_url, Role.VIEWER, email="vic@example.com")
    wrong = api.post("/auth/token", data={"username": "vic@example.com", "password": "not the password"})
    unknown = api.post("/auth/token", data={"username": "nobody@example.com", "password": PASSWORD})
    for answer in (wrong, unknown):
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == "Bearer"
        assert answer.json() == {
            "error": {"code": "not_authenticated", "message": "wrong email or password", "fields": []}
        }


def test_inactive_user_can_neither_log_in_nor_use_a_token(api: TestClient, database_url: str):
    user_id = make_user(database_url, Role.VIEWER, email="viewer@example.com")
    headers = bearer(user_id)
    assert api.get("/auth/me", headers=headers).status_code == 200
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE auth.users SET is_active = false WHERE id = %s", (user_id,))
    assert api.get("/auth/me", headers=headers).status_code == 401
    assert api.post("/auth/token", data={"username": "viewer@example.com", "password": PASSWORD}).status_code == 401


def test_missing_forged_and_expired_tokens_are_401(api: TestClient, database_url: str):
    user_id = make_user(database_url, Role.ADMIN)
    missing = api.get("/devices")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "not_authenticated"

    forged = security.issue_access_token(
        user_id=user_id,
        role=Role.ADMIN,
        secret="another-secret-" + "y" * 32,
        now=datetime.now(UTC),
        lifetime=timedelta(minutes=5),
    )
    assert api.get("/devices", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    assert api.get("/devices", headers={"Authorization": "Bearer not.a.jwt"}).status_code == 401

    expired = api.get("/devices", headers=bearer(user_id, now=datetime.now(UTC) - timedelta(hours=2)))
    assert expired.status_code == 401
    assert "expired" in expired.json()["error"]["message"]


def test_roles_are_checked(api: TestClient, database_url: str):
    viewer = headers_for(database_url, Role.VIEWER)
    device = {"tenant": "acme", "device_key": "p1", "device_type": "pump"}
    refused = api.post("/devices", json=device, headers=viewer)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    assert "admin, dispatcher" in refused.json()["error"]["message"]
    assert api.post("/users", json={"email": "x@example.com", "password": PASSWORD}, headers=viewer).status_code == 403
    assert api.post("/api-keys", json={"name": "erp"}, headers=viewer).status_code == 403
    assert api.get("/devices", headers=viewer).status_code == 200  # any role reads

    dispatcher = headers_for(database_url, Role.DISPATCHER)
    assert api.post("/devices", json=device, headers=dispatcher).status_code == 201
    assert (
        api.post("/users", json={"email": "x@example.com", "password": PASSWORD}, headers=dispatcher).status_code == 403
    )


def test_admin_creates_users_who_can_log_in(api: TestClient, database_url: str):
    admin = headers_for(database_url, Role.ADMIN)
    new_user = {"email": "Tech@Example.com", "full_name": "Terry Tech", "password": PASSWORD, "role": "technician"}
    created = api.post("/users", json=new_user, headers=admin)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["email"], body["role"], body["is_active"]) == ("tech@example.com", "technician", True)
    assert "password" not in body and "password_hash" not in body

    duplicate = api.post("/users", json={**new_user, "email": "tech@example.com"}, headers=admin)
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "conflict"

    login = api.post("/auth/token", data={"username": "tech@example.com", "password": PASSWORD})
    assert login.status_code == 200
    listed = api.get("/users", params={"limit": 1}, headers=admin).json()
    assert listed["total"] == 2 and len(listed["items"]) == 1


def test_bad_user_input_is_422_with_a_reason_per_field(api: TestClient, database_url: str):
    admin = headers_for(database_url, Role.ADMIN)
    answer = api.post("/users", json={"email": "not-an-email", "password": "short", "role": "emperor"}, headers=admin)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "validation_error"
    reasons = {f["field"]: f["reason"] for f in error["fields"]}
    assert set(reasons) == {"email", "password", "role"}
    assert "at least 12 characters" in reasons["password"]
    assert all(f["location"] == "body" for f in error["fields"])

    not_json = api.post("/users", content=b"{nope", headers={**admin, "Content-Type": "application/json"})
    assert not_json.status_code == 422
    assert not_json.json()["error"]["code"] == "validation_error"


def test_api_keys_authenticate_integrations(api: TestClient, database_url: str):
    admin = headers_for(database_url, Role.ADMIN)
    created = api.post("/api-keys", json={"name": "erp-sync", "role": "dispatcher"}, headers=admin)
    assert created.status_code == 201, created.text
    body = created.json()
    key = body["key"]
    assert key.startswith(f"apk_{body['prefix']}_")
    with psycopg.connect(database_url) as conn:
        stored = conn.execute("SELECT key_hash FROM auth.api_keys WHERE id = %s", (body["id"],)).fetchone()
    assert stored is not None and key not in stored[0] and stored[0] == security.hash_api_key(key)

    as_key = {"X-API-Key": key}
    me = api.get("/auth/me", headers=as_key).json()
    assert (me["kind"], me["name"], me["role"], me["email"]) == ("api_key", "erp-sync", "dispatcher", None)
    device = {"tenant": "acme", "device_key": "k1", "device_type": "pump"}
    assert api.post("/devices", json=device, headers=as_key).status_code == 201
    assert api.post("/api-keys", json={"name": "other"}, headers=as_key).status_code == 403

    wrong_secret = key[:-4] + ("aaaa" if not key.endswith("aaaa") else "bbbb")
    assert api.get("/auth/me", headers={"X-API-Key": wrong_secret}).status_code == 401
    assert api.get("/auth/me", headers={"X-API-Key": "garbage"}).status_code == 401

    assert api.delete(f"/api-keys/{body['id']}", headers=admin).json()["revoked_at"] is not None
    assert api.get("/auth/me", headers=as_key).status_code == 401
    assert api.delete("/api-keys/999999", headers=admin).status_code == 404


def test_expired_api_key_is_refused(api: TestClient, database_url: str):
    admin = headers_for(database_url, Role.ADMIN)
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    key = api.post("/api-keys", json={"name": "old", "expires_at": past}, headers=admin).json()["key"]
    assert api.get("/auth/me", headers={"X-API-Key": key}).status_code == 401


def test_openapi_and_docs_are_served(api: TestClient):
    spec = api.get("/openapi.json").json()
    assert {t["name"] for t in spec["tags"]} >= {"auth", "users", "api keys", "devices", "telemetry"}
    assert {
        "/auth/token",
        "/auth/me",
        "/users",
        "/api-keys",
        "/devices",
        "/devices/{device_id}",
        "/telemetry/latest",
        "/telemetry/window",
        "/telemetry/fleet",
    } <= set(spec["paths"])
    assert {"OAuth2PasswordBearer", "APIKeyHeader"} <= set(spec["components"]["securitySchemes"])
    assert api.get("/docs").status_code == 200
    unknown = api.get("/no/such/route")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"


def test_a_worker_trusts_a_looked_up_user_only_for_the_cache_time(database_url: str):
    user_id = make_user(database_url, Role.VIEWER)
    headers = bearer(user_id)
    with api_client(database_url, principal_cache_seconds=300) as cached:
        assert cached.get("/auth/me", headers=headers).status_code == 200
        with psycopg.connect(database_url) as conn:
            conn.execute("UPDATE auth.users SET is_active = false WHERE id = %s", (user_id,))
        assert cached.get("/auth/me", headers=headers).status_code == 200  # within the cache time: still trusted
    with api_client(database_url, principal_cache_seconds=0) as uncached:
        assert uncached.get("/auth/me", headers=headers).status_code == 401
