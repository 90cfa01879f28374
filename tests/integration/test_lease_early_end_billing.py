"""Ending a lease early against billing: rent invoiced for days after the end is credited (prorated for a period
cut in the middle), rent not invoiced yet for those days is never issued, and a periodic run racing the end waits
and invoices the shortened schedule."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from service_core.assets import lease_service
from service_core.billing import credit_notes, periodic
from service_core.billing.schemas import CreditNoteCreate, CreditNoteLineIn
from service_core.db import migrate
from tests.masterdata_factories import make_account, make_asset, make_lease, scalar

pytestmark = pytest.mark.integration

BACKFILL_MARKER = "-- Lines invoiced before this migration"


def _leased(url: str, **fields: Any) -> Any:
    """A lease of 300.00 a month from 2024-01-31 to 2024-04-30 to an account taxed at 20 %."""
    asset = make_asset(url, make_account(url, tax_rate="0.2").id)
    return make_lease(url, asset, activate=True, buyout_price="1000.00", **fields)


def _run_periodic(url: str, through: date) -> list[int]:
    with psycopg.connect(url) as conn:
        return periodic.run_periodic(conn, through=through, actor="user:1").lease_invoice_ids


def _charges(api: TestClient, lease_id: int, headers: dict[str, str]) -> list[tuple[Any, ...]]:
    charges = api.get(f"/assets/leases/{lease_id}/charges", headers=headers).json()
    return [(c["kind"], c["period_start"], c["period_end"], c["amount"], c["invoice_id"]) for c in charges]


def _credit_notes_of(api: TestClient, invoice_id: int, headers: dict[str, str]) -> list[dict[str, Any]]:
    listed = api.get("/invoices", params={"kind": "credit_note", "limit": 100}, headers=headers).json()["items"]
    return [
        api.get(f"/invoices/{x['id']}", headers=headers).json()
        for x in sorted(listed, key=lambda x: x["id"])
        if x["credits_invoice_id"] == invoice_id
    ]


def test_terminating_credits_rent_invoiced_past_the_end_and_never_issues_the_rest(
    api: TestClient, database_url: str, finance: dict[str, str]
):
    lease = _leased(database_url)
    january, february = _run_periodic(database_url, date(2024, 2, 29))  # rent billed in advance, two periods
    body = {"on": "2024-02-10", "fee": "50.00", "reason": "site closed"}
    ended = api.post(f"/assets/leases/{lease.id}/terminate", json=body, headers=finance)
    assert ended.status_code == 200, ended.text

    assert _charges(api, lease.id, finance) == [
        ("rent", "2024-01-31", "2024-02-29", "300.00", january),  # issued: stays as billed, credited below
        ("termination_fee", "2024-02-10", "2024-02-11", "50.00", None),
        ("rent", "2024-02-29", "2024-03-31", "300.00", february),
    ]  # the April rent, not invoiced yet, is gone
    [january_note] = _credit_notes_of(api, january, finance)
    rent_line = api.get(f"/invoices/{january}", headers=finance).json()["lines"][0]
    assert [(x["credits_line_id"], x["quantity"], x["amount"], x["tax_amount"]) for x in january_note["lines"]] == [
        (rent_line["id"], "-0.655", "-196.55", "-39.31")  # 19 of the 29 days Jan 31 to Feb 29: Feb 10 on
    ]
    assert "ended on 2024-02-10" in january_note["reason"] and january_note["issued_by"].startswith("user:")
    [february_note] = _credit_notes_of(api, february, finance)
    assert (february_note["total"], february_note["lines"][0]["quantity"]) == ("-360.00", "-1.000")
    after = {i: api.get(f"/invoices/{i}", headers=finance).json() for i in (january, february)}
    assert (after[january]["balance"], after[january]["credited"]) == ("124.14", "235.86")  # 103.45 + 20.69 tax
    assert (after[february]["balance"], after[february]["shown_status"]) == ("0.00", "credited")

    [fee_invoice] = _run_periodic(database_url, date(2024, 4, 30))  # the fee only: no rent after Feb 10
    assert api.get(f"/invoices/{fee_invoice}", headers=finance).json()["subtotal"] == "50.00"


def test_buying_out_cuts_the_unbilled_period_and_credits_only_what_is_left(
    api: TestClient, database_url: str, finance: dict[str, str]
):
    lease = _leased(database_url)
    [january] = _run_periodic(database_url, date(2024, 1, 31))
    with psycopg.connect(database_url) as conn:  # a goodwill credit of 250.00 on the January rent, by hand
        line_id = conn.execute("SELECT id FROM billing.invoice_lines WHERE invoice_id = %s", (january,)).fetchone()
        assert line_id is not None
        wanted = CreditNoteCreate(
            reason="goodwill", lines=[CreditNoteLineIn(line_id=line_id[0], quantity=Decimal("0.9"))]
        )
        credit_notes.create_credit_note(conn, invoice_id=january, credit_in=wanted, actor="user:1")

    bought = api.post(f"/assets/leases/{lease.id}/buy-out", json={"on": "2024-01-31"}, headers=finance)
    assert bought.status_code == 200, bought.text
    notes = _credit_notes_of(api, january, finance)
    assert [(x["reason"][:8], x["subtotal"]) for x in notes] == [("goodwill", "-270.00"), ("lease L-", "-30.00")]
    assert api.get(f"/invoices/{january}", headers=finance).json()["balance"] == "0.00"

    cut = _leased(database_url)
    bought = api.post(f"/assets/leases/{cut.id}/buy-out", json={"on": "2024-02-10"}, headers=finance)
    assert bought.status_code == 200
    assert _charges(api, cut.id, finance) == [
        ("rent", "2024-01-31", "2024-02-10", "103.45", None),  # 300.00 less the 196.55 of Feb 10 to Feb 29
        ("buyout", "2024-02-10", "2024-02-11", "1000.00", None),
    ]
    invoiced = _run_periodic(database_url, date(2024, 4, 30))
    totals = [api.get(f"/invoices/{i}", headers=finance).json()["subtotal"] for i in invoiced]
    assert totals == ["103.45", "1000.00"]


def test_rent_marked_with_an_unissued_invoice_refuses_the_early_end(
    api: TestClient, database_url: str, finance: dict[str, str]
):
    lease = _leased(database_url)
    draft = scalar(
        database_url,
        "INSERT INTO billing.invoices (series, account_id, currency) VALUES ('LSE', %s, 'USD') RETURNING id",
        (lease.account_id,),
    )
    march = scalar(
        database_url,
        "SELECT id FROM assets.lease_periods WHERE lease_id = %s AND period_start = '2024-03-31'",
        (lease.id,),
    )
    with psycopg.connect(database_url) as conn:
        lease_service.mark_period_invoiced(conn, period_id=march, invoice_id=draft)
    refused = api.post(f"/assets/leases/{lease.id}/terminate", json={"on": "2024-02-10"}, headers=finance)
    assert refused.status_code == 409 and "not an issued invoice" in refused.json()["error"]["message"]
    assert api.get(f"/assets/leases/{lease.id}", headers=finance).json()["status"] == "active"
    assert len(_charges(api, lease.id, finance)) == 3  # rolled back: nothing dropped or cut


def test_a_periodic_run_during_an_early_end_waits_and_bills_the_shortened_schedule(database_url: str):
    lease = _leased(database_url)
    ending = psycopg.connect(database_url)
    lease_service.terminate(ending, lease_id=lease.id, on=date(2024, 2, 10), fee=None, reason="", actor="user:1")
    outcome: list[list[int]] = []
    run = threading.Thread(target=lambda: outcome.append(_run_periodic(database_url, date(2024, 2, 29))))
    run.start()
    run.join(timeout=1)
    assert run.is_alive()  # it read the old schedule and waits for the lease
    ending.commit()
    ending.close()
    run.join(timeout=10)
    [invoice_id] = outcome[0]
    assert scalar(database_url, "SELECT subtotal FROM billing.invoices WHERE id = %s", (invoice_id,)) == Decimal(
        "103.45"
    )
    assert scalar(database_url, "SELECT count(*) FROM billing.invoices WHERE kind = 'credit_note'") == 0


def test_the_migration_links_lines_invoiced_before_it_to_their_lease_charges(database_url: str):
    lease = _leased(database_url, deposit="500")
    [january, february] = _run_periodic(database_url, date(2024, 2, 29))
    links = "SELECT id, lease_period_id FROM billing.invoice_lines WHERE invoice_id = ANY(%s) ORDER BY id"
    with psycopg.connect(database_url) as conn:
        linked = conn.execute(links, ([january, february],)).fetchall()
        assert len(linked) == 3 and all(period for _, period in linked)  # deposit and rent, then rent
        conn.execute("ALTER TABLE billing.invoice_lines DISABLE TRIGGER invoice_lines_immutable")
        conn.execute("UPDATE billing.invoice_lines SET lease_period_id = NULL")
        conn.execute("ALTER TABLE billing.invoice_lines ENABLE TRIGGER invoice_lines_immutable")
        migration = Path(migrate.__file__).parent / "migrations" / "0125_invoice_lines_lease_charge.sql"
        backfill = migration.read_text().split(BACKFILL_MARKER, 1)[1].split("\n", 1)[1]
        conn.execute(backfill.encode())
        assert conn.execute(links, ([january, february],)).fetchall() == linked
    ended = lease_service.terminate
    with psycopg.connect(database_url) as conn:
        ended(conn, lease_id=lease.id, on=date(2024, 2, 29), fee=None, reason="", actor="user:1")
    assert scalar(database_url, "SELECT total FROM billing.invoices WHERE credits_invoice_id = %s", (february,)) == (
        Decimal("-360.00")
    )
