"""Invoices through HTTP and the event bus, against a real PostgreSQL: drafting from posted work, issuing with
gapless numbers, immutability, drafts' lines, discarding and listing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import psycopg
import pytest
from fastapi.testclient import TestClient

from service_core.auth.domain import Role
from service_core.billing import service as billing_service
from service_core.billing.domain import LineDraft, price_line
from service_core.billing.schemas import InvoiceCreate, InvoiceLineCreate
from tests.finance_factories import (
    WorkLine,
    insert_account,
    insert_agreement,
    insert_asset,
    insert_item,
    insert_posted_work_order,
    insert_price_list,
    insert_resource,
    invoice_of_work_order,
    post_work,
)
from tests.support.api import api_client, headers_for

pytestmark = pytest.mark.integration


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    with api_client(database_url) as client:
        yield client


@pytest.fixture
def finance(database_url: str) -> dict[str, str]:
    return headers_for(database_url, Role.FINANCE)


def _posted_work(url: str, **account: object) -> tuple[int, int]:
    """An account (20 % tax, 14 days) and a posted work order with a priced part and a labour line."""
    with psycopg.connect(url) as conn:
        account_id = insert_account(conn, payment_terms_days=14, tax_rate="0.2000", **account)  # type: ignore[arg-type]
        resource = insert_resource(conn, hourly_bill_rate="80.00")
        part = insert_item(conn, kind="product", unit_price="12.50")
        work_order_id = insert_posted_work_order(
            conn,
            account_id=account_id,
            lines=[
                WorkLine(kind="product", quantity="3", item_id=part, description="filter"),
                WorkLine(kind="labour", quantity="1.5", resource_id=resource, description="labour"),
                WorkLine(kind="travel", quantity="1", unit_price="20.00", line_status="estimated"),
            ],
        )
        post_work(conn, work_order_id)
    return account_id, work_order_id


def test_posting_work_drafts_its_invoice_with_resolved_prices_and_tax(api: TestClient, finance, database_url: str):
    account_id, work_order_id = _posted_work(database_url)
    with psycopg.connect(database_url) as conn:
        invoice_id = invoice_of_work_order(conn, work_order_id)
    assert invoice_id is not None

    body = api.get(f"/invoices/{invoice_id}", headers=finance).json()
    assert (body["status"], body["shown_status"], body["series"], body["number"]) == ("draft", "draft", "INV", None)
    assert body["account_id"] == account_id and body["work_order_id"] == work_order_id
    lines = [(x["kind"], x["quantity"], x["unit_price"], x["amount"], x["tax_amount"]) for x in body["lines"]]
    # the estimated travel line is not billed; the part at its list price, labour at the resource's bill rate
    assert lines == [("product", "3.000", "12.50", "37.50", "7.50"), ("labour", "1.500", "80.00", "120.00", "24.00")]
    assert (body["subtotal"], body["tax_total"], body["total"]) == ("157.50", "31.50", "189.00")


def test_price_precedence_agreement_rate_price_list_and_discount(api: TestClient, finance, database_url: str):
    with psycopg.connect(database_url) as conn:
        part = insert_item(conn, kind="product", unit_price="12.50")
        price_list = insert_price_list(conn, prices={part: "10.00"})
        account_id = insert_account(conn, tax_rate="0")
        agreement = insert_agreement(
            conn, account_id=account_id, labour_rate="60.00", discount_pct="10", price_list_id=price_list
        )
        resource = insert_resource(conn, hourly_bill_rate="80.00")
        work_order_id = insert_posted_work_order(
            conn,
            account_id=account_id,
            agreement_id=agreement,
            lines=[
                WorkLine(kind="product", quantity="2", item_id=part),
                WorkLine(kind="labour", quantity="2", resource_id=resource),
                WorkLine(kind="service", quantity="1", unit_price="33.33"),
            ],
        )
    created = api.post(f"/invoices/from-work-order/{work_order_id}", headers=finance)
    assert created.status_code == 201, created.text
    lines = [(x["unit_price"], x["discount_pct"], x["amount"]) for x in created.json()["lines"]]
    assert lines == [("10.00", "10.00", "18.00"), ("60.00", "10.00", "108.00"), ("33.33", "10.00", "30.00")]


def test_minimum_charge_tops_up_small_work(api: TestClient, finance, database_url: str):
    with psycopg.connect(database_url) as conn:
        price_list = insert_price_list(conn, minimum_charge="100.00")
        account_id = insert_account(conn, tax_rate="0.1000", price_list_id=price_list)
        work_order_id = insert_posted_work_order(
            conn, account_id=account_id, lines=[WorkLine(kind="service", quantity="1", unit_price="40.00")]
        )
    body = api.post(f"/invoices/from-work-order/{work_order_id}", headers=finance).json()
    assert [(x["kind"], x["amount"], x["tax_amount"]) for x in body["lines"]] == [
        ("service", "40.00", "4.00"),
        ("minimum_charge", "60.00", "6.00"),
    ]
    assert body["total"] == "110.00"
    # adding a manual line re-computes the top-up
    added = api.post(
        f"/invoices/{body['id']}/lines",
        json={"description": "extra", "kind": "service", "quantity": "1", "unit_price": "70.00"},
        headers=finance,
    )
    assert added.status_code == 201, added.text
    assert [x["kind"] for x in added.json()["lines"]] == ["service", "service"]
    assert added.json()["total"] == "121.00"


def test_drafting_again_rebuilds_the_draft_and_refuses_unposted_work(api: TestClient, finance, database_url: str):
    _, work_order_id = _posted_work(database_url)
    with psycopg.connect(database_url) as conn:
        first = invoice_of_work_order(conn, work_order_id)
        account_id = insert_account(conn)
        unposted = insert_posted_work_order(conn, account_id=account_id, lines=[WorkLine()], status="completed")
    again = api.post(f"/invoices/from-work-order/{work_order_id}", headers=finance)
    assert again.status_code == 201 and again.json()["id"] == first
    refused = api.post(f"/invoices/from-work-order/{unposted}", headers=finance)
    assert refused.status_code == 409 and "only posted work is billed" in refused.json()["error"]["message"]
    assert api.post("/invoices/from-work-order/999999", headers=finance).status_code == 404


def test_issue_numbers_dates_and_immutability(api: TestClient, finance, database_url: str):
    _, work_order_id = _posted_work(database_url)
    with psycopg.connect(database_url) as conn:
        invoice_id = invoice_of_work_order(conn, work_order_id)
    issued = api.post(f"/invoices/{invoice_id}/issue", json={"issue_date": "2026-03-01"}, headers=finance)
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert (body["status"], body["number"], body["invoice_number"]) == ("issued", 1, "INV-000001")
    assert (body["issue_date"], body["due_date"]) == ("2026-03-01", "2026-03-15")
    assert body["shown_status"] == "overdue" and body["balance"] == "189.00"

    again = api.post(f"/invoices/{invoice_id}/issue", headers=finance)
    assert again.status_code == 409 and "it can only be credited" in again.json()["error"]["message"]
    line = {"description": "late", "kind": "service", "quantity": "1", "unit_price": "1.00"}
    edit = api.post(f"/invoices/{invoice_id}/lines", json=line, headers=finance)
    assert edit.status_code == 409 and "issued" in edit.json()["error"]["message"]
    assert api.post(f"/invoices/{invoice_id}/discard", headers=finance).status_code == 409
    redraft = api.post(f"/invoices/from-work-order/{work_order_id}", headers=finance)
    assert redraft.status_code == 409 and "already invoiced on INV-000001" in redraft.json()["error"]["message"]

    with psycopg.connect(database_url) as conn, pytest.raises(psycopg.errors.RestrictViolation, match="is issued"):
        conn.execute("UPDATE billing.invoices SET total = 0 WHERE id = %s", (invoice_id,))
    with psycopg.connect(database_url) as conn, pytest.raises(psycopg.errors.RestrictViolation, match="is issued"):
        conn.execute("DELETE FROM billing.invoice_lines WHERE invoice_id = %s", (invoice_id,))


def test_draft_editing_discarding_and_refusals(api: TestClient, finance, database_url: str):
    with psycopg.connect(database_url) as conn:
        account_id = insert_account(conn, tax_rate="0.0700")
    line = {"description": "visit", "kind": "service", "quantity": "2", "unit_price": "10.05", "discount_pct": "5"}
    created = api.post("/invoices", json={"account_id": account_id, "lines": [line]}, headers=finance)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["lines"][0]["amount"], body["lines"][0]["tax_amount"], body["total"]) == ("19.10", "1.34", "20.44")
    removed = api.delete(f"/invoices/{body['id']}/lines/{body['lines'][0]['id']}", headers=finance)
    assert removed.status_code == 200 and removed.json()["lines"] == [] and removed.json()["total"] == "0.00"
    empty = api.post(f"/invoices/{body['id']}/issue", headers=finance)
    assert empty.status_code == 409 and "nothing to issue" in empty.json()["error"]["message"]
    assert api.delete(f"/invoices/{body['id']}/lines/999", headers=finance).status_code == 404
    discarded = api.post(f"/invoices/{body['id']}/discard", headers=finance)
    assert discarded.status_code == 200 and discarded.json()["status"] == "discarded"
    bad = api.post("/invoices", json={"account_id": account_id, "lines": [{**line, "quantity": "0"}]}, headers=finance)
    assert bad.status_code == 422
    assert api.post("/invoices", json={"account_id": 999999}, headers=finance).status_code == 404


def test_roles_finance_writes_technician_reads_nothing(api: TestClient, database_url: str):
    with psycopg.connect(database_url) as conn:
        account_id = insert_account(conn)
    for role, status_code in [(Role.DISPATCHER, 403), (Role.VIEWER, 403), (Role.TECHNICIAN, 403), (Role.ADMIN, 201)]:
        answer = api.post("/invoices", json={"account_id": account_id}, headers=headers_for(database_url, role))
        assert answer.status_code == status_code
    assert api.get("/invoices", headers=headers_for(database_url, Role.TECHNICIAN)).status_code == 403
    assert api.get("/invoices", headers=headers_for(database_url, Role.VIEWER)).status_code == 200


def test_list_filters(api: TestClient, finance, database_url: str):
    with psycopg.connect(database_url) as conn:
        account_id = insert_account(conn, payment_terms_days=10, tax_rate="0")
        other = insert_account(conn)
        for amount, issued_on in [("10.00", date(2026, 1, 5)), ("20.00", date.today())]:
            billing_service.create_issued_invoice(
                conn,
                account_id=account_id,
                series="INV",
                lines=[LineDraft("svc", "service", Decimal(1), Decimal(amount))],
                actor="user:1",
                issue_date=issued_on,
            )
    api.post("/invoices", json={"account_id": other}, headers=finance)
    mine = api.get("/invoices", params={"account_id": account_id}, headers=finance).json()
    assert mine["total"] == 2
    overdue = api.get("/invoices", params={"account_id": account_id, "overdue": True}, headers=finance).json()
    assert [x["total"] for x in overdue["items"]] == ["10.00"]
    opened = api.get("/invoices", params={"status": "open"}, headers=finance).json()
    assert [x["total"] for x in opened["items"]] == ["20.00"]
    drafts = api.get("/invoices", params={"status": "draft"}, headers=finance).json()
    assert [x["account_id"] for x in drafts["items"]] == [other]
    ranged = api.get("/invoices", params={"issued_from": "2026-01-01", "issued_to": "2026-01-31"}, headers=finance)
    assert [x["invoice_number"] for x in ranged.json()["items"]] == ["INV-000001"]


def test_concurrent_issuers_take_gapless_numbers(database_url: str):
    with psycopg.connect(database_url) as conn:
        account_id = insert_account(conn)
        drafts = [
            billing_service.create_manual_draft(
                conn,
                invoice_in=InvoiceCreate(
                    account_id=account_id,
                    lines=[InvoiceLineCreate(description="x", quantity=Decimal(1), unit_price=Decimal(5))],
                ),
            ).id
            for _ in range(12)
        ]
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def issuer(ids: list[int]) -> None:
        try:
            barrier.wait(timeout=10)
            for invoice_id in ids:
                with psycopg.connect(database_url) as conn:
                    billing_service.issue(conn, invoice_id=invoice_id, actor="user:1")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=issuer, args=(drafts[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with psycopg.connect(database_url) as conn:
        numbers = [r[0] for r in conn.execute("SELECT number FROM billing.invoices WHERE series = 'INV' ORDER BY 1")]
        (next_number,) = conn.execute("SELECT next_number FROM billing.series WHERE code = 'INV'").fetchone() or (0,)
    assert numbers == list(range(1, 13)) and next_number == 13


def test_a_rolled_back_issue_gives_its_number_back(database_url: str):
    with psycopg.connect(database_url) as conn:
        account_id = insert_account(conn)
        line = LineDraft("svc", "service", Decimal(1), Decimal(1))
        first = billing_service.create_draft(conn, account_id=account_id)
        billing_service.write_lines(conn, invoice_id=first, lines=[price_line(line, tax_rate=Decimal(0))])
    with psycopg.connect(database_url) as conn:
        billing_service.issue(conn, invoice_id=first, actor="user:1")
        conn.rollback()
    with psycopg.connect(database_url) as conn:
        assert billing_service.issue(conn, invoice_id=first, actor="user:1").invoice_number == "INV-000001"


def test_agreement_coverage_bills_covered_lines_at_zero_with_the_reason(api: TestClient, finance, database_url: str):
    with psycopg.connect(database_url) as conn:
        account_id = insert_account(conn, tax_rate="0.2000")
        agreement = insert_agreement(
            conn, account_id=account_id, labour_rate="60.00", discount_pct="10", covered_work_types=("repair",)
        )
        work_order_id = insert_posted_work_order(
            conn,
            account_id=account_id,
            agreement_id=agreement,
            lines=[
                WorkLine(kind="labour", quantity="2", description="labour"),
                WorkLine(kind="product", quantity="1", unit_price="50.00", description="seal"),
            ],
        )
        post_work(conn, work_order_id)
        invoice_id = invoice_of_work_order(conn, work_order_id)
        number = conn.execute("SELECT number FROM agreements.agreements WHERE id = %s", (agreement,)).fetchone()
    assert number is not None
    body = api.get(f"/invoices/{invoice_id}", headers=finance).json()
    labour, seal = body["lines"]
    assert (labour["covered"], labour["unit_price"], labour["amount"], labour["tax_amount"]) == (
        True,
        "60.00",
        "0.00",
        "0.00",
    )
    assert labour["coverage_reason"] == f"covered by agreement {number[0]} (repair, labour)"
    # parts are not covered by this agreement: billed with its 10 % discount
    assert (seal["covered"], seal["discount_pct"], seal["amount"], seal["coverage_reason"]) == (
        False,
        "10.00",
        "45.00",
        None,
    )
    assert body["total"] == "54.00"


def test_warranty_covers_repair_parts_and_labour_and_fully_covered_work_has_no_minimum(
    api: TestClient, finance, database_url: str
):
    with psycopg.connect(database_url) as conn:
        price_list = insert_price_list(conn, minimum_charge="100.00")
        account_id = insert_account(conn, price_list_id=price_list)
        asset = insert_asset(conn, account_id=account_id, warranty_end=date(2099, 12, 31))
        work_order_id = insert_posted_work_order(
            conn,
            account_id=account_id,
            asset_id=asset,
            lines=[WorkLine(kind="product", quantity="1", unit_price="70.00")],
        )
    body = api.post(f"/invoices/from-work-order/{work_order_id}", headers=finance).json()
    assert [(x["kind"], x["covered"], x["amount"]) for x in body["lines"]] == [("product", True, "0.00")]
    assert body["lines"][0]["coverage_reason"] == "covered by the asset's warranty until 2099-12-31 (repair, parts)"
    assert body["total"] == "0.00"
