"""Bookings through HTTP and with concurrent connections: who sees and moves which booking, credit hold, double
booking, warnings of manual bookings, automatic assignment with its explanation."""

from __future__ import annotations

import threading
import time as clock
from datetime import UTC, datetime, time, timedelta

import psycopg
import pytest

from service_core.accounts import service as accounts_service
from service_core.auth.domain import Role
from service_core.bookings import service as bookings_service
from service_core.bookings.schemas import BookingCreate
from service_core.exceptions import Conflict, CreditHold
from service_core.work_orders import service as work_orders_service
from service_core.work_orders.schemas import WorkOrderCreate
from tests import work_factories as wf
from tests.integration.test_work_orders_lifecycle import World, book, build, ok, open_order, refused
from tests.support.api import api_client, bearer, headers_for

pytestmark = pytest.mark.integration


def test_technicians_see_and_move_only_their_own_bookings(database_url: str) -> None:
    w = build(database_url)
    with api_client(database_url) as api:
        h = headers_for(database_url, Role.DISPATCHER)
        mine = book(api, h, open_order(api, h, w)["id"], w.tech_id)
        theirs = book(api, h, open_order(api, h, w)["id"], w.other_tech_id)
        tech = bearer(w.tech_user)
        listed = ok(api.get("/bookings", headers=tech))
        assert [b["id"] for b in listed["items"]] == [mine["id"]] and listed["total"] == 1
        assert ok(api.get("/bookings", headers=h))["total"] == 2
        refused(api.get(f"/bookings/{theirs['id']}", headers=tech), 403, "not yours")
        refused(
            api.post(f"/bookings/{theirs['id']}/status", json={"status": "traveling"}, headers=tech), 403, "not yours"
        )
        refused(api.get(f"/bookings?resource_id={w.other_tech_id}", headers=tech), 403, "only their own")
        refused(
            api.post(
                f"/work-orders/{theirs['work_order_id']}/complete", json={"resolution_code": "fixed"}, headers=tech
            ),
            403,
            "no booking",
        )
        ok(api.post(f"/bookings/{mine['id']}/status", json={"status": "traveling"}, headers=tech))
        day = mine["start_at"][:10]
        by_day = ok(api.get(f"/bookings?day={day}&status=traveling", headers=h))
        assert [b["id"] for b in by_day["items"]] == [mine["id"]]
        assert ok(api.get("/bookings?day=2001-01-01", headers=h))["total"] == 0


def test_credit_hold_blocks_non_emergency_bookings(database_url: str) -> None:
    w = build(database_url, credit_hold=True)
    with api_client(database_url) as api:
        h = headers_for(database_url, Role.DISPATCHER)
        normal = open_order(api, h, w, priority="normal")
        slot = {"resource_id": w.tech_id, "start_at": "2030-01-07T09:00:00Z", "end_at": "2030-01-07T10:00:00Z"}
        refused(api.post(f"/work-orders/{normal['id']}/bookings", json=slot, headers=h), 409, "on credit hold: overdue")
        refused(api.post(f"/work-orders/{normal['id']}/auto-assign", headers=h), 409, "credit hold")
        urgent = open_order(api, h, w, priority="emergency")
        ok(api.post(f"/work-orders/{urgent['id']}/bookings", json=slot, headers=h), 201)


def test_double_booking_is_refused_with_a_reason(database_url: str) -> None:
    w = build(database_url)
    with api_client(database_url) as api:
        h = headers_for(database_url, Role.DISPATCHER)
        first = open_order(api, h, w)
        second = open_order(api, h, w)
        slot = {"resource_id": w.tech_id, "start_at": "2030-01-07T09:00:00Z", "end_at": "2030-01-07T11:00:00Z"}
        ok(api.post(f"/work-orders/{first['id']}/bookings", json=slot, headers=h), 201)
        overlapping = {**slot, "start_at": "2030-01-07T10:00:00Z", "end_at": "2030-01-07T12:00:00Z"}
        refused(
            api.post(f"/work-orders/{second['id']}/bookings", json=overlapping, headers=h),
            409,
            "double booking refused",
        )
        assert ok(api.get(f"/work-orders/{second['id']}", headers=h))["status"] == "unscheduled"
        after = {**slot, "start_at": "2030-01-07T11:00:00Z", "end_at": "2030-01-07T12:00:00Z"}
        ok(api.post(f"/work-orders/{second['id']}/bookings", json=after, headers=h), 201)


def test_two_concurrent_transactions_double_booking_exactly_one_wins(database_url: str) -> None:
    w = build(database_url)
    with psycopg.connect(database_url, autocommit=True) as conn:
        orders = [
            work_orders_service.create_work_order(
                conn, work_order_in=WorkOrderCreate(account_id=w.account_id, summary=f"job {i}"), actor="test"
            ).id
            for i in range(2)
        ]
    start = datetime(2030, 2, 4, 9, 0, tzinfo=UTC)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def attempt(work_order_id: int) -> None:
        booking_in = BookingCreate(
            work_order_id=work_order_id, resource_id=w.tech_id, start_at=start, end_at=start + timedelta(hours=1)
        )
        with psycopg.connect(database_url) as conn:
            barrier.wait(timeout=5)  # both insert at once; the loser waits on the winner's uncommitted row
            try:
                bookings_service.create_booking(conn, booking_in=booking_in, actor="test")
                clock.sleep(0.3)
                conn.commit()
                outcomes.append("booked")
            except Conflict as exc:
                assert "double booking refused" in str(exc)
                outcomes.append("refused")

    threads = [threading.Thread(target=attempt, args=(wo,)) for wo in orders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert sorted(outcomes) == ["booked", "refused"]
    with psycopg.connect(database_url) as conn:
        (count,) = conn.execute("SELECT count(*) FROM work.bookings WHERE status <> 'canceled'").fetchone() or (0,)
    assert count == 1


def _booking_of(database_url: str, w: World, start: datetime) -> BookingCreate:
    with psycopg.connect(database_url, autocommit=True) as conn:
        order = WorkOrderCreate(account_id=w.account_id, summary="job", priority="normal")
        wo = work_orders_service.create_work_order(conn, work_order_in=order, actor="test")
    return BookingCreate(work_order_id=wo.id, resource_id=w.tech_id, start_at=start, end_at=start + timedelta(hours=1))


def _payer_of(database_url: str, w: World) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT billing_account_id FROM crm.accounts WHERE id = %s", (w.account_id,)).fetchone()
    assert row is not None
    return int(row[0])


def test_a_credit_hold_committed_while_a_booking_waits_refuses_the_booking(database_url: str) -> None:
    w = build(database_url)
    booking_in, payer = _booking_of(database_url, w, datetime(2030, 2, 4, 9, 0, tzinfo=UTC)), _payer_of(database_url, w)
    outcome: list[str] = []

    def book_now() -> None:
        with psycopg.connect(database_url) as conn:
            try:
                bookings_service.create_booking(conn, booking_in=booking_in, actor="test")
                conn.commit()
                outcome.append("booked")
            except CreditHold:
                outcome.append("credit hold")

    with psycopg.connect(database_url) as holder:  # the hold is set first and stays uncommitted a while
        accounts_service.set_credit_hold(holder, account_id=payer, hold=True, reason="overdue", manual=True)
        booker = threading.Thread(target=book_now)
        booker.start()
        booker.join(timeout=0.8)
        assert booker.is_alive() and outcome == []  # the booking waits on the account row instead of reading past
        holder.commit()
    booker.join(timeout=10)
    assert outcome == ["credit hold"]
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM work.bookings").fetchone() == (0,)


def test_a_credit_hold_set_while_a_booking_is_open_waits_for_it(database_url: str) -> None:
    w = build(database_url)
    booking_in, payer = _booking_of(database_url, w, datetime(2030, 2, 4, 9, 0, tzinfo=UTC)), _payer_of(database_url, w)
    held: list[bool] = []

    def hold_now() -> None:
        with psycopg.connect(database_url) as conn:
            account = accounts_service.set_credit_hold(conn, account_id=payer, hold=True, reason="overdue", manual=True)
            conn.commit()
            held.append(account.credit_hold)

    with psycopg.connect(database_url) as booker:  # the booking checked the account first: the hold comes after it
        bookings_service.create_booking(booker, booking_in=booking_in, actor="test")
        holder = threading.Thread(target=hold_now)
        holder.start()
        holder.join(timeout=0.8)
        assert holder.is_alive() and held == []
        booker.commit()
    holder.join(timeout=10)
    assert held == [True]
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM work.bookings").fetchone() == (1,)


def test_manual_booking_outside_hours_is_flagged(database_url: str) -> None:
    w = build(database_url)
    with psycopg.connect(database_url) as conn:
        office = wf.resource(conn, name="Office hours", hours=[(d, time(8), time(16)) for d in range(5)])
        conn.execute(
            "INSERT INTO resources.time_off (resource_id, start_at, end_at, reason) VALUES (%s, %s, %s, 'training')",
            (office, datetime(2030, 1, 8, 0, tzinfo=UTC), datetime(2030, 1, 9, 0, tzinfo=UTC)),
        )
    with api_client(database_url) as api:
        h = headers_for(database_url, Role.DISPATCHER)
        wo = open_order(api, h, w)
        evening = {"resource_id": office, "start_at": "2030-01-07T17:00:00Z", "end_at": "2030-01-07T18:00:00Z"}
        flagged = ok(api.post(f"/work-orders/{wo['id']}/bookings", json=evening, headers=h), 201)
        assert flagged["warnings"] == ["outside the resource's working hours (UTC)"]
        training = {"resource_id": office, "start_at": "2030-01-08T09:00:00Z", "end_at": "2030-01-08T10:00:00Z"}
        other = open_order(api, h, w)
        assert ok(api.post(f"/work-orders/{other['id']}/bookings", json=training, headers=h), 201)["warnings"] == [
            "during time off: training (from 2030-01-08 00:00 UTC)"
        ]
        fine = {"resource_id": office, "start_at": "2030-01-07T09:00:00Z", "end_at": "2030-01-07T10:00:00Z"}
        third = open_order(api, h, w)
        assert ok(api.post(f"/work-orders/{third['id']}/bookings", json=fine, headers=h), 201)["warnings"] == []
        naive = {**fine, "start_at": "2030-01-07T09:00:00"}
        assert api.post(f"/work-orders/{third['id']}/bookings", json=naive, headers=h).status_code == 422


def test_auto_assign_books_the_best_technician_and_explains(database_url: str) -> None:
    w = build(database_url)
    with api_client(database_url) as api:
        h = headers_for(database_url, Role.DISPATCHER)
        wo = open_order(api, h, w, excluded_resource_ids=[w.other_tech_id])
        booking = ok(api.post(f"/work-orders/{wo['id']}/auto-assign", headers=h), 201)
        assert (booking["resource_id"], booking["assigned_by"]) == (w.tech_id, "auto")
        chosen = booking["explanation"]["chosen"]
        assert chosen["territory"] == "the site's territory"
        assert chosen["skills_met"] == {str(w.skill_id): {"required": 2, "has": 4}}
        assert chosen["job_minutes"] == 81  # 90 min at proficiency 4 (0.9x)
        assert chosen["travel_minutes"] == 0 and chosen["sla_margin_minutes"] > 0
        assert {"resource_id": w.other_tech_id, "name": "Other", "reason": "excluded on this work order"} in booking[
            "explanation"
        ]["rejected"]
        assert ok(api.get(f"/work-orders/{wo['id']}", headers=h))["status"] == "scheduled"

        nobody = open_order(api, h, w, excluded_resource_ids=[w.tech_id, w.other_tech_id])
        refused(api.post(f"/work-orders/{nobody['id']}/auto-assign", headers=h), 409, "excluded on this work order")
        tech = bearer(w.tech_user)
        refused(api.post(f"/work-orders/{nobody['id']}/auto-assign", headers=tech), 403, "may not")


def test_auto_assign_stays_in_the_territory_unless_allowed_outside(database_url: str) -> None:
    w = build(database_url)  # "Other" is qualified and free but belongs to no territory; the site has one
    with api_client(database_url) as api:
        h = headers_for(database_url, Role.DISPATCHER)
        wo = open_order(api, h, w, excluded_resource_ids=[w.tech_id])
        url = f"/work-orders/{wo['id']}/auto-assign"
        refused(api.post(url, headers=h), 409, "nobody in the site's territory fits (1 outside it could")
        response = api.post(url, json={"allow_outside_territory": False}, headers=h)
        refused(response, 409, f"Other (#{w.other_tech_id}): outside the site's territory")
        assert f"(#{w.tech_id}): excluded on this work order" in response.json()["error"]["message"]
        assert ok(api.get(f"/work-orders/{wo['id']}", headers=h))["status"] != "scheduled"
        booking = ok(api.post(url, json={"allow_outside_territory": True}, headers=h), 201)
        assert booking["resource_id"] == w.other_tech_id
        assert booking["explanation"]["chosen"]["territory"] == "outside the site's territory (nobody in it fits)"
        assert api.post(url, json={"allow_outside_territory": "maybe"}, headers=h).status_code == 422


def test_breaks_are_not_available_to_auto_assignment_and_flagged_on_manual_bookings(database_url: str) -> None:
    w = build(database_url)
    with psycopg.connect(database_url) as conn:  # 08:00-17:00 UTC every day, an hour's break: 12:00-13:00
        conn.execute(
            "UPDATE resources.working_hours SET start_time = '08:00', end_time = '17:00', break_minutes = 60 "
            "WHERE resource_id = %s",
            (w.tech_id,),
        )
    with api_client(database_url) as api:
        h = headers_for(database_url, Role.DISPATCHER)
        spans = ok(api.get(f"/resources/{w.tech_id}/availability", params={"day": "2030-01-07"}, headers=h))
        assert spans == [
            {"start": "2030-01-07T08:00:00Z", "end": "2030-01-07T12:00:00Z"},
            {"start": "2030-01-07T13:00:00Z", "end": "2030-01-07T17:00:00Z"},
        ]
        wo = open_order(api, h, w, priority="low", excluded_resource_ids=[w.other_tech_id])  # no SLA deadline
        lunch = {"resource_id": w.tech_id, "start_at": "2030-01-07T11:30:00Z", "end_at": "2030-01-07T12:30:00Z"}
        manual = open_order(api, h, w)
        assert ok(api.post(f"/work-orders/{manual['id']}/bookings", json=lunch, headers=h), 201)["warnings"] == [
            "during the break (from 2030-01-07 12:00 UTC, 60 min)"
        ]
    with psycopg.connect(database_url) as conn:
        monday_morning = datetime(2030, 1, 7, 10, 30, tzinfo=UTC)
        booking = bookings_service.auto_assign(conn, work_order_id=wo["id"], actor="user:1", now=monday_morning)
    # 81 minutes of work from 10:30 run into the manual booking (to 12:30), then the break: 13:00 is the first fit
    assert (booking.resource_id, booking.start_at, booking.end_at) == (
        w.tech_id,
        datetime(2030, 1, 7, 13, 0, tzinfo=UTC),
        datetime(2030, 1, 7, 14, 21, tzinfo=UTC),
    )


def test_auto_assign_books_only_technicians_not_equally_qualified_equipment_or_crews(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        account, territory, skill = wf.account(conn), wf.territory(conn), wf.skill(conn)
        site = wf.location(conn, account_id=account, territory_id=territory)
        others = {  # made first (lower ids win ties), as qualified, as free and as close as the technician
            kind: wf.resource(conn, name=kind.title(), territory_id=territory, skills={skill: 4})
            for kind in ("equipment", "crew")
        }
        for kind, rid in others.items():
            conn.execute("UPDATE resources.resources SET kind = %s WHERE id = %s", (kind, rid))
        technician = wf.resource(conn, name="Tech", territory_id=territory, skills={skill: 4})
        order = {"account_id": account, "location_id": site, "required_skills": [{"skill_id": skill}]}
    with api_client(database_url) as api:
        h = headers_for(database_url, Role.DISPATCHER)
        wo = ok(api.post("/work-orders", json={**order, "summary": "Pump check"}, headers=h), 201)
        booking = ok(api.post(f"/work-orders/{wo['id']}/auto-assign", headers=h), 201)
        assert booking["resource_id"] == technician
        assert {r["resource_id"] for r in booking["explanation"]["rejected"]}.isdisjoint(others.values())
        alone = {**order, "excluded_resource_ids": [technician]}
        nobody = ok(api.post("/work-orders", json={**alone, "summary": "Pump check"}, headers=h), 201)
        only_others = api.post(f"/work-orders/{nobody['id']}/auto-assign", headers=h)
        assert only_others.status_code == 409, only_others.text
        assert only_others.json()["error"]["message"].endswith(f": Tech (#{technician}): excluded on this work order")
