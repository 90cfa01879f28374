"""The periodic jobs against a real PostgreSQL: they do their work once, and two runners do not collide."""

from __future__ import annotations

from datetime import UTC, date, datetime

import psycopg
import pytest

from service_core.jobs.registry import JOBS, LOCK_NAMESPACE, run_all
from tests.factories import rows
from tests.finance_factories import insert_account, insert_lease_charges, issued_invoice

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)


def test_jobs_invoice_due_lease_charges_once_and_dun_overdue_invoices(database_url: str):
    with psycopg.connect(database_url) as conn:
        account = insert_account(conn, tax_rate="0.0000")
        insert_lease_charges(conn, account_id=account, charges=[("rent", date(2026, 6, 1), date(2026, 6, 1), "100.00")])
        issued_invoice(conn, account_id=account, amount="500.00", issue_date=date(2026, 3, 1))  # due 2026-03-31

    first = {r.name: r for r in run_all(database_url, now=NOW)}
    assert {r.status for r in first.values()} == {"done"}
    assert "lease_invoice_ids=1" in first["periodic-invoices"].detail
    assert "notices=1" in first["dunning"].detail
    lease_invoices = rows(database_url, "SELECT series, total FROM billing.invoices WHERE lease_id IS NOT NULL")
    assert [(s, str(t)) for s, t in lease_invoices] == [("LSE", "100.00")]
    # 76 days overdue on 2026-06-15: the highest level reached (60 days) is sent, once
    assert rows(database_url, "SELECT level FROM billing.dunning_notices") == [(3,)]

    second = {r.name: r for r in run_all(database_url, now=NOW)}
    assert "lease_invoice_ids=0" in second["periodic-invoices"].detail
    assert "notices=0" in second["dunning"].detail
    assert rows(database_url, "SELECT count(*) FROM billing.invoices WHERE lease_id IS NOT NULL") == [(1,)]


def test_a_job_another_runner_holds_is_skipped_not_waited_for(database_url: str):
    index = next(i for i, j in enumerate(JOBS) if j.name == "dunning")
    with psycopg.connect(database_url) as holder:
        holder.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_NAMESPACE, index))
        runs = {r.name: r for r in run_all(database_url, now=NOW, only={"dunning", "credit-check"})}
    assert runs["dunning"].status == "skipped"
    assert runs["credit-check"].status == "done"
    assert set(runs) == {"dunning", "credit-check"}
