"""Leases through HTTP: draft, activation with its schedule, one active lease per asset, buy-out, termination,
and the contract billing uses (charges due, marking them invoiced)."""

from __future__ import annotations

import threading
from datetime import date

import psycopg
import pytest
from fastapi.testclient import TestClient

from service_core.assets import lease_service
from service_core.assets import service as assets_service
from service_core.auth.domain import Role
from service_core.exceptions import Conflict, NotFound
from tests.masterdata_factories import make_asset, make_lease, scalar
from tests.support.api import headers_for

pytestmark = pytest.mark.integration


def _invoice(url: str, account_id: int) -> int:
    return int(
        scalar(
            url,
            "INSERT INTO billing.invoices (series, account_id, currency) VALUES ('LSE', %s, 'USD') RETURNING id",
            (account_id,),
        )
    )


def test_draft_activate_and_its_schedule(api: TestClient, database_url: str, finance):
    asset = make_asset(database_url)
    new = {
        "number": "L-1",
        "asset_id": asset.id,
        "account_id": asset.account_id,
        "start_date": "2024-01-31",
        "end_date": "2024-04-15",
        "periodic_charge": "300.00",
        "deposit": "500",
        "buyout_price": "2000",
    }
    created = api.post("/assets/leases", json=new, headers=finance)
    assert created.status_code == 201, created.text
    lease = created.json()
    assert (lease["status"], lease["period_months"]) == ("draft", 1)
    assert api.get(f"/assets/leases/{lease['id']}/charges", headers=finance).json() == []
    assert api.post("/assets/leases", json=new, headers=finance).status_code == 409
    backwards = api.post("/assets/leases", json={**new, "number": "L-2", "end_date": "2024-01-01"}, headers=finance)
    assert backwards.status_code == 422 and "end_date must be after start_date" in backwards.json()["error"]["message"]
    quarterly = api.post("/assets/leases", json={**new, "number": "L-3", "period_months": 2}, headers=finance)
    assert quarterly.status_code == 422 and quarterly.json()["error"]["fields"][0]["field"] == "period_months"
    no_asset = api.post("/assets/leases", json={**new, "number": "L-4", "asset_id": 999}, headers=finance)
    assert no_asset.status_code == 422 and "asset 999 does not exist" in no_asset.json()["error"]["message"]

    active = api.post(f"/assets/leases/{lease['id']}/activate", headers=finance)
    assert active.status_code == 200 and active.json()["status"] == "active"
    assert api.get(f"/assets/{asset.id}", headers=finance).json()["ownership"] == "leased"
    charges = api.get(f"/assets/leases/{lease['id']}/charges", headers=finance).json()
    assert [(c["kind"], c["period_start"], c["period_end"], c["amount"]) for c in charges] == [
        ("deposit", "2024-01-31", "2024-02-01", "500.00"),
        ("rent", "2024-01-31", "2024-02-29", "300.00"),
        ("rent", "2024-02-29", "2024-03-31", "300.00"),
        ("rent", "2024-03-31", "2024-04-15", "150.00"),  # 15 of the 30 days to Apr 30
    ]
    again = api.post(f"/assets/leases/{lease['id']}/activate", headers=finance)
    assert again.status_code == 409 and "a lease that is active cannot activate" in again.json()["error"]["message"]
    assert api.delete(f"/assets/leases/{lease['id']}", headers=finance).status_code == 409
    assert api.post("/assets/leases/999/activate", headers=finance).status_code == 404


def test_one_active_lease_per_asset(api: TestClient, database_url: str, finance):
    asset = make_asset(database_url)
    make_lease(database_url, asset, activate=True)
    second = make_lease(database_url, asset)
    refused = api.post(f"/assets/leases/{second.id}/activate", headers=finance)
    assert refused.status_code == 409 and "already has an active lease" in refused.json()["error"]["message"]
    assert scalar(database_url, "SELECT count(*) FROM assets.lease_periods WHERE lease_id = %s", (second.id,)) == 0
    listed = api.get("/assets/leases", params={"asset_id": asset.id, "status": "draft"}, headers=finance).json()
    assert [x["id"] for x in listed["items"]] == [second.id]
    assert api.delete(f"/assets/leases/{second.id}", headers=finance).status_code == 204


def test_two_concurrent_activations_of_one_asset(database_url: str):
    asset = make_asset(database_url)
    first_lease, second_lease = make_lease(database_url, asset), make_lease(database_url, asset)
    first = psycopg.connect(database_url)
    lease_service.activate(first, lease_id=first_lease.id)
    outcome: list[object] = []

    def activate_second() -> None:
        with psycopg.connect(database_url) as conn:
            try:
                outcome.append(lease_service.activate(conn, lease_id=second_lease.id))
            except Conflict as exc:
                outcome.append(exc)

    thread = threading.Thread(target=activate_second)
    thread.start()
    thread.join(timeout=0.5)
    assert thread.is_alive()
    first.commit()
    first.close()
    thread.join(timeout=10)
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict)
    assert scalar(database_url, "SELECT count(*) FROM assets.leases WHERE status = 'active'") == 1


def test_buy_out_drops_later_unbilled_rent_and_charges_the_price(api: TestClient, database_url: str, finance):
    asset = make_asset(database_url)
    lease = make_lease(database_url, asset, activate=True, buyout_price="1000.00")
    outside = api.post(f"/assets/leases/{lease.id}/buy-out", json={"on": "2024-05-01"}, headers=finance)
    assert outside.status_code == 422 and "ends on 2024-04-30" in outside.json()["error"]["message"]
    bought = api.post(f"/assets/leases/{lease.id}/buy-out", json={"on": "2024-02-10"}, headers=finance)
    assert bought.status_code == 200
    assert (bought.json()["status"], bought.json()["ended_on"]) == ("bought_out", "2024-02-10")
    after = api.get(f"/assets/leases/{lease.id}/charges", headers=finance).json()
    assert [(c["kind"], c["period_start"], c["period_end"], c["amount"], c["invoice_id"]) for c in after] == [
        ("rent", "2024-01-31", "2024-02-10", "103.45", None),  # cut short: 10 of the 29 days to Feb 29
        ("buyout", "2024-02-10", "2024-02-11", "1000.00", None),
    ]
    assert api.get(f"/assets/{asset.id}", headers=finance).json()["ownership"] == "customer"
    assert (
        api.post(f"/assets/leases/{lease.id}/terminate", json={"on": "2024-02-11"}, headers=finance).status_code == 409
    )


def test_buy_out_needs_a_price(api: TestClient, database_url: str, finance):
    lease = make_lease(database_url, make_asset(database_url), activate=True)
    refused = api.post(f"/assets/leases/{lease.id}/buy-out", json={"on": "2024-02-10"}, headers=finance)
    assert refused.status_code == 409 and "no buy-out price" in refused.json()["error"]["message"]


def test_terminate_with_and_without_a_fee(api: TestClient, database_url: str, finance):
    asset = make_asset(database_url)
    lease = make_lease(database_url, asset, activate=True)
    body = {"on": "2024-02-29", "fee": "250.00", "reason": "site closed"}
    ended = api.post(f"/assets/leases/{lease.id}/terminate", json=body, headers=finance)
    assert ended.status_code == 200
    assert (ended.json()["status"], ended.json()["end_reason"]) == ("terminated", "site closed")
    charges = api.get(f"/assets/leases/{lease.id}/charges", headers=finance).json()
    assert [(c["kind"], c["period_start"], c["amount"]) for c in charges] == [
        ("rent", "2024-01-31", "300.00"),
        ("termination_fee", "2024-02-29", "250.00"),
    ]
    assert api.get(f"/assets/{asset.id}", headers=finance).json()["ownership"] == "leased"

    plain = make_lease(database_url, make_asset(database_url), activate=True)
    api.post(f"/assets/leases/{plain.id}/terminate", json={"on": "2024-03-01"}, headers=finance)
    kept = [
        (c["kind"], c["period_end"], c["amount"])
        for c in api.get(f"/assets/leases/{plain.id}/charges", headers=finance).json()
    ]
    assert kept == [("rent", "2024-02-29", "300.00"), ("rent", "2024-03-01", "9.68")]  # 1 of 31 days: 300 less 290.32
    draft = make_lease(database_url, make_asset(database_url))
    refused = api.post(f"/assets/leases/{draft.id}/terminate", json={"on": "2024-03-01"}, headers=finance)
    assert refused.status_code == 409 and "a lease that is draft cannot terminate" in refused.json()["error"]["message"]


def test_end_as_agreed(api: TestClient, database_url: str, finance):
    past = make_lease(database_url, make_asset(database_url), activate=True)
    ended = api.post(f"/assets/leases/{past.id}/end", headers=finance)
    assert ended.status_code == 200 and (ended.json()["status"], ended.json()["ended_on"]) == ("ended", "2024-04-30")
    future = make_lease(
        database_url,
        make_asset(database_url),
        activate=True,
        start_date=date(2024, 1, 1),
        end_date=date(2070, 1, 1),
        period_months=12,
    )
    early = api.post(f"/assets/leases/{future.id}/end", headers=finance)
    assert early.status_code == 409 and "runs until 2070-01-01" in early.json()["error"]["message"]


def test_charges_due_and_marking_them_invoiced(api: TestClient, database_url: str, finance):
    asset = make_asset(database_url)
    lease = make_lease(database_url, asset, activate=True, deposit="100")
    make_lease(database_url, make_asset(database_url))  # a draft bills nothing
    with psycopg.connect(database_url) as conn:
        due = assets_service.periods_due(conn, through=date(2024, 2, 29))
        assert [(p.kind, p.due_date, p.lease_number, p.account_id) for p in due] == [
            ("deposit", date(2024, 1, 31), lease.number, asset.account_id),
            ("rent", date(2024, 1, 31), lease.number, asset.account_id),
            ("rent", date(2024, 2, 29), lease.number, asset.account_id),
        ]
        invoice_id = _invoice(database_url, asset.account_id)
        assets_service.mark_period_invoiced(conn, period_id=due[0].id, invoice_id=invoice_id)
        with pytest.raises(Conflict, match="invoiced already"):
            assets_service.mark_period_invoiced(conn, period_id=due[0].id, invoice_id=invoice_id)
        with pytest.raises(NotFound):
            assets_service.mark_period_invoiced(conn, period_id=99999, invoice_id=invoice_id)
        assert [p.id for p in assets_service.periods_due(conn, through=date(2024, 2, 29))] == [due[1].id, due[2].id]
    via_http = api.get("/assets/leases/charges-due", params={"through": "2024-01-31"}, headers=finance).json()
    assert [c["kind"] for c in via_http] == ["rent"]
    dispatcher = headers_for(database_url, Role.DISPATCHER)
    assert (
        api.get("/assets/leases/charges-due", params={"through": "2024-01-31"}, headers=dispatcher).status_code == 403
    )
    assert (
        api.post(f"/assets/leases/{lease.id}/terminate", json={"on": "2024-03-01"}, headers=dispatcher).status_code
        == 403
    )
    viewer = headers_for(database_url, Role.VIEWER)
    assert api.post("/assets/leases", json={}, headers=viewer).status_code == 403
