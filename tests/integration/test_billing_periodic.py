"""Periodic invoicing through HTTP against a real PostgreSQL: due lease charges (LSE) and agreement fees (AGR),
once each."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import psycopg
import pytest
from fastapi.testclient import TestClient

from service_core.auth.domain import Role
from tests.finance_factories import insert_account, insert_agreement, insert_fee_period, insert_lease_charges
from tests.support.api import api_client, headers_for

pytestmark = pytest.mark.integration


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    with api_client(database_url) as client:
        yield client


def test_run_periodic_invoices_due_lease_charges_and_fees_once(api: TestClient, database_url: str):
    finance = headers_for(database_url, Role.FINANCE)
    with psycopg.connect(database_url) as conn:
        account_id = insert_account(conn, tax_rate="0", payment_terms_days=10)
        rent, deposit, later = insert_lease_charges(
            conn,
            account_id=account_id,
            charges=[
                ("rent", date(2026, 1, 1), date(2026, 1, 1), "100.00"),
                ("deposit", date(2026, 1, 1), date(2026, 1, 1), "250.00"),
                ("rent", date(2026, 2, 1), date(2026, 2, 1), "100.00"),
            ],
        )
        agreement = insert_agreement(conn, account_id=account_id)
        fee = insert_fee_period(conn, agreement_id=agreement, start=date(2026, 1, 1), due=date(2026, 1, 5), amount="40")
        insert_fee_period(conn, agreement_id=agreement, start=date(2026, 2, 1), due=date(2026, 2, 5), amount="40")

    run = api.post("/invoices/run-periodic", json={"through": "2026-01-31"}, headers=finance)
    assert run.status_code == 200, run.text
    result = run.json()
    assert len(result["lease_invoice_ids"]) == 1 and len(result["agreement_invoice_ids"]) == 1
    assert result["skipped"] == []
    lease_invoice = api.get(f"/invoices/{result['lease_invoice_ids'][0]}", headers=finance).json()
    assert (lease_invoice["series"], lease_invoice["invoice_number"], lease_invoice["total"]) == (
        "LSE",
        "LSE-000001",
        "350.00",
    )
    assert [(x["kind"], x["amount"]) for x in lease_invoice["lines"]] == [("lease", "100.00"), ("lease", "250.00")]
    assert lease_invoice["period_start"] == "2026-01-01"
    fee_invoice = api.get(f"/invoices/{result['agreement_invoice_ids'][0]}", headers=finance).json()
    assert (fee_invoice["invoice_number"], fee_invoice["agreement_id"], fee_invoice["total"]) == (
        "AGR-000001",
        agreement,
        "40.00",
    )
    assert [x["kind"] for x in fee_invoice["lines"]] == ["agreement_fee"]
    with psycopg.connect(database_url) as conn:
        marked = conn.execute(
            "SELECT id, invoice_id FROM assets.lease_periods WHERE id = ANY(%s) ORDER BY id", ([rent, deposit, later],)
        ).fetchall()
        fee_row = conn.execute("SELECT invoice_id FROM agreements.fee_periods WHERE id = %s", (fee,)).fetchone()
    assert marked == [(rent, lease_invoice["id"]), (deposit, lease_invoice["id"]), (later, None)]
    assert fee_row == (fee_invoice["id"],)

    again = api.post("/invoices/run-periodic", json={"through": "2026-01-31"}, headers=finance).json()
    assert again == {"lease_invoice_ids": [], "agreement_invoice_ids": [], "skipped": []}
    february = api.post("/invoices/run-periodic", json={"through": "2026-02-28"}, headers=finance).json()
    assert len(february["lease_invoice_ids"]) == 1 and len(february["agreement_invoice_ids"]) == 1
    viewer = headers_for(database_url, Role.VIEWER)
    assert api.post("/invoices/run-periodic", json={"through": "2026-02-28"}, headers=viewer).status_code == 403
