"""Revenue and cost to serve through HTTP: an invoice for posted work and a credit note against it land on the
same asset, agreement and account (a credit note carries no work order of its own)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.finance_factories import (
    WorkLine,
    insert_account,
    insert_agreement,
    insert_asset,
    insert_posted_work_order,
    invoice_of_work_order,
    post_work,
)

pytestmark = pytest.mark.integration


def test_a_credit_note_counts_against_the_asset_and_agreement_of_the_invoice_it_credits(
    api: TestClient, finance: dict[str, str], database_url: str
):
    with psycopg.connect(database_url) as conn:
        account_id = insert_account(conn, tax_rate="0")
        agreement_id = insert_agreement(conn, account_id=account_id)
        asset_id = insert_asset(conn, account_id=account_id)
        work_order_id = insert_posted_work_order(
            conn, account_id=account_id, agreement_id=agreement_id, asset_id=asset_id,
            lines=[WorkLine(kind="product", quantity="2", unit_price="50.00", description="seal kit")],
        )  # fmt: skip
        post_work(conn, work_order_id)
        invoice_id = invoice_of_work_order(conn, work_order_id)
    assert invoice_id is not None
    issued = api.post(f"/invoices/{invoice_id}/issue", headers=finance)
    assert issued.status_code == 200, issued.text
    credit = api.post(f"/invoices/{invoice_id}/credit-notes", json={"reason": "one kit returned", "lines": [
        {"line_id": issued.json()["lines"][0]["id"], "quantity": "1"}]}, headers=finance)  # fmt: skip
    assert credit.status_code == 201, credit.text

    today = datetime.now(UTC).date()
    window = {"start": str(today - timedelta(days=1)), "end": str(today + timedelta(days=1))}
    for group_by, key in (("asset", asset_id), ("agreement", agreement_id), ("account", account_id)):
        report = api.get("/analytics/profitability", params={**window, "group_by": group_by}, headers=finance)
        groups = {g["group_key"]: g for g in report.json()["groups"]}
        assert None not in groups, f"{group_by}: the credit note fell outside every {group_by}"
        assert groups[str(key)]["revenue"] == "50.00", (group_by, groups)
