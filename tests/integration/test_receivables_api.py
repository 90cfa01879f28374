"""Receivables through HTTP against a real PostgreSQL: aging, dunning with fee invoices and reruns, disputes and
promises pausing dunning, the automatic credit hold, and the collections worklist."""

from __future__ import annotations

from datetime import date, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient

from service_core.accounts import service as accounts_service
from service_core.auth.domain import Role
from tests.finance_factories import insert_account, issued_invoice
from tests.support.api import headers_for

pytestmark = pytest.mark.integration

TODAY = date.today()


def _pay(api: TestClient, finance: dict[str, str], account_id: int, amount: str) -> dict[str, object]:
    body = {"account_id": account_id, "amount": amount, "currency": "USD", "received_on": str(TODAY)}
    answer = api.post("/payments", json={**body, "auto_allocate": True}, headers=finance)
    assert answer.status_code == 201, answer.text
    result: dict[str, object] = answer.json()
    return result


def _invoices(url: str, items: list[tuple[str, date]], **account: object) -> tuple[int, list[int]]:
    with psycopg.connect(url) as conn:
        account_id = insert_account(conn, payment_terms_days=30, **account)  # type: ignore[arg-type]
        return account_id, [issued_invoice(conn, account_id=account_id, amount=a, issue_date=d) for a, d in items]


def test_aging_buckets_and_credit(api: TestClient, finance, database_url: str):
    as_of = date(2026, 6, 30)
    # due = issue + 30: due on as_of (current), 30 days overdue, 31, 91
    dues = [as_of, as_of - timedelta(days=30), as_of - timedelta(days=31), as_of - timedelta(days=91)]
    account_id, _ = _invoices(
        database_url,
        [(a, d - timedelta(days=30)) for a, d in zip(["10.00", "20.00", "30.00", "40.00"], dues, strict=True)],
    )
    with psycopg.connect(database_url) as conn:
        issued_invoice(conn, account_id=account_id, amount="99.00", issue_date=as_of + timedelta(days=1))  # later
        conn.execute(
            "INSERT INTO billing.payments (account_id, amount, currency, received_on, method, created_by) "
            "VALUES (%s, 15, 'USD', %s, 'cash', 'user:1')",
            (account_id, as_of),
        )
    report = api.get("/receivables/aging", params={"as_of": str(as_of)}, headers=finance)
    assert report.status_code == 200, report.text
    (row,) = report.json()["accounts"]
    assert row == {
        "account_id": account_id,
        "current": "10.00",
        "days_1_30": "20.00",
        "days_31_60": "30.00",
        "days_61_90": "0.00",
        "days_90_plus": "40.00",
        "open_total": "100.00",
        "credit": "15.00",
        "net": "85.00",
    }
    assert report.json()["totals"]["open_total"] == "100.00"
    assert api.get("/receivables/aging", headers=headers_for(database_url, Role.TECHNICIAN)).status_code == 403


def test_dunning_sends_the_highest_level_once_with_fee_invoices(api: TestClient, finance, database_url: str):
    account_id, (invoice_id,) = _invoices(database_url, [("200.00", date(2026, 1, 1))])  # due 2026-01-31
    first = api.post("/receivables/dunning/run", json={"as_of": "2026-03-12"}, headers=finance)  # 40 days
    assert first.status_code == 200, first.text
    (notice,) = first.json()["notices"]
    assert (notice["invoice_id"], notice["level"], notice["balance"]) == (invoice_id, 2, "200.00")
    fee = api.get(f"/invoices/{notice['fee_invoice_id']}", headers=finance).json()
    assert (fee["series"], fee["invoice_number"], fee["status"], fee["issue_date"]) == (
        "FEE",
        "FEE-000001",
        "issued",
        "2026-03-12",
    )
    assert [(x["kind"], x["amount"]) for x in fee["lines"]] == [("dunning_fee", "25.00")]

    rerun = api.post("/receivables/dunning/run", json={"as_of": "2026-03-12"}, headers=finance)
    assert rerun.json()["notices"] == []
    final = api.post("/receivables/dunning/run", json={"as_of": "2026-04-11"}, headers=finance)  # 70 days
    (notice3,) = final.json()["notices"]
    assert notice3["level"] == 3
    fee3 = api.get(f"/invoices/{notice3['fee_invoice_id']}", headers=finance).json()
    # 200.00 x 8 % x 70 / 365 = 3.068... → 3.07
    assert [(x["kind"], x["amount"]) for x in fee3["lines"]] == [("dunning_fee", "50.00"), ("interest", "3.07")]
    assert fee3["total"] == "53.07"
    later = api.post("/receivables/dunning/run", json={"as_of": "2026-12-31"}, headers=finance)
    assert later.json()["notices"] == []  # fee invoices are not dunned, level 3 was sent
    sent = api.get(f"/receivables/dunning/invoices/{invoice_id}", headers=finance).json()
    assert [x["level"] for x in sent] == [2, 3]

    # level 3 places a credit hold; settling the invoice releases it
    with psycopg.connect(database_url) as conn:
        account = accounts_service.get_account(conn, account_id=account_id)
    assert account.credit_hold and "seriously overdue: INV-000001" in (account.credit_hold_reason or "")
    _pay(api, finance, account_id, "200.00")
    with psycopg.connect(database_url) as conn:
        assert not accounts_service.get_account(conn, account_id=account_id).credit_hold


def test_a_dispute_pauses_dunning_until_resolved(api: TestClient, finance, database_url: str):
    _, (invoice_id,) = _invoices(database_url, [("80.00", date(2026, 1, 1))])
    opened = api.post("/receivables/disputes", json={"invoice_id": invoice_id, "reason": "wrong part"}, headers=finance)
    assert opened.status_code == 201
    twice = api.post("/receivables/disputes", json={"invoice_id": invoice_id, "reason": "again"}, headers=finance)
    assert twice.status_code == 409 and "already has an open dispute" in twice.json()["error"]["message"]
    paused = api.post("/receivables/dunning/run", json={"as_of": "2026-02-15"}, headers=finance)
    assert paused.json()["notices"] == []
    resolved = api.post(
        f"/receivables/disputes/{opened.json()['id']}/resolve", json={"resolution": "part was right"}, headers=finance
    )
    assert resolved.status_code == 200 and resolved.json()["resolution"] == "part was right"
    again = api.post(f"/receivables/disputes/{opened.json()['id']}/resolve", json={"resolution": "x"}, headers=finance)
    assert again.status_code == 409
    resumed = api.post("/receivables/dunning/run", json={"as_of": "2026-02-15"}, headers=finance)
    assert [(x["invoice_id"], x["level"], x["fee_invoice_id"]) for x in resumed.json()["notices"]] == [
        (invoice_id, 1, None)
    ]


def test_promises_pause_dunning_and_are_kept_or_broken(api: TestClient, finance, database_url: str):
    issued_on = TODAY - timedelta(days=60)  # due 30 days ago
    account_id, (broken_inv, kept_inv) = _invoices(database_url, [("100.00", issued_on), ("50.00", issued_on)])
    promised = TODAY + timedelta(days=5)
    promises = [
        api.post(
            "/receivables/promises",
            json={"invoice_id": inv, "promised_date": str(promised), "amount": amount},
            headers=finance,
        )
        for inv, amount in [(broken_inv, "100.00"), (kept_inv, "50.00")]
    ]
    assert [p.status_code for p in promises] == [201, 201]
    too_much = api.post(
        "/receivables/promises",
        json={"invoice_id": kept_inv, "promised_date": str(promised), "amount": "50.01"},
        headers=finance,
    )
    assert too_much.status_code == 422
    past = api.post(
        "/receivables/promises",
        json={"invoice_id": kept_inv, "promised_date": str(TODAY - timedelta(days=1)), "amount": "1.00"},
        headers=finance,
    )
    assert past.status_code == 422

    paused = api.post("/receivables/dunning/run", json={"as_of": str(TODAY)}, headers=finance).json()
    assert paused["notices"] == [] and paused["promises_kept"] == [] and paused["promises_broken"] == []
    body = {"account_id": account_id, "amount": "50.00", "currency": "USD", "received_on": str(TODAY)}
    payment = api.post("/payments", json=body, headers=finance).json()
    api.post(
        f"/payments/{payment['id']}/allocations",
        json={"allocations": [{"invoice_id": kept_inv, "amount": "50.00"}]},
        headers=finance,
    )
    after = api.post("/receivables/dunning/run", json={"as_of": str(promised + timedelta(days=1))}, headers=finance)
    result = after.json()
    assert result["promises_kept"] == [promises[1].json()["id"]]
    assert result["promises_broken"] == [promises[0].json()["id"]]
    assert [(x["invoice_id"], x["level"]) for x in result["notices"]] == [(broken_inv, 2)]


def test_credit_limit_hold_and_automatic_release(api: TestClient, finance, database_url: str):
    account_id, _ = _invoices(database_url, [("150.00", TODAY)], credit_limit="100.00")
    with psycopg.connect(database_url) as conn:
        account = accounts_service.get_account(conn, account_id=account_id)
    assert account.credit_hold and not account.credit_hold_manual
    assert account.credit_hold_reason == "open balance 150.00 exceeds the credit limit 100.00"
    _pay(api, finance, account_id, "60.00")
    with psycopg.connect(database_url) as conn:
        assert not accounts_service.get_account(conn, account_id=account_id).credit_hold

    # a hold a person set stays through the automatic check
    with psycopg.connect(database_url) as conn:
        accounts_service.set_credit_hold(conn, account_id=account_id, hold=True, reason="disputed terms", manual=True)
    run = api.post("/receivables/credit-check", headers=finance)
    assert run.status_code == 200 and run.json()["released"] == []
    status = api.post(f"/receivables/credit-check/{account_id}", headers=finance).json()
    assert (status["credit_hold"], status["credit_hold_manual"], status["exposure"]) == (True, True, "90.00")


def test_credit_check_run_holds_accounts_that_went_over_a_lowered_limit(api: TestClient, finance, database_url: str):
    account_id, _ = _invoices(database_url, [("80.00", TODAY)], credit_limit="100.00")
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE crm.accounts SET credit_limit = 50 WHERE id = %s", (account_id,))
    run = api.post("/receivables/credit-check", headers=finance).json()
    assert run["on_hold"] == [account_id] and run["checked"] == 1
    assert api.post("/receivables/credit-check", headers=headers_for(database_url, Role.VIEWER)).status_code == 403


def test_worklist_orders_by_risk_with_reasons(api: TestClient, finance, database_url: str):
    old = TODAY - timedelta(days=130)  # 100 days overdue
    recent = TODAY - timedelta(days=40)  # 10 days overdue
    small_old, _ = _invoices(database_url, [("100.00", old)])
    big_recent, _ = _invoices(database_url, [("5000.00", recent)])
    _invoices(database_url, [("10.00", TODAY)])  # not overdue: not on the list
    answer = api.get("/receivables/worklist", headers=finance)
    assert answer.status_code == 200
    rows = answer.json()["items"]
    assert [r["account_id"] for r in rows] == [big_recent, small_old]
    assert (rows[0]["score"], rows[0]["reason"]) == ("500.00", "5000.00 overdue (oldest 10 days)")
    assert (rows[1]["score"], rows[1]["oldest_days_overdue"]) == ("100.00", 100)


def test_dates_out_of_range_are_refused_not_crashing(api: TestClient, finance, database_url: str):
    run = api.post("/receivables/dunning/run", json={"as_of": "9999-12-31"}, headers=finance)
    assert run.status_code == 422 and run.json()["error"]["fields"][0]["field"] == "as_of"
    assert api.post("/invoices/run-periodic", json={"through": "1900-01-01"}, headers=finance).status_code == 422


def test_disputes_and_promises_are_listed_read_and_a_promise_withdrawn(api: TestClient, finance, database_url: str):
    issued_on = TODAY - timedelta(days=60)  # due 30 days ago
    account_id, (disputed, promised_inv) = _invoices(database_url, [("80.00", issued_on), ("40.00", issued_on)])
    other_account, (elsewhere,) = _invoices(database_url, [("10.00", issued_on)])
    dispute = api.post("/receivables/disputes", json={"invoice_id": disputed, "reason": "late"}, headers=finance).json()
    api.post("/receivables/disputes", json={"invoice_id": elsewhere, "reason": "other"}, headers=finance)
    mine = api.get("/receivables/disputes", params={"account_id": account_id}, headers=finance).json()
    assert mine["total"] == 1 and [d["id"] for d in mine["items"]] == [dispute["id"]]
    assert api.get(f"/receivables/disputes/{dispute['id']}", headers=finance).json()["reason"] == "late"
    api.post(f"/receivables/disputes/{dispute['id']}/resolve", json={"resolution": "ok"}, headers=finance)
    still_open = api.get("/receivables/disputes", params={"account_id": account_id, "open": True}, headers=finance)
    resolved = api.get("/receivables/disputes", params={"invoice_id": disputed, "open": False}, headers=finance)
    assert still_open.json()["total"] == 0 and resolved.json()["items"][0]["resolution"] == "ok"
    assert api.get("/receivables/disputes/999999", headers=finance).status_code == 404

    body = {"invoice_id": promised_inv, "promised_date": str(TODAY + timedelta(days=5)), "amount": "40.00"}
    promise = api.post("/receivables/promises", json=body, headers=finance).json()
    listed = api.get("/receivables/promises", params={"account_id": account_id, "status": "open"}, headers=finance)
    assert [p["id"] for p in listed.json()["items"]] == [promise["id"]]
    assert api.get("/receivables/promises", params={"account_id": other_account}, headers=finance).json()["total"] == 0
    paused = api.post("/receivables/dunning/run", json={"as_of": str(TODAY)}, headers=finance).json()
    assert promised_inv not in [n["invoice_id"] for n in paused["notices"]]  # the open promise holds dunning off

    canceled = api.post(f"/receivables/promises/{promise['id']}/cancel", json={"reason": "customer withdrew"},
                        headers=finance)  # fmt: skip
    assert canceled.status_code == 200, canceled.text
    assert canceled.json()["status"] == "canceled" and "customer withdrew" in canceled.json()["notes"]
    twice = api.post(f"/receivables/promises/{promise['id']}/cancel", json={"reason": "x"}, headers=finance)
    assert twice.status_code == 409 and "only an open promise" in twice.json()["error"]["message"]
    assert api.post(f"/receivables/promises/{promise['id']}/cancel", json={}, headers=finance).status_code == 422
    resumed = api.post("/receivables/dunning/run", json={"as_of": str(TODAY)}, headers=finance).json()
    assert promised_inv in [n["invoice_id"] for n in resumed["notices"]]  # withdrawn: dunning no longer waits
    worklist = api.get("/receivables/worklist", headers=finance).json()["items"]
    assert all(row["broken_promises"] == 0 for row in worklist if row["account_id"] == account_id)
    technician = headers_for(database_url, Role.TECHNICIAN)
    assert api.get("/receivables/promises", headers=technician).status_code == 403
