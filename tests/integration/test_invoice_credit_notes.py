"""Credit notes through HTTP against a real PostgreSQL: partial and whole credits, limits, and how they apply."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import psycopg
import pytest
from fastapi.testclient import TestClient

from service_core.auth.domain import Role
from tests.finance_factories import insert_account
from tests.support.api import api_client, headers_for

pytestmark = pytest.mark.integration


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    with api_client(database_url) as client:
        yield client


@pytest.fixture
def finance(database_url: str) -> dict[str, str]:
    return headers_for(database_url, Role.FINANCE)


def _issued(api: TestClient, finance: dict[str, str], url: str) -> dict[str, object]:
    """An issued invoice (10 % tax): 4 x 25.00 parts and 1 x 60.00 service = 160.00 + 16.00 tax."""
    with psycopg.connect(url) as conn:
        account_id = insert_account(conn, tax_rate="0.1000")
    lines = [
        {"description": "parts", "kind": "product", "quantity": "4", "unit_price": "25.00"},
        {"description": "visit", "kind": "service", "quantity": "1", "unit_price": "60.00"},
    ]
    draft = api.post("/invoices", json={"account_id": account_id, "lines": lines}, headers=finance).json()
    issued = api.post(f"/invoices/{draft['id']}/issue", json={"issue_date": str(date.today())}, headers=finance)
    assert issued.status_code == 200
    body: dict[str, object] = issued.json()
    return body


def test_partial_credit_note_mirrors_chosen_quantities_and_reduces_the_balance(api: TestClient, finance, database_url):
    invoice = _issued(api, finance, database_url)
    parts = invoice["lines"][0]["id"]  # type: ignore[index]
    created = api.post(
        f"/invoices/{invoice['id']}/credit-notes",
        json={"reason": "one part returned", "lines": [{"line_id": parts, "quantity": "1"}]},
        headers=finance,
    )
    assert created.status_code == 201, created.text
    note = created.json()
    assert (note["kind"], note["status"], note["series"], note["invoice_number"]) == (
        "credit_note",
        "issued",
        "CN",
        "CN-000001",
    )
    assert note["credits_invoice_id"] == invoice["id"] and note["reason"] == "one part returned"
    assert [(x["quantity"], x["amount"], x["tax_amount"], x["credits_line_id"]) for x in note["lines"]] == [
        ("-1.000", "-25.00", "-2.50", parts)
    ]
    assert note["total"] == "-27.50"
    after = api.get(f"/invoices/{invoice['id']}", headers=finance).json()
    assert (after["credited"], after["balance"], after["shown_status"]) == ("27.50", "148.50", "partially_paid")

    too_many = api.post(
        f"/invoices/{invoice['id']}/credit-notes",
        json={"reason": "more", "lines": [{"line_id": parts, "quantity": "4"}]},
        headers=finance,
    )
    assert too_many.status_code == 422 and "only 3.000 of 4.000 remains" in too_many.json()["error"]["message"]
    unknown = api.post(
        f"/invoices/{invoice['id']}/credit-notes", json={"reason": "x", "lines": [{"line_id": 999999}]}, headers=finance
    )
    assert unknown.status_code == 422 and "no line 999999" in unknown.json()["error"]["message"]


def test_whole_remaining_credit_and_nothing_left_after(api: TestClient, finance, database_url):
    invoice = _issued(api, finance, database_url)
    parts = invoice["lines"][0]["id"]  # type: ignore[index]
    api.post(
        f"/invoices/{invoice['id']}/credit-notes",
        json={"reason": "first", "lines": [{"line_id": parts, "quantity": "1"}]},
        headers=finance,
    )
    rest = api.post(f"/invoices/{invoice['id']}/credit-notes", json={"reason": "cancel the rest"}, headers=finance)
    assert rest.status_code == 201
    assert [(x["quantity"], x["amount"]) for x in rest.json()["lines"]] == [("-3.000", "-75.00"), ("-1.000", "-60.00")]
    assert rest.json()["total"] == "-148.50"
    after = api.get(f"/invoices/{invoice['id']}", headers=finance).json()
    assert (after["balance"], after["shown_status"]) == ("0.00", "credited")
    nothing = api.post(f"/invoices/{invoice['id']}/credit-notes", json={"reason": "again"}, headers=finance)
    assert nothing.status_code == 422 and "above zero" in nothing.json()["error"]["message"]
    listed = api.get("/invoices", params={"kind": "credit_note"}, headers=finance).json()
    assert [x["invoice_number"] for x in listed["items"]] == ["CN-000002", "CN-000001"]


def test_credit_on_a_paid_invoice_becomes_account_credit(api: TestClient, finance, database_url):
    invoice = _issued(api, finance, database_url)
    payment = {
        "account_id": invoice["account_id"],
        "amount": "176.00",
        "currency": "USD",
        "received_on": str(date.today()),
        "auto_allocate": True,
    }
    assert api.post("/payments", json=payment, headers=finance).status_code == 201
    visit = invoice["lines"][1]["id"]  # type: ignore[index]
    note = api.post(
        f"/invoices/{invoice['id']}/credit-notes",
        json={"reason": "visit was free", "lines": [{"line_id": visit}]},
        headers=finance,
    )
    assert note.status_code == 201 and note.json()["total"] == "-66.00"
    credit = api.get(f"/payments/accounts/{invoice['account_id']}/credit", headers=finance).json()
    assert (credit["unapplied_credit_notes"], credit["total"]) == ("66.00", "66.00")
    assert api.get(f"/invoices/{invoice['id']}", headers=finance).json()["shown_status"] == "paid"


def test_only_issued_invoices_are_credited(api: TestClient, finance, database_url):
    with psycopg.connect(database_url) as conn:
        account_id = insert_account(conn)
    draft = api.post("/invoices", json={"account_id": account_id}, headers=finance).json()
    refused = api.post(f"/invoices/{draft['id']}/credit-notes", json={"reason": "x"}, headers=finance)
    assert refused.status_code == 409 and "only those can be credited" in refused.json()["error"]["message"]
    assert api.post("/invoices/999999/credit-notes", json={"reason": "x"}, headers=finance).status_code == 404
    assert api.post(f"/invoices/{draft['id']}/credit-notes", json={"reason": ""}, headers=finance).status_code == 422


def test_credit_note_credit_is_used_on_later_invoices_or_refunded(api: TestClient, finance, database_url):
    invoice = _issued(api, finance, database_url)
    payment = {
        "account_id": invoice["account_id"],
        "amount": "176.00",
        "currency": "USD",
        "received_on": str(date.today()),
        "auto_allocate": True,
    }
    api.post("/payments", json=payment, headers=finance)
    note = api.post(f"/invoices/{invoice['id']}/credit-notes", json={"reason": "goodwill"}, headers=finance).json()
    assert note["total"] == "-176.00"  # all of it is account credit: the invoice was paid
    later = api.post(
        "/invoices",
        json={
            "account_id": invoice["account_id"],
            "lines": [{"description": "x", "quantity": "1", "unit_price": "100.00"}],
        },
        headers=finance,
    ).json()
    api.post(f"/invoices/{later['id']}/issue", headers=finance)  # 110.00 with tax
    applied = api.post(f"/payments/credit-notes/{note['id']}/allocations", json={"auto": True}, headers=finance)
    assert applied.status_code == 200, applied.text
    assert applied.json()["unapplied_credit_notes"] == "66.00"
    assert api.get(f"/invoices/{later['id']}", headers=finance).json()["shown_status"] == "credited"
    too_much = api.post(f"/payments/credit-notes/{note['id']}/refunds", json={"amount": "66.01"}, headers=finance)
    assert too_much.status_code == 409
    refunded = api.post(f"/payments/credit-notes/{note['id']}/refunds", json={"amount": "66.00"}, headers=finance)
    assert refunded.status_code == 201 and refunded.json()["credit_note_id"] == note["id"]
    credit = api.get(f"/payments/accounts/{invoice['account_id']}/credit", headers=finance).json()
    assert credit["total"] == "0.00"
    not_a_note = api.post(f"/payments/credit-notes/{later['id']}/allocations", json={"auto": True}, headers=finance)
    assert not_a_note.status_code == 409 and "not an issued credit note" in not_a_note.json()["error"]["message"]
