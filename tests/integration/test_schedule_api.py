"""The field-service optimizer through HTTP on a real database: preview writes nothing and passes the checker;
apply books the plan with explanations in one transaction, leaving locked bookings alone; an emergency is
inserted; a sick technician's bookings are re-booked; roles, bad input, and a concurrent booking (409, nothing
applied); and the `assetpulse schedule` command."""

from __future__ import annotations

import threading
import time as clock
from typing import Any

import orjson
import psycopg
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service_core.auth.domain import Role
from tests import schedule_factories as sf
from tests.support.api import api_client, headers_for

pytestmark = pytest.mark.integration

FAST = 1.0  # optimizer seconds


def optimize(api: TestClient, headers: dict[str, str], mode: str = "preview", **extra: Any) -> dict[str, Any]:
    body = {"day": sf.DAY.isoformat(), "mode": mode, "time_limit_seconds": FAST, **extra}
    response = api.post("/schedule/optimize", json=body, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def rows(url: str, query: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchall()


def active_bookings(url: str) -> dict[int, tuple[int, Any, Any, bool, str]]:
    """Work order id -> (resource, start, end, locked, assigned_by) of its active bookings."""
    found = rows(url, "SELECT work_order_id, resource_id, start_at, end_at, locked, assigned_by FROM work.bookings "
                      "WHERE status <> 'canceled' ORDER BY id")  # fmt: skip
    return {r[0]: (r[1], r[2], r[3], r[4], r[5]) for r in found}


def statuses(url: str) -> dict[int, str]:
    return {r[0]: r[1] for r in rows(url, "SELECT id, status FROM work.work_orders")}


def planned(plan: dict[str, Any]) -> dict[int, tuple[int, dict[str, Any]]]:
    """Work order id -> (resource, stop) of every stop with an order."""
    return {
        stop["work_order_id"]: (route["resource_id"], stop)
        for route in plan["routes"]
        for stop in route["stops"]
        if stop["work_order_id"] is not None
    }


def test_preview_returns_a_checked_plan_and_writes_nothing(database_url: str) -> None:
    s = sf.seed_day(database_url)
    before_bookings, before_statuses = active_bookings(database_url), statuses(database_url)
    with api_client(database_url) as api:
        plan = optimize(api, headers_for(database_url, Role.DISPATCHER))
    assert plan["mode"] == "preview" and plan["check"] == {"ok": True, "violations": [], "travel_km": plan["check"]
                                                           ["travel_km"]}  # fmt: skip
    assert active_bookings(database_url) == before_bookings and statuses(database_url) == before_statuses
    where = planned(plan)
    o = s.orders
    assert where[o["n7"]][0] == s.ana and where[o["n7"]][1]["kind"] == "locked"
    assert where[o["n7"]][1]["start_at"].startswith("2030-01-07T13:00:00")
    assert where[o["n4"]][0] == s.ben  # only Ben has hvac 4
    assert where[o["n6"]][0] == s.ana  # Ben is excluded
    assert {where[o["s1"]][0], where[o["s2"]][0]} == {s.cleo}  # the south is Cleo's
    assert all(where[o[k]][1]["kind"] == "work" for k in ("n1", "n2", "n3", "n4", "n5", "n6", "n8", "s1", "s2"))
    unscheduled = {u["work_order_id"]: u["reason"] for u in plan["unscheduled"]}
    assert unscheduled == {o["hold"]: "credit_hold", o["nowhere"]: "no_location"}
    explanation = where[o["n4"]][1]["explanation"]
    assert explanation["skills"].endswith(" 5 >= 4") and explanation["proficiency"] == 5
    assert explanation["territory"] and explanation["sla_margin_minutes"] > 0
    assert where[o["n2"]][1]["end_at"] <= "2030-01-07T14:00:00Z"  # the SLA deadline is met
    totals = plan["totals"]
    assert totals["scheduled"] == 10 and totals["unscheduled"] == 2
    assert totals["sla_critical_total"] == 1 and totals["sla_critical_scheduled"] == 1
    assert totals["travel_km"] == pytest.approx(sum(r["travel_km"] for r in plan["routes"]), abs=0.05)
    breaks = [stop for route in plan["routes"] for stop in route["stops"] if stop["kind"] == "break"]
    assert len(breaks) == 3  # every technician who works takes the break


def test_apply_books_the_plan_and_leaves_locked_bookings_alone(database_url: str) -> None:
    s = sf.seed_day(database_url)
    locked_before = rows(database_url, "SELECT * FROM work.bookings WHERE id = %s", (s.locked_booking,))
    with api_client(database_url) as api:
        plan = optimize(api, headers_for(database_url, Role.DISPATCHER), mode="apply")
    o = s.orders
    applied = plan["applied"]
    assert plan["mode"] == "apply" and plan["check"]["ok"] is True
    assert rows(database_url, "SELECT * FROM work.bookings WHERE id = %s", (s.locked_booking,)) == locked_before
    booked = active_bookings(database_url)
    where = planned(plan)
    for key in ("n1", "n2", "n3", "n4", "n5", "n6", "s1", "s2"):
        resource, start, _end, locked, assigned_by = booked[o[key]]
        assert (resource, assigned_by, locked) == (where[o[key]][0], "optimizer", False)
        assert abs(start.timestamp() - _ts(where[o[key]][1]["start_at"])) <= 1
    assert statuses(database_url)[o["n1"]] == "scheduled"
    assert {statuses(database_url)[o[k]] for k in ("n2", "n3", "n4", "n5", "n6", "s1", "s2")} == {"scheduled"}
    assert {statuses(database_url)[o[k]] for k in ("hold", "nowhere")} == {"unscheduled"}
    optimizer_rows = rows(database_url, "SELECT id, explanation, travel_minutes FROM work.bookings "
                                        "WHERE assigned_by = 'optimizer' AND status = 'scheduled'")  # fmt: skip
    assert (
        sorted(r[0] for r in optimizer_rows) == sorted(set(applied["created_booking_ids"])) and len(optimizer_rows) >= 8
    )
    for _id, explanation, _travel in optimizer_rows:
        assert explanation["strategy"] == "optimizer" and explanation["actor"].startswith("user:")
        assert {"skills", "proficiency", "territory", "travel_km_in", "sla_margin_minutes"} <= set(explanation)
    n8_moved = s.movable_booking in applied["canceled_booking_ids"]
    assert n8_moved != (s.movable_booking in applied["unchanged_booking_ids"])
    assert booked[o["n8"]][4] == ("optimizer" if n8_moved else "manual")
    assert s.locked_booking not in applied["canceled_booking_ids"] + applied["unchanged_booking_ids"]


def _ts(value: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(value).timestamp()


def test_emergency_is_inserted_with_the_least_disruption(database_url: str) -> None:
    s = sf.seed_day(database_url)
    with api_client(database_url) as api:
        h = headers_for(database_url, Role.DISPATCHER)
        optimize(api, h, mode="apply")
        emergency = sf.emergency_order(database_url, s)
        booked_before = active_bookings(database_url)
        body = {"work_order_id": emergency, "now": sf.at(10).isoformat(), "mode": "preview"}
        preview = api.post("/schedule/emergency", json=body, headers=h)
        assert preview.status_code == 200, preview.text
        assert active_bookings(database_url) == booked_before
        response = api.post("/schedule/emergency", json={**body, "mode": "apply"}, headers=h)
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["method"] in ("insertion", "insertion with eviction", "re-solve")
    assert plan["disruption"]["added"] == [emergency] and plan["check"]["ok"] is True
    resource, stop = planned(plan)[emergency]
    assert resource in (s.ana, s.ben) and stop["start_at"] >= "2030-01-07T10:00:00Z"
    assert stop["end_at"] <= "2030-01-07T16:00:00Z"
    booked = active_bookings(database_url)
    assert booked[emergency][0] == resource and booked[emergency][4] == "optimizer"
    assert statuses(database_url)[emergency] == "scheduled"
    assert booked[s.orders["n7"]] == booked_before[s.orders["n7"]]  # locked: untouched
    moved = {m["work_order_id"] for m in plan["disruption"]["moved"]}
    shifted = {m["work_order_id"] for m in plan["disruption"]["shifted"]}
    for order_id, before in booked_before.items():  # what the disruption does not name did not change
        if order_id not in moved | shifted:
            assert booked[order_id][:3] == before[:3]


def test_sick_technician_is_replanned(database_url: str) -> None:
    s = sf.seed_day(database_url)
    with api_client(database_url) as api:
        h = headers_for(database_url, Role.DISPATCHER)
        optimize(api, h, mode="apply")
        before = active_bookings(database_url)
        anas = {order for order, b in before.items() if b[0] == s.ana and not b[3]}
        assert anas, "the plan gave Ana unlocked work"
        body = {"resource_id": s.ana, "day": sf.DAY.isoformat(), "now": sf.at(6).isoformat(), "mode": "apply"}
        response = api.post("/schedule/sick", json=body, headers=h)
    assert response.status_code == 200, response.text
    plan = response.json()
    assert all(route["resource_id"] != s.ana for route in plan["routes"]) and plan["check"]["ok"] is True
    after = active_bookings(database_url)
    assert {order for order, b in after.items() if b[0] == s.ana} == {s.orders["n7"]}  # only the locked one
    assert any(str(s.locked_booking) in note for note in plan["notes"])
    moved = {m["work_order_id"]: m["to_resource_id"] for m in plan["disruption"]["moved"]}
    dropped = set(plan["disruption"]["dropped"])
    assert moved and set(moved) | dropped == anas
    for order, resource in moved.items():
        assert after[order][0] == resource == s.ben and after[order][4] == "optimizer"
    for order in dropped:
        assert order not in after and statuses(database_url)[order] == "unscheduled"
    assert set(plan["applied"]["canceled_booking_ids"]) >= set(
        r[0]
        for r in rows(
            database_url, "SELECT id FROM work.bookings WHERE resource_id = %s AND status = 'canceled'", (s.ana,)
        )
    )


def test_roles_and_bad_input_are_refused(database_url: str) -> None:
    s = sf.seed_day(database_url)
    normal = sf.emergency_order(database_url, s, priority="normal")
    with api_client(database_url) as api:
        body = {"day": sf.DAY.isoformat()}
        for role in (Role.VIEWER, Role.TECHNICIAN, Role.FINANCE):
            refused = api.post("/schedule/optimize", json=body, headers=headers_for(database_url, role))
            assert refused.status_code == 403, refused.text
        h = headers_for(database_url, Role.DISPATCHER)
        for bad in (
            {"day": "2030-13-01"},
            {"day": sf.DAY.isoformat(), "mode": "commit"},
            {"day": sf.DAY.isoformat(), "time_limit_seconds": 0},
            {"day": sf.DAY.isoformat(), "time_limit_seconds": 600},
        ):
            assert api.post("/schedule/optimize", json=bad, headers=h).status_code == 422, bad
        naive = {"work_order_id": normal, "now": "2030-01-07T10:00:00"}
        assert api.post("/schedule/emergency", json=naive, headers=h).status_code == 422
        not_urgent = api.post("/schedule/emergency", json={"work_order_id": normal}, headers=h)
        assert not_urgent.status_code == 422 and "only emergencies" in not_urgent.text
        missing = api.post("/schedule/optimize", json={**body, "territory": "Atlantis"}, headers=h)
        assert missing.status_code == 404 and "Atlantis" in missing.text
        nobody = api.post("/schedule/optimize", json={"day": "2030-01-12"}, headers=h)  # a Saturday
        assert nobody.status_code == 409 and "no technician works" in nobody.text
        sick_off = api.post("/schedule/sick", json={"resource_id": s.ana, "day": "2030-01-12"}, headers=h)
        assert sick_off.status_code == 409 and "does not work" in sick_off.text
        south = optimize(api, h, territory=s.south)
    assert [r["resource_id"] for r in south["routes"]] == [s.cleo]
    assert {u["reason"] for u in south["unscheduled"]} == {"credit_hold"}


def test_a_concurrent_booking_makes_apply_fail_with_nothing_applied(database_url: str) -> None:
    s = sf.seed_day(database_url)
    before_bookings, before_statuses = active_bookings(database_url), statuses(database_url)
    answer: dict[str, Any] = {}
    with api_client(database_url) as api, psycopg.connect(database_url) as other:
        h = headers_for(database_url, Role.DISPATCHER)
        other.execute(  # a dispatcher books Cleo all day by hand, not committed yet
            "INSERT INTO work.bookings (work_order_id, resource_id, start_at, end_at) VALUES (%s, %s, %s, %s)",
            (s.blocker_order, s.cleo, sf.at(0), sf.at(23)),
        )

        def apply() -> None:
            answer["response"] = api.post(
                "/schedule/optimize", json={"day": sf.DAY.isoformat(), "mode": "apply", "time_limit_seconds": FAST},
                headers=h,
            )  # fmt: skip

        worker = threading.Thread(target=apply)
        worker.start()
        _wait_until_blocked(database_url)
        other.commit()
        worker.join(timeout=60)
    response = answer["response"]
    assert response.status_code == 409 and "double booking refused" in response.text
    after = active_bookings(database_url)
    assert {k: v for k, v in after.items() if k != s.blocker_order} == before_bookings
    assert statuses(database_url) == before_statuses


def _wait_until_blocked(url: str) -> None:
    """Until a session of this database waits for a lock (the apply, on the uncommitted booking)."""
    for _ in range(300):
        waiting = rows(url, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                            "AND wait_event_type = 'Lock'")  # fmt: skip
        if waiting[0][0]:
            return
        clock.sleep(0.1)
    raise AssertionError("the apply never waited for the concurrent booking")


def test_cli_prints_the_plan_as_json_and_as_a_table(database_url: str) -> None:
    from service_core.cli import app

    s = sf.seed_day(database_url)
    runner = CliRunner()
    env = {"ASSETPULSE_DATABASE_URL": database_url}
    done = runner.invoke(app, ["schedule", "optimize", "--day", "2030-01-07", "--time-limit", "1", "--json"], env=env)
    assert done.exit_code == 0, done.output
    plan = orjson.loads(done.stdout)
    assert plan["mode"] == "preview" and plan["check"]["ok"] is True
    assert planned(plan)[s.orders["n4"]][0] == s.ben
    table = runner.invoke(app, ["schedule", "sick", "--resource", str(s.ben), "--day", "2030-01-07"], env=env)
    assert table.exit_code == 0, table.output
    assert table.stdout.startswith("preview 2030-01-07") and "Ana" in table.stdout and "Ben" not in table.stdout
    assert "locked" in table.stdout and "disruption:" in table.stdout
    refused = runner.invoke(app, ["schedule", "emergency", "--work-order", "WO-9999999"], env=env)
    assert refused.exit_code != 0 and "no work order numbered" in refused.output
