"""Payments through HTTP against a real PostgreSQL: idempotent recording, allocation (explicit, oldest first,
concurrent), account credit, refunds and reversals."""

from __future__ import annotations

import threading
import time
from datetime import date
from decimal import Decimal

import psycopg
import pytest
from fastapi.testclient import TestClient

from service_core.auth.domain import Role
from service_core.exceptions import Conflict
from service_core.payments import service as payments_service
from service_core.payments.domain import Allocation
from tests.finance_factories import insert_account, issued_invoice
from tests.support.api import headers_for

pytestmark = pytest.mark.integration


def _account_with_invoices(url: str, amounts: list[tuple[str, date]], **account: object) -> tuple[int, list[int]]:
    with psycopg.connect(url) as conn:
        account_id = insert_account(conn, payment_terms_days=30, **account)  # type: ignore[arg-type]
        ids = [issued_invoice(conn, account_id=account_id, amount=a, issue_date=d) for a, d in amounts]
    return account_id, ids


def _payment(account_id: int, amount: str, **extra: object) -> dict[str, object]:
    return {"account_id": account_id, "amount": amount, "currency": "USD", "received_on": "2026-06-01", **extra}


def test_same_idempotency_key_records_one_payment(api: TestClient, finance, database_url: str):
    account_id, _ = _account_with_invoices(database_url, [])
    body = _payment(account_id, "50.00", reference="wire 1")
    first = api.post("/payments", json=body, headers={**finance, "Idempotency-Key": "k-1"})
    assert first.status_code == 201, first.text
    again = api.post("/payments", json=body, headers={**finance, "Idempotency-Key": "k-1"})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    in_body = api.post("/payments", json={**body, "idempotency_key": "k-1"}, headers=finance)
    assert in_body.status_code == 200 and in_body.json()["id"] == first.json()["id"]
    keyed = {**finance, "Idempotency-Key": "k-1"}
    different = api.post("/payments", json={**body, "amount": "51.00"}, headers=keyed)
    assert different.status_code == 409
    assert "already used for a different payment" in different.json()["error"]["message"]
    clash = api.post("/payments", json={**body, "idempotency_key": "k-2"}, headers=keyed)
    assert clash.status_code == 422
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM billing.payments").fetchone() == (1,)


def test_payment_refusals(api: TestClient, finance, database_url: str):
    account_id, _ = _account_with_invoices(database_url, [])
    wrong = api.post("/payments", json={**_payment(account_id, "5.00"), "currency": "EUR"}, headers=finance)
    assert wrong.status_code == 422 and "pays in USD, not EUR" in wrong.json()["error"]["message"]
    assert api.post("/payments", json=_payment(account_id, "0.00"), headers=finance).status_code == 422
    assert api.post("/payments", json=_payment(account_id, "1.001"), headers=finance).status_code == 422
    assert api.post("/payments", json=_payment(999999, "5.00"), headers=finance).status_code == 404
    viewer = headers_for(database_url, Role.VIEWER)
    assert api.post("/payments", json=_payment(account_id, "5.00"), headers=viewer).status_code == 403
    assert api.get("/payments", headers=headers_for(database_url, Role.TECHNICIAN)).status_code == 403
    assert api.get("/payments", headers=viewer).status_code == 200


def test_partial_payment_and_explicit_allocation(api: TestClient, finance, database_url: str):
    account_id, (inv1, inv2) = _account_with_invoices(database_url, [("100.00", date.today()), ("80.00", date.today())])
    payment = api.post("/payments", json=_payment(account_id, "120.00"), headers=finance).json()
    assert payment["unapplied"] == "120.00"
    allocated = api.post(
        f"/payments/{payment['id']}/allocations",
        json={"allocations": [{"invoice_id": inv1, "amount": "100.00"}, {"invoice_id": inv2, "amount": "15.00"}]},
        headers=finance,
    )
    assert allocated.status_code == 200, allocated.text
    assert (allocated.json()["allocated"], allocated.json()["unapplied"]) == ("115.00", "5.00")
    first = api.get(f"/invoices/{inv1}", headers=finance).json()
    second = api.get(f"/invoices/{inv2}", headers=finance).json()
    assert (first["shown_status"], first["balance"]) == ("paid", "0.00")
    assert (second["shown_status"], second["balance"]) == ("partially_paid", "65.00")

    over_payment = api.post(
        f"/payments/{payment['id']}/allocations",
        json={"allocations": [{"invoice_id": inv2, "amount": "5.01"}]},
        headers=finance,
    )
    assert over_payment.status_code == 409 and "over-allocate it" in over_payment.json()["error"]["message"]
    other = api.post("/payments", json=_payment(account_id, "500.00"), headers=finance).json()
    over_invoice = api.post(
        f"/payments/{other['id']}/allocations",
        json={"allocations": [{"invoice_id": inv2, "amount": "65.01"}]},
        headers=finance,
    )
    assert over_invoice.status_code == 409 and "open balance of 65.00" in over_invoice.json()["error"]["message"]
    _, (foreign_invoice,) = _account_with_invoices(database_url, [("1.00", date.today())])
    for invoice_id in (foreign_invoice, 999999):
        elsewhere = api.post(
            f"/payments/{other['id']}/allocations",
            json={"allocations": [{"invoice_id": invoice_id, "amount": "1.00"}]},
            headers=finance,
        )
        assert elsewhere.status_code == 404 and "no issued invoice of account" in elsewhere.json()["error"]["message"]
    assert api.post(f"/payments/{other['id']}/allocations", json={}, headers=finance).status_code == 422


def test_auto_allocation_oldest_first_and_overpayment_stays_as_credit(api: TestClient, finance, database_url: str):
    account_id, (newer, older) = _account_with_invoices(
        database_url, [("50.00", date(2026, 5, 1)), ("30.00", date(2026, 4, 1))]
    )
    recorded = api.post("/payments", json=_payment(account_id, "100.00", auto_allocate=True), headers=finance)
    assert recorded.status_code == 201
    payment = recorded.json()
    assert [(a["invoice_id"], a["amount"]) for a in payment["allocations"]] == [(older, "30.00"), (newer, "50.00")]
    assert payment["unapplied"] == "20.00"
    credit = api.get(f"/payments/accounts/{account_id}/credit", headers=finance).json()
    assert (credit["unapplied_payments"], credit["total"]) == ("20.00", "20.00")

    with psycopg.connect(database_url) as conn:
        later = issued_invoice(conn, account_id=account_id, amount="35.00", issue_date=date.today())
    used = api.post(f"/payments/{payment['id']}/allocations", json={"auto": True}, headers=finance)
    assert used.json()["unapplied"] == "0.00"
    assert api.get(f"/invoices/{later}", headers=finance).json()["balance"] == "15.00"


def _cash_payment(conn: psycopg.Connection, account_id: int) -> int:
    row = conn.execute(
        "INSERT INTO billing.payments (account_id, amount, currency, received_on, method, created_by) "
        "VALUES (%s, 100, 'USD', current_date, 'cash', 'user:1') RETURNING id",
        (account_id,),
    ).fetchone()
    assert row is not None
    return int(row[0])


def _race(database_url: str, clerks: list[tuple[int, int]], *, hold_seconds: float = 0.0) -> list[str]:
    """Each (payment, invoice) allocates 100.00 in its own connection, all at once; 'ok' or 'conflict: ...'.
    The winner holds its locks `hold_seconds` before committing: a loser must wait, not read past it."""
    barrier = threading.Barrier(len(clerks))
    outcomes: list[str] = []

    def clerk(payment_id: int, invoice_id: int) -> None:
        with psycopg.connect(database_url) as conn:
            barrier.wait(timeout=10)
            try:
                with conn.transaction():
                    payments_service.allocate(
                        conn, payment_id=payment_id, allocations=[Allocation(invoice_id, Decimal(100))], actor="c"
                    )
                    time.sleep(hold_seconds)
                outcomes.append("ok")
            except Conflict as exc:
                outcomes.append(f"conflict: {exc}")

    threads = [threading.Thread(target=clerk, args=pair) for pair in clerks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


def test_concurrent_clerks_cannot_both_allocate_one_payment(database_url: str):
    with psycopg.connect(database_url) as conn:
        account_id = insert_account(conn)
        first = issued_invoice(conn, account_id=account_id, amount="100.00", issue_date=date.today())
        second = issued_invoice(conn, account_id=account_id, amount="100.00", issue_date=date.today())
        payment_id = _cash_payment(conn, account_id)
    outcomes = _race(database_url, [(payment_id, first), (payment_id, second)])
    assert sorted(o.split(":")[0] for o in outcomes) == ["conflict", "ok"]
    assert any("has 0.00 unapplied" in o for o in outcomes)
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT sum(amount) FROM billing.allocations").fetchone() == (Decimal("100.00"),)


def test_concurrent_payments_cannot_over_allocate_one_invoice(database_url: str):
    with psycopg.connect(database_url) as conn:
        account_id = insert_account(conn)
        invoice_id = issued_invoice(conn, account_id=account_id, amount="100.00", issue_date=date.today())
        payment_ids = [_cash_payment(conn, account_id) for _ in range(2)]
    # both pay the whole invoice with their own payment, at once
    outcomes = _race(database_url, [(p, invoice_id) for p in payment_ids], hold_seconds=0.3)
    assert sorted(o.split(":")[0] for o in outcomes) == ["conflict", "ok"], outcomes
    assert any("open balance of 0.00" in o for o in outcomes), outcomes
    with psycopg.connect(database_url) as conn:
        assert conn.execute(
            "SELECT sum(amount) FROM billing.allocations WHERE invoice_id = %s", (invoice_id,)
        ).fetchone() == (Decimal("100.00"),)
        assert conn.execute(
            "SELECT balance FROM billing.invoice_balances WHERE invoice_id = %s", (invoice_id,)
        ).fetchone() == (Decimal("0.00"),)


def test_reversal_reopens_invoices(api: TestClient, finance, database_url: str):
    account_id, (invoice_id,) = _account_with_invoices(database_url, [("60.00", date.today())])
    payment = api.post("/payments", json=_payment(account_id, "60.00", auto_allocate=True), headers=finance).json()
    assert api.get(f"/invoices/{invoice_id}", headers=finance).json()["shown_status"] == "paid"
    reversed_ = api.post(f"/payments/{payment['id']}/reverse", json={"reason": "bounced"}, headers=finance)
    assert reversed_.status_code == 200
    body = reversed_.json()
    assert (body["status"], body["reversal_reason"], body["allocated"], body["unapplied"]) == (
        "reversed",
        "bounced",
        "0.00",
        "0.00",
    )
    assert all(a["reversed_at"] is not None for a in body["allocations"])
    invoice = api.get(f"/invoices/{invoice_id}", headers=finance).json()
    assert (invoice["shown_status"], invoice["balance"]) == ("open", "60.00")
    again = api.post(f"/payments/{payment['id']}/reverse", json={"reason": "twice"}, headers=finance)
    assert again.status_code == 409 and "is reversed" in again.json()["error"]["message"]
    alloc = api.post(f"/payments/{payment['id']}/allocations", json={"auto": True}, headers=finance)
    assert alloc.status_code == 409


def test_refund_of_unapplied_cash(api: TestClient, finance, database_url: str):
    account_id, _ = _account_with_invoices(database_url, [("40.00", date.today())])
    payment = api.post("/payments", json=_payment(account_id, "100.00", auto_allocate=True), headers=finance).json()
    assert payment["unapplied"] == "60.00"
    too_much = api.post(f"/payments/{payment['id']}/refunds", json={"amount": "60.01"}, headers=finance)
    assert too_much.status_code == 409 and "only 60.00 is unapplied" in too_much.json()["error"]["message"]
    refunded = api.post(
        f"/payments/{payment['id']}/refunds", json={"amount": "60.00", "reason": "overpaid"}, headers=finance
    )
    assert refunded.status_code == 201 and refunded.json()["amount"] == "60.00"
    after = api.get(f"/payments/{payment['id']}", headers=finance).json()
    assert (after["refunded"], after["unapplied"]) == ("60.00", "0.00")
    bounce = api.post(f"/payments/{payment['id']}/reverse", json={"reason": "bounced"}, headers=finance)
    assert bounce.status_code == 409 and "refunded" in bounce.json()["error"]["message"]
    listed = api.get("/payments", params={"account_id": account_id}, headers=finance).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == payment["id"]
