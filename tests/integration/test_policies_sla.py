"""SLA clocks of work orders (inserted with SQL) and escalations through HTTP, and under concurrency."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from service_core.auth.domain import Role
from service_core.exceptions import InvalidTransition
from service_core.policies import service as policies_service
from tests.policy_factories import insert_account, insert_escalation_rule, insert_sla_target, insert_work_order
from tests.support.api import api_client, headers_for

pytestmark = pytest.mark.integration


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    with api_client(database_url) as client:
        yield client


def open_order(database_url: str, *, minutes_ago: float, status: str = "unscheduled", target: bool = True) -> int:
    with psycopg.connect(database_url) as conn:
        if target:
            insert_sla_target(conn, priority="high", response_minutes=60, resolution_minutes=480)
        return insert_work_order(
            conn,
            account_id=insert_account(conn),
            created_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
            status=status,
        )


def run_concurrently(database_url: str, work: Callable[[psycopg.Connection], Any]) -> list[Any]:
    """Run `work` in two threads, each in its own transaction, started together; results or exceptions."""
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def worker(i: int) -> None:
        with psycopg.connect(database_url) as conn:
            barrier.wait()
            try:
                with conn.transaction():
                    results[i] = work(conn)
            except Exception as exc:
                results[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_clock_of_a_running_order(api: TestClient, database_url: str):
    order_id = open_order(database_url, minutes_ago=30)
    answer = api.get(f"/policies/sla/work-orders/{order_id}", headers=headers_for(database_url, Role.VIEWER))
    assert answer.status_code == 200, answer.text
    clock = answer.json()
    assert clock["work_order_id"] == order_id and clock["paused"] is False
    response = clock["response"]
    assert response["state"] == "running" and response["breached"] is False
    assert 29.9 <= response["elapsed_minutes"] <= 31 and 29 <= response["remaining_minutes"] <= 30.1
    due = datetime.fromisoformat(response["due_at"])
    assert abs(due - (datetime.fromisoformat(clock["started_at"]) + timedelta(minutes=60))) < timedelta(seconds=1)
    assert clock["resolution"]["target_minutes"] == 480


def test_breached_response(api: TestClient, database_url: str):
    order_id = open_order(database_url, minutes_ago=90)
    clock = api.get(f"/policies/sla/work-orders/{order_id}", headers=headers_for(database_url, Role.VIEWER)).json()
    assert clock["response"]["state"] == "breached" and clock["response"]["breached"] is True
    assert clock["resolution"]["state"] == "running"


def test_pause_and_resume(api: TestClient, database_url: str):
    order_id = open_order(database_url, minutes_ago=30)
    technician = headers_for(database_url, Role.TECHNICIAN)
    url = f"/policies/sla/work-orders/{order_id}"

    paused = api.post(f"{url}/pause", json={"reason": "waiting_on_parts"}, headers=technician)
    assert paused.status_code == 200, paused.text
    assert paused.json()["paused"] is True and paused.json()["pause_reason"] == "waiting_on_parts"
    assert paused.json()["resolution"]["state"] == "paused"

    again = api.post(f"{url}/pause", json={"reason": "other"}, headers=technician)
    assert again.status_code == 409 and again.json()["error"]["message"] == "the SLA clock is already paused"

    resumed = api.post(f"{url}/resume", headers=technician)
    assert resumed.status_code == 200 and resumed.json()["paused"] is False
    running = api.post(f"{url}/resume", headers=technician)
    assert running.status_code == 409 and "nothing to resume" in running.json()["error"]["message"]

    with psycopg.connect(database_url) as conn:
        events = conn.execute(
            "SELECT event, reason FROM work.sla_events WHERE work_order_id = %s ORDER BY at, id", (order_id,)
        ).fetchall()
    assert events == [("pause", "waiting_on_parts"), ("resume", None)]


def test_clock_refusals(api: TestClient, database_url: str):
    viewer = headers_for(database_url, Role.VIEWER)
    dispatcher = headers_for(database_url, Role.DISPATCHER)
    order_id = open_order(database_url, minutes_ago=5)
    assert (
        api.post(f"/policies/sla/work-orders/{order_id}/pause", json={"reason": "other"}, headers=viewer).status_code
        == 403
    )
    bad_reason = api.post(f"/policies/sla/work-orders/{order_id}/pause", json={"reason": "lunch"}, headers=dispatcher)
    assert bad_reason.status_code == 422
    assert api.get("/policies/sla/work-orders/999999", headers=viewer).status_code == 404
    assert api.post("/policies/sla/work-orders/999999/resume", headers=dispatcher).status_code == 404

    done = open_order(database_url, minutes_ago=5, status="completed", target=False)
    closed = api.post(f"/policies/sla/work-orders/{done}/pause", json={"reason": "other"}, headers=dispatcher)
    assert closed.status_code == 409 and "is completed" in closed.json()["error"]["message"]

    with psycopg.connect(database_url) as conn:
        untargeted = insert_work_order(conn, account_id=insert_account(conn), priority="low")
    no_target = api.get(f"/policies/sla/work-orders/{untargeted}", headers=viewer)
    assert no_target.status_code == 404 and "no SLA target applies" in no_target.json()["error"]["message"]


def test_two_concurrent_pauses_cannot_both_succeed(database_url: str):
    order_id = open_order(database_url, minutes_ago=10)
    results = run_concurrently(
        database_url,
        lambda conn: policies_service.record_clock_event(
            conn, work_order_id=order_id, event="pause", reason="other", at=datetime.now(UTC)
        ),
    )
    failures = [r for r in results if isinstance(r, Exception)]
    assert len(failures) == 1 and isinstance(failures[0], InvalidTransition), results
    with psycopg.connect(database_url) as conn:
        count = conn.execute("SELECT count(*) FROM work.sla_events WHERE work_order_id = %s", (order_id,)).fetchone()
    assert count == (1,)


def test_escalations_fire_once_through_http(api: TestClient, database_url: str):
    order_id = open_order(database_url, minutes_ago=45)  # response 75 % gone
    with psycopg.connect(database_url) as conn:
        warn = insert_escalation_rule(conn, at_fraction="0.5", notify_role="dispatcher")
        insert_escalation_rule(conn, at_fraction="1.0", action="raise_priority", notify_role=None)
        insert_escalation_rule(conn, at_fraction="0.1", priority="low", notify_role="admin")
    dispatcher = headers_for(database_url, Role.DISPATCHER)
    assert api.post("/policies/escalations/run", headers=headers_for(database_url, Role.TECHNICIAN)).status_code == 403

    first = api.post("/policies/escalations/run", headers=dispatcher)
    assert first.status_code == 200, first.text
    assert [(e["work_order_id"], e["rule_id"], e["action"], e["notify_role"]) for e in first.json()] == [
        (order_id, warn, "notify", "dispatcher")
    ]
    assert api.post("/policies/escalations/run", headers=dispatcher).json() == []

    feed = api.get(
        "/policies/escalations", params={"notify_role": "dispatcher"}, headers=headers_for(database_url, Role.VIEWER)
    )
    assert feed.json()["total"] == 1 and feed.json()["items"][0]["target"] == "response"
    with psycopg.connect(database_url) as conn:
        priority = conn.execute("SELECT priority FROM work.work_orders WHERE id = %s", (order_id,)).fetchone()
    assert priority == ("high",)  # recording is the action: the order is left alone


def test_escalations_skip_closed_and_paused_orders(database_url: str):
    open_order(database_url, minutes_ago=200, status="completed")
    with psycopg.connect(database_url) as conn:
        account = insert_account(conn)
        paused = insert_work_order(conn, account_id=account, created_at=datetime.now(UTC) - timedelta(minutes=200))
        conn.execute(
            "INSERT INTO work.sla_events (work_order_id, at, event, reason) VALUES (%s, %s, 'pause', 'other')",
            (paused, datetime.now(UTC) - timedelta(minutes=190)),
        )
        insert_escalation_rule(conn, at_fraction="0.5")
        assert policies_service.run_escalations(conn, now=datetime.now(UTC)) == []


def test_two_concurrent_runs_record_each_escalation_once(database_url: str):
    orders = [open_order(database_url, minutes_ago=70, target=i == 0) for i in range(3)]
    with psycopg.connect(database_url) as conn:
        insert_escalation_rule(conn, at_fraction="0.5")
        insert_escalation_rule(conn, at_fraction="1.0", action="reassign", notify_role="dispatcher")
    now = datetime.now(UTC)
    results = run_concurrently(database_url, lambda conn: policies_service.run_escalations(conn, now=now))
    assert not any(isinstance(r, Exception) for r in results), results
    fired = sorted((e.work_order_id, e.rule_id) for r in results for e in r)
    assert len(fired) == 6 and len(set(fired)) == 6
    with psycopg.connect(database_url) as conn:
        stored = conn.execute("SELECT work_order_id, count(*) FROM policy.escalations GROUP BY 1 ORDER BY 1").fetchall()
    assert stored == [(o, 2) for o in orders]
