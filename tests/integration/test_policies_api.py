"""Policy configuration through HTTP: calendars, SLA targets, escalation rules; the plan lookup contract."""

from __future__ import annotations

from datetime import UTC, date, datetime

import psycopg
import pytest
from fastapi.testclient import TestClient

from service_core.policies import service as policies_service
from tests.policy_factories import insert_account, insert_agreement, insert_sla_target

pytestmark = pytest.mark.integration

OFFICE = {
    "name": "Berlin office",
    "timezone": "Europe/Berlin",
    "hours": [{"weekday": d, "start_time": "08:00", "end_time": "17:00"} for d in range(5)]
    + [{"weekday": 4, "start_time": "22:00", "end_time": "24:00"}],
    "holidays": [{"day": "2026-12-25", "name": "Christmas"}],
}


def test_calendar_crud(api: TestClient, dispatcher, viewer):
    created = api.post("/policies/calendars", json=OFFICE, headers=dispatcher)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["timezone"] == "Europe/Berlin" and body["always_open"] is False
    assert body["hours"][0] == {"weekday": 0, "start_time": "08:00", "end_time": "17:00"}
    assert {"weekday": 4, "start_time": "22:00", "end_time": "24:00"} in body["hours"]
    assert body["holidays"] == [{"day": "2026-12-25", "name": "Christmas"}]
    calendar_id = body["id"]

    assert api.get(f"/policies/calendars/{calendar_id}", headers=viewer).json() == body
    listed = api.get("/policies/calendars", headers=viewer).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == calendar_id

    patched = api.patch(
        f"/policies/calendars/{calendar_id}",
        json={"name": "Berlin", "hours": [{"weekday": 5, "start_time": "09:00", "end_time": "12:30"}]},
        headers=dispatcher,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "Berlin"
    assert patched.json()["hours"] == [{"weekday": 5, "start_time": "09:00", "end_time": "12:30"}]
    assert patched.json()["holidays"] == body["holidays"]  # not given: kept

    assert api.delete(f"/policies/calendars/{calendar_id}", headers=dispatcher).status_code == 204
    assert api.get(f"/policies/calendars/{calendar_id}", headers=viewer).status_code == 404


def test_calendar_refusals(api: TestClient, dispatcher, viewer, database_url: str):
    assert api.post("/policies/calendars", json=OFFICE, headers=viewer).status_code == 403
    assert api.post("/policies/calendars", json=OFFICE, headers=dispatcher).status_code == 201
    duplicate = api.post("/policies/calendars", json=OFFICE, headers=dispatcher)
    assert duplicate.status_code == 409
    assert "already exists" in duplicate.json()["error"]["message"]

    bad_zone = api.post(
        "/policies/calendars", json={**OFFICE, "name": "x", "timezone": "Mars/Base"}, headers=dispatcher
    )
    assert bad_zone.status_code == 422 and "unknown time zone" in bad_zone.text
    overlap = {
        **OFFICE,
        "name": "y",
        "hours": [
            {"weekday": 0, "start_time": "08:00", "end_time": "12:00"},
            {"weekday": 0, "start_time": "11:00", "end_time": "13:00"},
        ],
    }
    assert "overlap" in api.post("/policies/calendars", json=overlap, headers=dispatcher).text
    backwards = {**OFFICE, "name": "z", "hours": [{"weekday": 0, "start_time": "18:00", "end_time": "08:00"}]}
    assert api.post("/policies/calendars", json=backwards, headers=dispatcher).status_code == 422
    bad_time = {**OFFICE, "name": "w", "hours": [{"weekday": 0, "start_time": "08:00", "end_time": "24:30"}]}
    assert api.post("/policies/calendars", json=bad_time, headers=dispatcher).status_code == 422
    assert api.patch("/policies/calendars/999", json={"name": "n"}, headers=dispatcher).status_code == 404

    calendar_id = api.get("/policies/calendars", headers=viewer).json()["items"][0]["id"]
    with psycopg.connect(database_url) as conn:
        insert_sla_target(conn, calendar_id=calendar_id)
    in_use = api.delete(f"/policies/calendars/{calendar_id}", headers=dispatcher)
    assert in_use.status_code == 409 and "is used by" in in_use.json()["error"]["message"]


def test_sla_target_crud(api: TestClient, dispatcher, viewer, database_url: str):
    with psycopg.connect(database_url) as conn:
        agreement_id = insert_agreement(conn, account_id=insert_account(conn))
    target = {"priority": "high", "response_minutes": 60, "resolution_minutes": 480}
    default = api.post("/policies/sla-targets", json=target, headers=dispatcher)
    assert default.status_code == 201, default.text
    assert default.json()["agreement_id"] is None and default.json()["warning_fraction"] == "0.750"
    own = api.post(
        "/policies/sla-targets",
        json={**target, "agreement_id": agreement_id, "response_minutes": 30},
        headers=dispatcher,
    )
    assert own.status_code == 201

    again = api.post("/policies/sla-targets", json=target, headers=dispatcher)
    assert again.status_code == 409 and "default policy already has" in again.json()["error"]["message"]
    assert api.post("/policies/sla-targets", json=target, headers=viewer).status_code == 403
    unknown = api.post("/policies/sla-targets", json={**target, "agreement_id": 9999}, headers=dispatcher)
    assert unknown.status_code == 422 and "agreement 9999 does not exist" in unknown.text
    short = api.post(
        "/policies/sla-targets", json={**target, "priority": "low", "resolution_minutes": 10}, headers=dispatcher
    )
    assert short.status_code == 422

    defaults = api.get("/policies/sla-targets", params={"defaults_only": True}, headers=viewer).json()
    assert [t["id"] for t in defaults["items"]] == [default.json()["id"]]
    mine = api.get("/policies/sla-targets", params={"agreement_id": agreement_id}, headers=viewer).json()
    assert [t["response_minutes"] for t in mine["items"]] == [30]

    target_id = default.json()["id"]
    patched = api.patch(f"/policies/sla-targets/{target_id}", json={"resolution_minutes": 240}, headers=dispatcher)
    assert patched.status_code == 200 and patched.json()["resolution_minutes"] == 240
    shorter = api.patch(f"/policies/sla-targets/{target_id}", json={"resolution_minutes": 30}, headers=dispatcher)
    assert shorter.status_code == 422
    assert api.delete(f"/policies/sla-targets/{target_id}", headers=dispatcher).status_code == 204
    assert api.get(f"/policies/sla-targets/{target_id}", headers=viewer).status_code == 404


def test_escalation_rule_crud(api: TestClient, dispatcher, viewer):
    rule = {"target": "response", "at_fraction": "0.8", "action": "notify", "notify_role": "dispatcher"}
    created = api.post("/policies/escalation-rules", json=rule, headers=dispatcher)
    assert created.status_code == 201, created.text
    assert created.json()["priority"] is None and created.json()["at_fraction"] == "0.800"
    missing_role = api.post("/policies/escalation-rules", json={**rule, "notify_role": None}, headers=dispatcher)
    assert missing_role.status_code == 422 and "notify_role" in missing_role.text
    too_far = api.post("/policies/escalation-rules", json={**rule, "at_fraction": "2.5"}, headers=dispatcher)
    assert too_far.status_code == 422
    assert api.post("/policies/escalation-rules", json=rule, headers=viewer).status_code == 403
    assert [r["id"] for r in api.get("/policies/escalation-rules", headers=viewer).json()] == [created.json()["id"]]
    rule_id = created.json()["id"]
    assert api.delete(f"/policies/escalation-rules/{rule_id}", headers=dispatcher).status_code == 204
    assert api.delete(f"/policies/escalation-rules/{rule_id}", headers=dispatcher).status_code == 404


def test_sla_plan_for_prefers_the_agreement_then_the_default(database_url: str):
    with psycopg.connect(database_url) as conn:
        calendar_id = conn.execute(
            "INSERT INTO policy.calendars (name, timezone) VALUES ('Ops', 'Europe/Berlin') RETURNING id"
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO policy.calendar_hours (calendar_id, weekday, start_time, end_time) "
            "VALUES (%s, 0, '08:00', '24:00')",
            (calendar_id,),
        )
        conn.execute("INSERT INTO policy.holidays (calendar_id, day) VALUES (%s, '2026-12-25')", (calendar_id,))
        account = insert_account(conn)
        agreement = insert_agreement(conn, account_id=account, calendar_id=calendar_id)
        other = insert_agreement(conn, account_id=account)
        default_id = insert_sla_target(conn, priority="high", response_minutes=120)
        own_id = insert_sla_target(conn, priority="high", response_minutes=30, agreement_id=agreement)

        own = policies_service.sla_plan_for(conn, agreement_id=agreement, priority="high")
        assert own is not None and own.target_id == own_id and own.response_minutes == 30
        # the target names no calendar: the agreement's applies
        assert own.calendar is not None and own.calendar.timezone == "Europe/Berlin"
        assert own.calendar.hours == {0: ((480, 1440),)} and own.calendar.holidays == frozenset({date(2026, 12, 25)})

        fallback = policies_service.sla_plan_for(conn, agreement_id=other, priority="high")
        assert fallback is not None and fallback.target_id == default_id and fallback.calendar is None
        plain = policies_service.sla_plan_for(conn, agreement_id=None, priority="high")
        assert plain is not None and plain.target_id == default_id
        assert policies_service.sla_plan_for(conn, agreement_id=agreement, priority="low") is None

        calendar = policies_service.get_calendar(conn, calendar_id=calendar_id)
        assert calendar.add_business_minutes(datetime(2026, 3, 2, 6, tzinfo=UTC), 60) == datetime(
            2026, 3, 2, 8, tzinfo=UTC
        )  # Monday 08:00 Berlin is 07:00 UTC


def test_a_new_work_order_gets_the_target_of_its_agreement_and_resulting_priority(database_url: str):
    """The intake reads the SLA target in the statement that reads the rest of the order's context: the priority
    it looks up is the request's, else the incident type's default; the agreement's own target wins."""
    from service_core.work_orders import service as work_orders_service
    from service_core.work_orders.schemas import WorkOrderCreate
    from tests import work_factories as wf

    opened = datetime(2026, 3, 2, 6, tzinfo=UTC)  # a Monday, 07:00 in Berlin
    with psycopg.connect(database_url) as conn:
        calendar_id = conn.execute(
            "INSERT INTO policy.calendars (name, timezone) VALUES ('Ops', 'Europe/Berlin') RETURNING id"
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO policy.calendar_hours (calendar_id, weekday, start_time, end_time) "
            "VALUES (%s, 0, '08:00', '17:00')",
            (calendar_id,),
        )
        account = insert_account(conn)
        agreement = insert_agreement(conn, account_id=account, calendar_id=calendar_id)
        default_high = insert_sla_target(conn, priority="high", response_minutes=120)
        own_high = insert_sla_target(conn, priority="high", response_minutes=30, agreement_id=agreement)
        template = wf.incident_type(conn, priority="high")

        def open_order(**fields: object):
            order_in = WorkOrderCreate(account_id=account, summary="Pump noisy", **fields)
            return work_orders_service.create_work_order(conn, work_order_in=order_in, actor="test", now=opened)

        by_template = open_order(incident_type_id=template, agreement_id=agreement)
        assert (by_template.priority, by_template.sla_target_id) == ("high", own_high)
        # 30 business minutes on the agreement's calendar: from Monday 08:00 Berlin (07:00 UTC)
        assert by_template.response_due_at == datetime(2026, 3, 2, 7, 30, tzinfo=UTC)

        without_agreement = open_order(incident_type_id=template)
        assert without_agreement.sla_target_id == default_high
        assert without_agreement.response_due_at == datetime(2026, 3, 2, 8, tzinfo=UTC)  # 24x7: two hours

        low = open_order(incident_type_id=template, agreement_id=agreement, priority="low")
        assert (low.priority, low.sla_target_id, low.response_due_at) == ("low", None, None)  # no target for low
        plain = open_order()
        assert (plain.priority, plain.work_type, plain.sla_target_id) == ("normal", "repair", None)


def test_the_clock_reads_a_stored_calendar_as_configured(api: TestClient, dispatcher, database_url: str):
    from service_core.policies import config_service
    from service_core.policies.calendar import BusinessCalendar

    calendar_id = api.post("/policies/calendars", json=OFFICE, headers=dispatcher).json()["id"]
    empty = api.post(
        "/policies/calendars", json={"name": "Closed", "timezone": "UTC", "hours": [], "holidays": []},
        headers=dispatcher,
    ).json()["id"]  # fmt: skip
    with psycopg.connect(database_url) as conn:
        office = config_service.business_calendar(conn, calendar_id=calendar_id)
        closed = config_service.business_calendar(conn, calendar_id=empty)
        with pytest.raises(config_service.NotFound):
            config_service.business_calendar(conn, calendar_id=empty + 1000)

    assert office == BusinessCalendar(
        timezone="Europe/Berlin",
        hours={0: ((480, 1020),), 1: ((480, 1020),), 2: ((480, 1020),), 3: ((480, 1020),),
               4: ((480, 1020), (1320, 1440))},
        holidays=frozenset({date(2026, 12, 25)}),
        calendar_id=calendar_id,
    )  # fmt: skip
    assert closed == BusinessCalendar(timezone="UTC", calendar_id=empty)
    # Christmas Day 2026 is a Friday: closed; the next business minute after it is Monday 08:00 in Berlin
    assert office.add_business_minutes(datetime(2026, 12, 25, 9, 0, tzinfo=UTC), 1) == datetime(
        2026, 12, 28, 7, 1, tzinfo=UTC
    )
