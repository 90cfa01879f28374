"""Preventive-maintenance plans through HTTP, and generating their work orders once (also concurrently)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from service_core.agreements import pm_service
from service_core.auth.domain import Role
from tests.policy_factories import insert_account, insert_agreement, insert_asset, insert_incident_type
from tests.support.api import api_client, headers_for

pytestmark = pytest.mark.integration


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    with api_client(database_url) as client:
        yield client


@pytest.fixture
def dispatcher(database_url: str) -> dict[str, str]:
    return headers_for(database_url, Role.DISPATCHER)


@pytest.fixture
def setup(database_url: str) -> dict[str, int]:
    """An active 2026 agreement covering a pump and a compressor (run hours 980) of one account."""
    with psycopg.connect(database_url) as conn:
        account = insert_account(conn)
        pump = insert_asset(conn, account_id=account, name="Pump")
        compressor = insert_asset(conn, account_id=account, name="Compressor", run_hours=980)
        return {
            "account": account,
            "pump": pump,
            "compressor": compressor,
            "other_asset": insert_asset(conn, account_id=insert_account(conn)),
            "agreement": insert_agreement(conn, account_id=account, number="AGR-PM", asset_ids=(pump, compressor)),
            "canceled": insert_agreement(conn, account_id=account, status="canceled"),
            "incident_type": insert_incident_type(conn),
        }


def calendar_plan(setup: dict[str, int], **changes: Any) -> dict[str, Any]:
    return {
        "incident_type_id": setup["incident_type"],
        "basis": "calendar",
        "interval_days": 90,
        "lead_days": 7,
        "first_due_date": "2026-02-01",
        **changes,
    }


def test_pm_plan_crud(api: TestClient, dispatcher, setup, database_url: str):
    url = f"/agreements/{setup['agreement']}/pm-plans"
    created = api.post(url, json=calendar_plan(setup), headers=dispatcher)
    assert created.status_code == 201, created.text
    plan = created.json()
    assert (plan["basis"], plan["interval_days"], plan["first_due_date"], plan["asset_id"]) == (
        "calendar",
        90,
        "2026-02-01",
        None,
    )
    meter = api.post(
        url,
        json={
            "incident_type_id": setup["incident_type"],
            "basis": "meter",
            "interval_run_hours": "500",
            "asset_id": setup["compressor"],
        },
        headers=dispatcher,
    )
    assert meter.status_code == 201 and meter.json()["interval_run_hours"] == "500.0"
    default_first = api.post(url, json=calendar_plan(setup, first_due_date=None), headers=dispatcher)
    assert default_first.json()["first_due_date"] == "2026-01-01"  # the agreement's start

    viewer = headers_for(database_url, Role.VIEWER)
    assert [p["id"] for p in api.get(url, headers=viewer).json()] == [
        plan["id"],
        meter.json()["id"],
        default_first.json()["id"],
    ]
    assert api.get(f"{url}/{plan['id']}", headers=viewer).json() == plan
    patched = api.patch(f"{url}/{plan['id']}", json={"lead_days": 14, "is_active": False}, headers=dispatcher)
    assert patched.status_code == 200 and (patched.json()["lead_days"], patched.json()["is_active"]) == (14, False)
    wrong_basis = api.patch(f"{url}/{plan['id']}", json={"interval_run_hours": "10"}, headers=dispatcher)
    assert wrong_basis.status_code == 422 and "calendar plan has no interval_run_hours" in wrong_basis.text
    assert api.delete(f"{url}/{plan['id']}", headers=dispatcher).status_code == 204
    assert api.get(f"{url}/{plan['id']}", headers=viewer).status_code == 404


def test_pm_plan_refusals(api: TestClient, dispatcher, setup, database_url: str):
    url = f"/agreements/{setup['agreement']}/pm-plans"
    assert (
        api.post(url, json=calendar_plan(setup), headers=headers_for(database_url, Role.TECHNICIAN)).status_code == 403
    )
    both = api.post(url, json=calendar_plan(setup, interval_run_hours="100"), headers=dispatcher)
    assert both.status_code == 422 and "calendar plan needs interval_days and no interval_run_hours" in both.text
    no_interval = api.post(url, json={"incident_type_id": setup["incident_type"], "basis": "meter"}, headers=dispatcher)
    assert no_interval.status_code == 422
    foreign = api.post(url, json=calendar_plan(setup, asset_id=setup["other_asset"]), headers=dispatcher)
    assert foreign.status_code == 422 and "not account" in foreign.text
    no_type = api.post(url, json=calendar_plan(setup, incident_type_id=99999), headers=dispatcher)
    assert no_type.status_code == 422 and "incident type 99999 does not exist" in no_type.text
    canceled = api.post(f"/agreements/{setup['canceled']}/pm-plans", json=calendar_plan(setup), headers=dispatcher)
    assert canceled.status_code == 409 and "is canceled" in canceled.text
    assert api.post("/agreements/4242/pm-plans", json=calendar_plan(setup), headers=dispatcher).status_code == 404
    plan_id = api.post(url, json=calendar_plan(setup), headers=dispatcher).json()["id"]
    other = api.get(f"/agreements/{setup['canceled']}/pm-plans/{plan_id}", headers=dispatcher)
    assert other.status_code == 404


def test_generation_opens_each_due_order_once(api: TestClient, dispatcher, setup, database_url: str):
    url = f"/agreements/{setup['agreement']}/pm-plans"
    calendar_id = api.post(url, json=calendar_plan(setup), headers=dispatcher).json()["id"]
    meter_id = api.post(
        url,
        json={
            "incident_type_id": setup["incident_type"],
            "basis": "meter",
            "interval_run_hours": "500",
            "asset_id": setup["compressor"],
        },
        headers=dispatcher,
    ).json()["id"]

    early = api.post("/agreements/pm/generate", json={"today": "2026-01-20"}, headers=dispatcher)
    assert early.status_code == 200, early.text
    meter_ids = early.json()["work_order_ids"]
    assert len(meter_ids) == 1  # the compressor's 980 h are within 10 % of 1000 h; the calendar window is not open
    on_time = api.post("/agreements/pm/generate", json={"today": "2026-01-26"}, headers=dispatcher)
    calendar_ids = on_time.json()["work_order_ids"]
    assert len(calendar_ids) == 2  # pump and compressor, due 2026-02-01, 7 days lead
    assert api.post("/agreements/pm/generate", json={"today": "2026-01-27"}, headers=dispatcher).json() == {
        "work_order_ids": []
    }
    ids = meter_ids + calendar_ids
    with psycopg.connect(database_url) as conn:
        orders = conn.execute(
            "SELECT asset_id, pm_plan_id, pm_due_date, source, agreement_id, priority, summary FROM work.work_orders "
            "WHERE id = ANY(%s) ORDER BY pm_plan_id, asset_id",
            (ids,),
        ).fetchall()
        runs = conn.execute("SELECT count(*), count(work_order_id) FROM agreements.pm_runs").fetchone()
    assert [(o[0], o[1], o[2]) for o in orders] == [
        (setup["pump"], calendar_id, date(2026, 2, 1)),
        (setup["compressor"], calendar_id, date(2026, 2, 1)),
        (setup["compressor"], meter_id, date(2026, 1, 20)),
    ]
    assert {(o[3], o[4], o[5]) for o in orders} == {("agreement", setup["agreement"], "low")}
    assert "AGR-PM" in orders[0][6] and "at 1000.0 run hours" in orders[2][6]
    assert runs == (3, 3)


def test_generation_refusals_and_role(api: TestClient, setup, database_url: str):
    technician = headers_for(database_url, Role.TECHNICIAN)
    assert api.post("/agreements/pm/generate", headers=technician).status_code == 403
    bad_day = api.post(
        "/agreements/pm/generate", json={"today": "yesterday"}, headers=headers_for(database_url, Role.ADMIN)
    )
    assert bad_day.status_code == 422


def test_inactive_plans_and_agreements_generate_nothing(setup, database_url: str):
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO agreements.pm_plans (agreement_id, incident_type_id, basis, interval_days, first_due_date, "
            "is_active) VALUES (%s, %s, 'calendar', 30, '2026-02-01', false), "
            "(%s, %s, 'calendar', 30, '2026-02-01', true)",
            (setup["agreement"], setup["incident_type"], setup["canceled"], setup["incident_type"]),
        )
        assert pm_service.generate_preventive_work(conn, today=date(2026, 2, 1), actor="test") == []


def test_two_concurrent_generators_open_each_order_once(setup, database_url: str):
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO agreements.pm_plans (agreement_id, incident_type_id, basis, interval_days, first_due_date) "
            "VALUES (%s, %s, 'calendar', 30, '2026-03-01')",
            (setup["agreement"], setup["incident_type"]),
        )
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def generate(i: int) -> None:
        with psycopg.connect(database_url) as conn:
            barrier.wait()
            try:
                with conn.transaction():
                    results[i] = pm_service.generate_preventive_work(conn, today=date(2026, 2, 25), actor=f"job:{i}")
            except Exception as exc:
                results[i] = exc

    threads = [threading.Thread(target=generate, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(isinstance(r, Exception) for r in results), results
    assert sorted(len(r) for r in results) in ([0, 2], [1, 1])
    with psycopg.connect(database_url) as conn:
        count = conn.execute("SELECT count(*) FROM work.work_orders WHERE pm_plan_id IS NOT NULL").fetchone()
    assert count == (2,)
