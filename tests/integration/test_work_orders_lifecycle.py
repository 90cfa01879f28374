"""A work order through HTTP: opened from an incident type, booked, worked, completed, reviewed, posted, frozen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from service_core.auth.domain import Role
from tests import work_factories as wf
from tests.support.api import api_client, bearer, headers_for, make_user

pytestmark = pytest.mark.integration


@dataclass
class World:
    account_id: int
    location_id: int
    incident_type_id: int
    skill_id: int
    tech_id: int
    tech_user: int
    other_tech_id: int
    other_user: int
    part_id: int


def build(url: str, *, credit_hold: bool = False) -> World:
    tech_user, other_user = make_user(url, Role.TECHNICIAN), make_user(url, Role.TECHNICIAN)
    with psycopg.connect(url) as conn:
        payer = wf.account(conn, credit_hold=credit_hold)
        account_id = wf.account(conn, billing_account_id=payer)
        territory = wf.territory(conn)
        skill = wf.skill(conn)
        part = wf.item(conn, kind="product", unit_cost="12.50")
        wf.sla_target(conn, priority="high", response=120, resolution=480)
        return World(
            account_id=account_id,
            location_id=wf.location(conn, account_id=account_id, territory_id=territory),
            incident_type_id=wf.incident_type(
                conn, skills={skill: 2}, tasks=["Isolate pump", "Replace seal", "Test run"], items={part: "2"}
            ),
            skill_id=skill,
            tech_id=wf.resource(conn, user_id=tech_user, territory_id=territory, skills={skill: 4}),
            tech_user=tech_user,
            other_tech_id=wf.resource(conn, name="Other", user_id=other_user, skills={skill: 3}),
            other_user=other_user,
            part_id=part,
        )


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def refused(response: Any, status: int, reason: str) -> None:
    assert response.status_code == status, response.text
    assert reason in response.json()["error"]["message"]


def open_order(api: TestClient, h: dict[str, str], w: World, **extra: Any) -> dict[str, Any]:
    body = {"account_id": w.account_id, "location_id": w.location_id, "incident_type_id": w.incident_type_id}
    return ok(api.post("/work-orders", json={**body, "summary": "Pump leaking", **extra}, headers=h), 201)


def book(api: TestClient, h: dict[str, str], wo_id: int, resource_id: int, hours_ahead: int = 1) -> dict[str, Any]:
    start = datetime.now(UTC) + timedelta(hours=hours_ahead)
    slot = {
        "resource_id": resource_id,
        "start_at": start.isoformat(),
        "end_at": (start + timedelta(hours=2)).isoformat(),
    }
    return ok(api.post(f"/work-orders/{wo_id}/bookings", json=slot, headers=h), 201)


def test_open_from_incident_type_fills_everything(database_url: str) -> None:
    w = build(database_url)
    with api_client(database_url) as api:
        h = headers_for(database_url, Role.DISPATCHER)
        wo = open_order(api, h, w)
        assert (wo["status"], wo["work_type"], wo["priority"], wo["estimated_minutes"]) == (
            "unscheduled",
            "repair",
            "high",
            90,
        )
        assert wo["billing_account_id"] != w.account_id  # the payer of the service account
        created = datetime.fromisoformat(wo["created_at"])
        assert datetime.fromisoformat(wo["response_due_at"]) == created + timedelta(minutes=120)
        assert datetime.fromisoformat(wo["resolution_due_at"]) == created + timedelta(minutes=480)
        tasks = ok(api.get(f"/work-orders/{wo['id']}/tasks", headers=h))
        assert [t["description"] for t in tasks] == ["Isolate pump", "Replace seal", "Test run"]
        lines = ok(api.get(f"/work-orders/{wo['id']}/lines", headers=h))
        assert [(ln["line_status"], ln["quantity"], ln["quantity_to_bill"], ln["unit_cost"]) for ln in lines] == [
            ("estimated", "2.000", "2.000", "12.50")
        ]
        refused(api.post("/work-orders", json={"account_id": 999999, "summary": "x"}, headers=h), 404, "account")
        viewer = headers_for(database_url, Role.VIEWER)
        assert (
            api.post("/work-orders", json={"account_id": w.account_id, "summary": "x"}, headers=viewer).status_code
            == 403
        )
    with psycopg.connect(database_url) as conn:
        events = conn.execute("SELECT event FROM work.sla_events WHERE work_order_id = %s", (wo["id"],)).fetchall()
        skills = conn.execute("SELECT skill_id, min_proficiency FROM work.work_order_skills").fetchall()
    assert events == [("start",)]
    assert skills == [(w.skill_id, 2)]


def test_full_walk_from_booking_to_post_and_frozen_after(database_url: str) -> None:
    w = build(database_url)
    with api_client(database_url) as api:
        h = headers_for(database_url, Role.DISPATCHER)
        tech = bearer(w.tech_user)
        wo = open_order(api, h, w)
        wid = wo["id"]
        refused(
            api.post(
                f"/work-orders/{wid}/lines", json={"kind": "labour", "description": "x", "quantity": "1"}, headers=tech
            ),
            403,
            "no booking",
        )
        booking = book(api, h, wid, w.tech_id)
        assert ok(api.get(f"/work-orders/{wid}", headers=h))["status"] == "scheduled"
        ok(api.post(f"/bookings/{booking['id']}/status", json={"status": "traveling"}, headers=tech))
        after_travel = ok(api.get(f"/work-orders/{wid}", headers=h))
        assert after_travel["status"] == "in_progress"
        assert after_travel["responded_at"] is not None
        ok(api.post(f"/bookings/{booking['id']}/status", json={"status": "in_progress"}, headers=tech))
        assert ok(api.get(f"/work-orders/{wid}", headers=h))["responded_at"] == after_travel["responded_at"]

        lines = ok(api.get(f"/work-orders/{wid}/lines", headers=tech))
        used = ok(
            api.patch(
                f"/work-orders/{wid}/lines/{lines[0]['id']}",
                json={"line_status": "used", "quantity": "1"},
                headers=tech,
            )
        )
        assert (used["line_status"], used["quantity"], used["quantity_to_bill"]) == ("used", "1.000", "1.000")
        refused(
            api.post(
                f"/work-orders/{wid}/lines",
                json={"kind": "labour", "description": "Labour", "quantity": "1", "quantity_to_bill": "2"},
                headers=tech,
            ),
            403,
            "only a dispatcher",
        )
        labour = ok(
            api.post(
                f"/work-orders/{wid}/lines",
                json={"kind": "labour", "description": "Labour", "quantity": "1.5"},
                headers=tech,
            ),
            201,
        )
        assert labour["resource_id"] == w.tech_id and labour["unit_price"] is None
        override = ok(
            api.post(
                f"/work-orders/{wid}/lines",
                json={"kind": "travel", "description": "Travel", "quantity": "1", "quantity_to_bill": "2"},
                headers=h,
            ),
            201,
        )
        assert override["quantity_to_bill"] == "2.000"

        tasks = ok(api.get(f"/work-orders/{wid}/tasks", headers=tech))
        done = ok(
            api.put(
                f"/work-orders/{wid}/tasks/{tasks[0]['id']}/result",
                json={"result": "pass", "notes": "ok"},
                headers=tech,
            )
        )
        assert (done["result"], done["done_by"]) == ("pass", w.tech_id) and done["done_at"]
        ok(
            api.put(
                f"/work-orders/{wid}/tasks/{tasks[1]['id']}/result",
                json={"result": "fail", "notes": "worn"},
                headers=tech,
            )
        )

        t0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
        entry = {"kind": "work", "started_at": t0.isoformat(), "ended_at": (t0 + timedelta(minutes=90)).isoformat()}
        ok(api.post(f"/work-orders/{wid}/time-entries", json=entry, headers=tech), 201)
        overlap = {**entry, "kind": "break", "started_at": (t0 + timedelta(minutes=30)).isoformat()}
        refused(api.post(f"/work-orders/{wid}/time-entries", json=overlap, headers=tech), 409, "overlaps")
        travel = {"kind": "travel", "started_at": (t0 - timedelta(minutes=20)).isoformat(), "ended_at": t0.isoformat()}
        ok(api.post(f"/work-orders/{wid}/time-entries", json=travel, headers=tech), 201)
        ok(
            api.post(
                f"/work-orders/{wid}/attachments",
                json={"url": "https://x.example/p.jpg", "title": "seal"},
                headers=tech,
            ),
            201,
        )

        refused(
            api.post(f"/work-orders/{wid}/complete", json={"resolution_code": "fixed"}, headers=tech),
            409,
            "still in_progress",
        )
        ok(api.post(f"/bookings/{booking['id']}/status", json={"status": "completed"}, headers=tech))
        completed = ok(api.get(f"/work-orders/{wid}", headers=h))
        assert completed["status"] == "completed" and completed["completed_at"]
        closed = ok(
            api.post(
                f"/work-orders/{wid}/complete",
                json={"resolution_code": "fixed", "resolution_notes": "seal"},
                headers=tech,
            )
        )
        assert closed["work_order"]["resolution_code"] == "fixed" and closed["follow_up"] is None

        review = ok(api.get(f"/work-orders/{wid}/review", headers=h))
        assert len(review["used_lines"]) == 3
        assert {(t["kind"], t["minutes"]) for t in review["time_totals"]} == {("work", 90), ("travel", 20)}
        assert review["checklist"] == {"total": 3, "passed": 1, "failed": 1, "not_applicable": 0, "pending": 1}
        assert review["missing"] == ["1 checklist task(s) still pending", "1 checklist task(s) failed"]
        assert review["ready_to_post"] is False

        refused(api.post(f"/work-orders/{wid}/post", json={}, headers=tech), 403, "may not")
        refused(api.post(f"/work-orders/{wid}/post", json={}, headers=h), 409, "1 checklist task(s) are pending")
        assert api.post(f"/work-orders/{wid}/post", json={"force": True}, headers=h).status_code == 422
        posted = ok(
            api.post(f"/work-orders/{wid}/post", json={"force": True, "reason": "test run by customer"}, headers=h)
        )
        assert posted["status"] == "posted" and posted["posted_at"] and posted["posted_by"]

        refused(
            api.post(
                f"/work-orders/{wid}/lines", json={"kind": "labour", "description": "x", "quantity": "1"}, headers=h
            ),
            409,
            "is posted",
        )
        refused(api.post(f"/work-orders/{wid}/priority", json={"priority": "low"}, headers=h), 409, "is posted")
        refused(api.post(f"/work-orders/{wid}/cancel", json={"reason": "x"}, headers=h), 409, "from posted to canceled")
        refused(api.post(f"/work-orders/{wid}/post", json={}, headers=h), 409, "from posted to posted")
    with psycopg.connect(database_url) as conn, pytest.raises(psycopg.errors.RestrictViolation):
        conn.execute("UPDATE work.lines SET quantity = 9 WHERE work_order_id = %s", (wid,))


def test_cancel_paths_and_invalid_transitions(database_url: str) -> None:
    w = build(database_url)
    with api_client(database_url) as api:
        h = headers_for(database_url, Role.DISPATCHER)
        wo = open_order(api, h, w)
        refused(
            api.post(f"/work-orders/{wo['id']}/complete", json={"resolution_code": "fixed"}, headers=h),
            409,
            "from unscheduled to completed",
        )
        refused(api.post(f"/work-orders/{wo['id']}/post", json={}, headers=h), 409, "from unscheduled to posted")
        booking = book(api, h, wo["id"], w.tech_id)
        canceled = ok(api.post(f"/work-orders/{wo['id']}/cancel", json={"reason": "customer fixed it"}, headers=h))
        assert (canceled["status"], canceled["cancel_reason"]) == ("canceled", "customer fixed it")
        assert ok(api.get(f"/bookings/{booking['id']}", headers=h))["status"] == "canceled"
        refused(
            api.post(
                f"/work-orders/{wo['id']}/bookings",
                json={"resource_id": w.tech_id, "start_at": "2030-01-01T08:00:00Z", "end_at": "2030-01-01T09:00:00Z"},
                headers=h,
            ),
            409,
            "takes no new bookings",
        )

        second = open_order(api, h, w)
        b2 = book(api, h, second["id"], w.tech_id, hours_ahead=5)
        ok(api.post(f"/bookings/{b2['id']}/status", json={"status": "canceled"}, headers=h))
        assert ok(api.get(f"/work-orders/{second['id']}", headers=h))["status"] == "unscheduled"
        refused(
            api.post(f"/bookings/{b2['id']}/status", json={"status": "traveling"}, headers=h),
            409,
            "booking cannot go from canceled to traveling",
        )


def test_stale_version_and_priority_change(database_url: str) -> None:
    w = build(database_url)
    with psycopg.connect(database_url) as conn:
        wf.sla_target(conn, priority="emergency", response=30, resolution=120)
    with api_client(database_url) as api:
        h = headers_for(database_url, Role.DISPATCHER)
        wo = open_order(api, h, w)
        raised = ok(
            api.post(f"/work-orders/{wo['id']}/priority", json={"priority": "emergency", "version": 1}, headers=h)
        )
        created = datetime.fromisoformat(wo["created_at"])
        assert raised["version"] == 2
        assert datetime.fromisoformat(raised["resolution_due_at"]) == created + timedelta(minutes=120)
        refused(
            api.patch(f"/work-orders/{wo['id']}", json={"summary": "new", "version": 1}, headers=h),
            409,
            "stale version 1",
        )
        renamed = ok(api.patch(f"/work-orders/{wo['id']}", json={"summary": "new", "version": 2}, headers=h))
        assert (renamed["summary"], renamed["version"]) == ("new", 3)


def test_partial_completion_opens_a_follow_up_with_the_remaining_tasks(database_url: str) -> None:
    w = build(database_url)
    with api_client(database_url) as api:
        h = headers_for(database_url, Role.DISPATCHER)
        wo = open_order(api, h, w, preferred_resource_ids=[w.tech_id])
        booking = book(api, h, wo["id"], w.tech_id)
        for step in ("in_progress", "completed"):
            ok(api.post(f"/bookings/{booking['id']}/status", json={"status": step}, headers=h))
        tasks = ok(api.get(f"/work-orders/{wo['id']}/tasks", headers=h))
        ok(api.put(f"/work-orders/{wo['id']}/tasks/{tasks[0]['id']}/result", json={"result": "pass"}, headers=h))
        result = ok(
            api.post(
                f"/work-orders/{wo['id']}/complete",
                json={"resolution_code": "partial", "resolution_notes": "seal on order"},
                headers=h,
            )
        )
        follow_up = result["follow_up"]
        assert (follow_up["source"], follow_up["parent_id"], follow_up["status"]) == (
            "follow_up",
            wo["id"],
            "unscheduled",
        )
        remaining = ok(api.get(f"/work-orders/{follow_up['id']}/tasks", headers=h))
        assert [t["description"] for t in remaining] == ["Replace seal", "Test run"]
        assert ok(api.get(f"/work-orders/{follow_up['id']}/lines", headers=h)) == []
        original = ok(api.get(f"/work-orders/{wo['id']}/tasks", headers=h))
        assert [t["result"] for t in original] == ["pass", "not_applicable", "not_applicable"]
        assert original[1]["notes"] == f"carried over to {follow_up['number']}"
        ok(api.post(f"/work-orders/{wo['id']}/post", json={}, headers=h))


def test_patch_null_for_a_required_field_is_422_naming_it(database_url: str) -> None:
    w = build(database_url)
    with api_client(database_url) as api:
        h = headers_for(database_url, Role.DISPATCHER)
        wo = open_order(api, h, w, window_start="2030-01-07T08:00:00Z", window_end="2030-01-07T12:00:00Z")
        line = ok(api.get(f"/work-orders/{wo['id']}/lines", headers=h))[0]
        line_url = f"/work-orders/{wo['id']}/lines/{line['id']}"
        for field in ("quantity", "line_status"):
            nulled = api.patch(line_url, json={field: None}, headers=h)
            assert nulled.status_code == 422, nulled.text
            assert [f["field"] for f in nulled.json()["error"]["fields"]] == [field]
        priced = ok(api.patch(line_url, json={"unit_price": "30.00"}, headers=h))
        assert priced["unit_price"] == "30.00"
        repriced = ok(api.patch(line_url, json={"unit_price": None, "quantity_to_bill": None}, headers=h))
        assert (repriced["unit_price"], repriced["quantity"], repriced["quantity_to_bill"]) == (None, "2.000", "2.000")

        for field in ("summary", "description", "estimated_minutes"):
            nulled = api.patch(f"/work-orders/{wo['id']}", json={field: None}, headers=h)
            assert nulled.status_code == 422, nulled.text
            assert [f["field"] for f in nulled.json()["error"]["fields"]] == [field]
        cleared = ok(api.patch(f"/work-orders/{wo['id']}", json={"window_start": None, "window_end": None}, headers=h))
        assert (cleared["window_start"], cleared["window_end"], cleared["version"]) == (None, None, wo["version"] + 1)
        assert cleared["summary"] == wo["summary"]


def test_canceling_the_started_booking_takes_the_order_back(database_url: str) -> None:
    w = build(database_url)
    with api_client(database_url) as api:
        h = headers_for(database_url, Role.DISPATCHER)
        wo = open_order(api, h, w)
        started = book(api, h, wo["id"], w.tech_id)
        ok(api.post(f"/bookings/{started['id']}/status", json={"status": "traveling"}, headers=h))
        assert ok(api.get(f"/work-orders/{wo['id']}", headers=h))["status"] == "in_progress"
        ok(api.post(f"/bookings/{started['id']}/status", json={"status": "canceled"}, headers=h))
        back = ok(api.get(f"/work-orders/{wo['id']}", headers=h))
        assert back["status"] == "unscheduled" and back["responded_at"] is not None

        again = book(api, h, wo["id"], w.tech_id, hours_ahead=4)
        later = book(api, h, wo["id"], w.other_tech_id, hours_ahead=8)
        ok(api.post(f"/bookings/{again['id']}/status", json={"status": "in_progress"}, headers=h))
        assert ok(api.get(f"/work-orders/{wo['id']}", headers=h))["status"] == "in_progress"
        ok(api.post(f"/bookings/{again['id']}/status", json={"status": "canceled"}, headers=h))
        assert ok(api.get(f"/work-orders/{wo['id']}", headers=h))["status"] == "scheduled"
        for step in ("in_progress", "completed"):
            ok(api.post(f"/bookings/{later['id']}/status", json={"status": step}, headers=h))
        assert ok(api.get(f"/work-orders/{wo['id']}", headers=h))["status"] == "completed"
