"""Agreements through HTTP: CRUD, covered assets, lifecycle with fee periods; the terms and fee contracts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest
from fastapi.testclient import TestClient

from service_core.agreements import service as agreements_service
from service_core.auth.domain import Role
from service_core.exceptions import Conflict, NotFound
from tests.policy_factories import insert_account, insert_agreement, insert_asset
from tests.support.api import headers_for

pytestmark = pytest.mark.integration


@pytest.fixture
def customer(database_url: str) -> dict[str, int]:
    with psycopg.connect(database_url) as conn:
        account = insert_account(conn)
        return {
            "account": account,
            "pump": insert_asset(conn, account_id=account, name="Pump"),
            "chiller": insert_asset(conn, account_id=account, name="Chiller"),
            "foreign": insert_asset(conn, account_id=insert_account(conn), name="Not theirs"),
        }


def agreement_body(customer: dict[str, int], **changes: object) -> dict[str, object]:
    return {
        "number": "AGR-7",
        "account_id": customer["account"],
        "name": "Maintenance 2026",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "asset_ids": [customer["pump"]],
        "covered_work_types": ["maintenance", "inspection"],
        "discount_pct": "10",
        "periodic_fee": "250.00",
        "billing_period_months": 3,
        **changes,
    }


def test_create_read_list_update_delete(api: TestClient, dispatcher, customer, database_url: str):
    created = api.post("/agreements", json=agreement_body(customer), headers=dispatcher)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "draft" and body["asset_ids"] == [customer["pump"]]
    assert body["covered_work_types"] == ["maintenance", "inspection"]
    assert body["discount_pct"] == "10.00" and body["periodic_fee"] == "250.00"
    agreement_id = body["id"]
    viewer = headers_for(database_url, Role.VIEWER)
    assert api.get(f"/agreements/{agreement_id}", headers=viewer).json() == body
    listed = api.get("/agreements", params={"account_id": customer["account"], "status": "draft"}, headers=viewer)
    assert listed.json()["total"] == 1

    patched = api.patch(
        f"/agreements/{agreement_id}", json={"covers_parts": True, "labour_rate": "85.50"}, headers=dispatcher
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["covers_parts"] is True and patched.json()["labour_rate"] == "85.50"
    bad_dates = api.patch(f"/agreements/{agreement_id}", json={"end_date": "2025-06-01"}, headers=dispatcher)
    assert bad_dates.status_code == 422 and "end_date must be after" in bad_dates.text

    with_chiller = api.put(f"/agreements/{agreement_id}/assets/{customer['chiller']}", headers=dispatcher)
    assert with_chiller.json()["asset_ids"] == sorted([customer["pump"], customer["chiller"]])
    foreign = api.put(f"/agreements/{agreement_id}/assets/{customer['foreign']}", headers=dispatcher)
    assert foreign.status_code == 422
    without_pump = api.delete(f"/agreements/{agreement_id}/assets/{customer['pump']}", headers=dispatcher)
    assert without_pump.json()["asset_ids"] == [customer["chiller"]]
    assert api.delete(f"/agreements/{agreement_id}/assets/{customer['pump']}", headers=dispatcher).status_code == 404

    assert api.delete(f"/agreements/{agreement_id}", headers=dispatcher).status_code == 204
    assert api.get(f"/agreements/{agreement_id}", headers=viewer).status_code == 404


def test_create_refusals(api: TestClient, dispatcher, customer, database_url: str):
    viewer = headers_for(database_url, Role.VIEWER)
    assert api.post("/agreements", json=agreement_body(customer), headers=viewer).status_code == 403
    assert api.post("/agreements", json=agreement_body(customer), headers=dispatcher).status_code == 201
    taken = api.post("/agreements", json=agreement_body(customer), headers=dispatcher)
    assert taken.status_code == 409 and "AGR-7 is taken" in taken.json()["error"]["message"]
    foreign = api.post(
        "/agreements", json=agreement_body(customer, number="A2", asset_ids=[customer["foreign"]]), headers=dispatcher
    )
    assert foreign.status_code == 422 and "not account" in foreign.json()["error"]["message"]
    no_account = api.post(
        "/agreements", json=agreement_body(customer, number="A3", account_id=424242), headers=dispatcher
    )
    assert no_account.status_code == 422 and "account 424242 does not exist" in no_account.text
    backwards = api.post(
        "/agreements", json=agreement_body(customer, number="A4", end_date="2025-01-01"), headers=dispatcher
    )
    assert backwards.status_code == 422
    for field, value in (
        ("billing_period_months", 2),
        ("discount_pct", "101"),
        ("covered_work_types", ["painting"]),
        ("number", "bad number!"),
    ):
        invalid = {**agreement_body(customer, number="A5"), field: value}
        assert api.post("/agreements", json=invalid, headers=dispatcher).status_code == 422, field
    assert api.get("/agreements/0", headers=viewer).status_code == 422
    assert api.get("/agreements/4242", headers=viewer).status_code == 404


def test_lifecycle_and_fee_periods(api: TestClient, dispatcher, customer):
    agreement_id = api.post("/agreements", json=agreement_body(customer), headers=dispatcher).json()["id"]
    activated = api.post(f"/agreements/{agreement_id}/activate", json={"on": "2026-01-01"}, headers=dispatcher)
    assert activated.status_code == 200, activated.text
    assert activated.json()["status"] == "active"
    periods = api.get(f"/agreements/{agreement_id}/fee-periods", headers=dispatcher).json()
    assert [(p["period_start"], p["period_end"], p["due_date"], p["amount"]) for p in periods] == [
        ("2026-01-01", "2026-04-01", "2026-01-01", "250.00"),
        ("2026-04-01", "2026-07-01", "2026-04-01", "250.00"),
        ("2026-07-01", "2026-10-01", "2026-07-01", "250.00"),
        ("2026-10-01", "2027-01-01", "2026-10-01", "250.00"),
    ]
    assert all(p["agreement_number"] == "AGR-7" and p["invoice_id"] is None for p in periods)

    again = api.post(f"/agreements/{agreement_id}/activate", headers=dispatcher)
    assert again.status_code == 409 and "is active cannot activate" in again.json()["error"]["message"]
    terms = api.patch(f"/agreements/{agreement_id}", json={"discount_pct": "50"}, headers=dispatcher)
    assert terms.status_code == 409 and "fixed once it is active" in terms.json()["error"]["message"]
    renamed = api.patch(f"/agreements/{agreement_id}", json={"name": "Gold plan"}, headers=dispatcher)
    assert renamed.status_code == 200 and renamed.json()["name"] == "Gold plan"
    assert api.delete(f"/agreements/{agreement_id}", headers=dispatcher).status_code == 409

    canceled = api.post(f"/agreements/{agreement_id}/cancel", json={"on": "2026-05-15"}, headers=dispatcher)
    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
    left = api.get(f"/agreements/{agreement_id}/fee-periods", headers=dispatcher).json()
    assert [p["period_start"] for p in left] == ["2026-01-01", "2026-04-01"]
    assert api.post(f"/agreements/{agreement_id}/expire", headers=dispatcher).status_code == 409
    assert api.post(f"/agreements/{agreement_id}/renew", headers=dispatcher).status_code == 404
    assert api.put(f"/agreements/{agreement_id}/assets/{customer['chiller']}", headers=dispatcher).status_code == 409


def test_ended_agreement_cannot_be_activated_and_free_one_has_no_fees(api: TestClient, dispatcher, customer):
    old = api.post(
        "/agreements", json=agreement_body(customer, number="OLD", end_date="2026-01-31"), headers=dispatcher
    )
    late = api.post(f"/agreements/{old.json()['id']}/activate", json={"on": "2026-03-01"}, headers=dispatcher)
    assert late.status_code == 409 and "ended on 2026-01-31" in late.json()["error"]["message"]
    free = api.post("/agreements", json=agreement_body(customer, number="FREE", periodic_fee="0"), headers=dispatcher)
    api.post(f"/agreements/{free.json()['id']}/activate", json={"on": "2026-01-01"}, headers=dispatcher)
    assert api.get(f"/agreements/{free.json()['id']}/fee-periods", headers=dispatcher).json() == []
    expired = api.post(f"/agreements/{free.json()['id']}/expire", headers=dispatcher)
    assert expired.status_code == 200 and expired.json()["status"] == "expired"


def test_fee_period_contract_for_billing(api: TestClient, dispatcher, customer, database_url: str):
    agreement_id = api.post("/agreements", json=agreement_body(customer), headers=dispatcher).json()["id"]
    api.post(f"/agreements/{agreement_id}/activate", json={"on": "2026-01-01"}, headers=dispatcher)
    with psycopg.connect(database_url) as conn:
        due = agreements_service.fee_periods_due(conn, through=date(2026, 4, 1))
        assert [(p.period_start, p.amount, p.account_id) for p in due] == [
            (date(2026, 1, 1), Decimal("250.00"), customer["account"]),
            (date(2026, 4, 1), Decimal("250.00"), customer["account"]),
        ]
        agreements_service.mark_fee_period_invoiced(conn, fee_period_id=due[0].id, invoice_id=77)
        agreements_service.mark_fee_period_invoiced(conn, fee_period_id=due[0].id, invoice_id=77)  # no-op
        with pytest.raises(Conflict, match="already invoiced on invoice 77"):
            agreements_service.mark_fee_period_invoiced(conn, fee_period_id=due[0].id, invoice_id=78)
        with pytest.raises(NotFound):
            agreements_service.mark_fee_period_invoiced(conn, fee_period_id=999999, invoice_id=1)
        remaining = agreements_service.fee_periods_due(conn, through=date(2026, 4, 1))
        assert [p.id for p in remaining] == [due[1].id]
    answer = api.get("/agreements/fee-periods/due", params={"through": "2026-12-31"}, headers=dispatcher)
    assert [p["period_start"] for p in answer.json()] == ["2026-04-01", "2026-07-01", "2026-10-01"]


def test_terms_for_work_order(database_url: str):
    on = date(2026, 6, 1)
    with psycopg.connect(database_url) as conn:
        account = insert_account(conn)
        pump, chiller, boiler = (insert_asset(conn, account_id=account) for _ in range(3))
        named = insert_agreement(conn, account_id=account, number="NAMED", asset_ids=(pump,))
        blanket = insert_agreement(conn, account_id=account, number="ALL", covers_all_assets=True)
        draft = insert_agreement(conn, account_id=account, number="DRAFT", status="draft", asset_ids=(chiller,))
        ended = insert_agreement(conn, account_id=account, number="ENDED", end_date=date(2026, 3, 1))

        given = agreements_service.terms_for_work_order(
            conn, agreement_id=blanket, account_id=account, asset_id=pump, on=on
        )
        assert given is not None and given.number == "ALL"
        named_wins = agreements_service.terms_for_work_order(
            conn, agreement_id=None, account_id=account, asset_id=pump, on=on
        )
        assert named_wins is not None and named_wins.agreement_id == named
        assert named_wins.covered_work_types == frozenset({"maintenance"}) and named_wins.discount_pct == Decimal(
            "0.00"
        )
        for inactive in (draft, ended):  # given but not active then: the account's covering agreement applies
            fallback = agreements_service.terms_for_work_order(
                conn, agreement_id=inactive, account_id=account, asset_id=boiler, on=on
            )
            assert fallback is not None and fallback.number == "ALL"
        no_asset = agreements_service.terms_for_work_order(
            conn, agreement_id=None, account_id=account, asset_id=None, on=on
        )
        assert no_asset is not None and no_asset.number == "ALL"
        assert (
            agreements_service.terms_for_work_order(
                conn, agreement_id=None, account_id=account, asset_id=pump, on=date(2027, 1, 1)
            )
            is None
        )
        other = insert_account(conn)
        assert (
            agreements_service.terms_for_work_order(conn, agreement_id=None, account_id=other, asset_id=None, on=on)
            is None
        )


@pytest.fixture
def local_date_is_not_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[date]:
    """The server's local zone put a day off UTC (behind before noon UTC, ahead after); yields the UTC date."""
    monkeypatch.setenv("TZ", "Etc/GMT+12" if datetime.now(UTC).hour < 12 else "Etc/GMT-14")
    time.tzset()
    utc_today = datetime.now(UTC).date()
    assert date.today() != utc_today
    yield utc_today
    monkeypatch.undo()
    time.tzset()


def test_default_days_are_utc_not_server_local(api: TestClient, dispatcher, customer, local_date_is_not_utc: date):
    today = local_date_is_not_utc
    monthly = {"billing_period_months": 1, "end_date": (today + timedelta(days=90)).isoformat()}
    starts_today = agreement_body(customer, number="AGR-TODAY", start_date=today.isoformat(), **monthly)
    starts_tomorrow = agreement_body(
        customer, number="AGR-NEXT", start_date=(today + timedelta(days=1)).isoformat(), **monthly
    )
    ids = [
        api.post("/agreements", json=body, headers=dispatcher).json()["id"] for body in (starts_today, starts_tomorrow)
    ]
    for agreement_id in ids:
        assert api.post(f"/agreements/{agreement_id}/activate", headers=dispatcher).status_code == 200
    due = api.get("/agreements/fee-periods/due", headers=dispatcher).json()  # through today (UTC)
    assert [(p["agreement_id"], p["period_start"]) for p in due] == [(ids[0], today.isoformat())]
    canceled = api.post(f"/agreements/{ids[1]}/cancel", headers=dispatcher)  # on today (UTC): drops tomorrow's fee
    assert canceled.status_code == 200, canceled.text
    later = {"through": (today + timedelta(days=400)).isoformat()}
    left = api.get("/agreements/fee-periods/due", params=later, headers=dispatcher).json()
    assert ids[1] not in {p["agreement_id"] for p in left}
