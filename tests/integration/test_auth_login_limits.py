"""Login rate limiting against a real PostgreSQL: through HTTP, over time, and under concurrent guessing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient

from service_core.auth import logins
from service_core.auth.domain import LoginLimits, LoginThrottled, Role
from service_core.exceptions import NotAuthenticated
from tests.support.api import PASSWORD, api_client, make_user

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
LIMITS = LoginLimits(window=timedelta(minutes=15), max_failures_per_email=3, max_failures_per_client=5)


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    with api_client(database_url) as client:
        yield client


def login(api: TestClient, email: str, password: str) -> tuple[int, dict[str, object], str | None]:
    answer = api.post("/auth/token", data={"username": email, "password": password})
    return answer.status_code, answer.json(), answer.headers.get("retry-after")


def attempt(url: str, email: str, password: str, *, at: datetime, client_ip: str = "10.0.0.1") -> str:
    """One login in its own committed transaction: 'ok', 'refused' or 'throttled:<seconds>'."""
    with psycopg.connect(url) as conn:
        try:
            logins.log_in(conn, email=email, password=password, client_ip=client_ip, now=at, limits=LIMITS)
        except LoginThrottled as exc:
            return f"throttled:{exc.retry_after}"
        except NotAuthenticated:
            return "refused"
    return "ok"


def test_five_failures_for_one_email_refuse_even_the_right_password_with_429(api: TestClient, database_url: str):
    make_user(database_url, Role.VIEWER, email="vic@example.com")
    for _ in range(5):
        assert login(api, "vic@example.com", "not the password")[0] == 401
    status, body, retry_after = login(api, "VIC@example.com", PASSWORD)
    assert status == 429
    message = "too many failed logins; try again later"
    assert body == {"error": {"code": "too_many_requests", "message": message, "fields": []}}
    assert retry_after is not None and 890 <= int(retry_after) <= 900  # the first failure leaves the 15-minute window

    # another person's login from the same client is not refused by vic's count (20 per client)
    make_user(database_url, Role.VIEWER, email="dana@example.com")
    assert login(api, "dana@example.com", PASSWORD)[0] == 200


def test_twenty_failures_from_one_client_refuse_every_email(api: TestClient, database_url: str):
    make_user(database_url, Role.VIEWER, email="eve@example.com")
    for n in range(20):
        assert login(api, f"guess{n}@example.com", "whatever password")[0] == 401
    status, body, retry_after = login(api, "eve@example.com", PASSWORD)
    assert (status, body["error"]["code"]) == (429, "too_many_requests")  # type: ignore[index]
    assert retry_after is not None and int(retry_after) > 0


def test_the_window_slides_and_a_success_clears_the_email_count(database_url: str):
    make_user(database_url, Role.VIEWER, email="sam@example.com")
    url = database_url
    results = [attempt(url, "sam@example.com", "wrong password", at=T0 + timedelta(minutes=m)) for m in (0, 1, 2)]
    assert results == ["refused"] * 3
    assert attempt(url, "sam@example.com", PASSWORD, at=T0 + timedelta(minutes=3)) == "throttled:720"
    # 15 minutes after the first failure it has left the window: one more try is allowed, and it succeeds
    assert attempt(url, "sam@example.com", PASSWORD, at=T0 + timedelta(minutes=15)) == "ok"
    # the success cleared sam's failures: the two that are still in the window no longer count
    assert attempt(url, "sam@example.com", "wrong password", at=T0 + timedelta(minutes=15, seconds=1)) == "refused"
    assert attempt(url, "sam@example.com", PASSWORD, at=T0 + timedelta(minutes=15, seconds=2)) == "ok"


def test_the_client_count_is_not_cleared_by_a_success(database_url: str):
    make_user(database_url, Role.VIEWER, email="kim@example.com")
    for n in range(5):
        assert attempt(database_url, f"x{n}@example.com", "wrong password", at=T0 + timedelta(seconds=n)) == "refused"
    assert attempt(database_url, "kim@example.com", PASSWORD, at=T0 + timedelta(minutes=1)).startswith("throttled:")
    # another client is not affected
    elsewhere = attempt(database_url, "kim@example.com", PASSWORD, at=T0 + timedelta(minutes=1), client_ip="10.0.0.2")
    assert elsewhere == "ok"


def test_throttled_attempts_do_not_extend_the_wait(database_url: str):
    for m in (0, 1, 2):
        attempt(database_url, "pat@example.com", "wrong password", at=T0 + timedelta(minutes=m))
    waits = [attempt(database_url, "pat@example.com", "wrong", at=T0 + timedelta(minutes=m)) for m in (5, 10)]
    assert waits == ["throttled:600", "throttled:300"]
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM auth.login_attempts WHERE email = 'pat@example.com'").fetchone()
    assert row == (3,)


def test_old_attempts_are_pruned(database_url: str):
    attempt(database_url, "old@example.com", "wrong password", at=T0)
    attempt(database_url, "new@example.com", "wrong password", at=T0 + timedelta(days=1, seconds=1))
    with psycopg.connect(database_url) as conn:
        emails = conn.execute("SELECT email FROM auth.login_attempts").fetchall()
    assert emails == [("new@example.com",)]


def test_concurrent_guesses_cannot_slip_past_the_count(database_url: str):
    make_user(database_url, Role.VIEWER, email="race@example.com")
    results: list[str] = []
    barrier = threading.Barrier(8)

    def guess(n: int) -> None:
        barrier.wait()
        results.append(attempt(database_url, "race@example.com", f"wrong password {n}", at=T0, client_ip=f"10.1.0.{n}"))

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["refused"] * 3 + ["throttled:900"] * 5


def test_a_nul_byte_in_the_login_is_a_401_not_a_crash(api: TestClient):
    status, body, _ = login(api, "nul\x00@example.com", "pass\x00word")
    assert status == 401
    assert body == {"error": {"code": "not_authenticated", "message": "wrong email or password", "fields": []}}
