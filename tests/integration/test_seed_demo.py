"""`seed demo` into a real database: the company through the domain services, once, and the reports show it."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from service_core.auth.domain import Role
from service_core.exceptions import Conflict
from service_core.seed.demo import LOGINS_FILE, ensure_demo_company
from service_core.seed.model import Sizes
from service_core.seed.plan import plan_company
from service_core.seed.service import SeedReport, seed_database
from tests.support.api import api_client, headers_for

pytestmark = pytest.mark.integration

SIZES = Sizes(accounts=6, assets=25, technicians=5, history_days=40, work_orders=70)
SEED = 1


def last_wednesday_morning() -> datetime:
    """A fixed weekday and hour before today, so that the seeded plan has work in progress and planned work."""
    today = datetime.now(UTC).date()
    back = (today.weekday() - 2) % 7 or 7
    return datetime.combine(today - timedelta(days=back), time(10), UTC)


@pytest.fixture(scope="module")
def now() -> datetime:
    return last_wednesday_morning()


@pytest.fixture
def seeded(database_url: str, now: datetime) -> SeedReport:
    return seed_database(database_url, seed=SEED, sizes=SIZES, now=now)


def _rows(url: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()


def _one(url: str, query: str) -> object:
    return _rows(url, query)[0][0]


def test_the_company_has_the_planned_sizes(database_url: str, seeded: SeedReport, now: datetime) -> None:
    plan = plan_company(seed=SEED, sizes=SIZES, now=now)
    assert seeded.counts["accounts"] == 6
    assert seeded.counts["technicians"] == 5
    assert _one(database_url, "SELECT count(*) FROM assets.assets WHERE level = 'asset'") == 25
    assert seeded.counts["assets"] == len(plan.assets)
    assert seeded.counts["leases"] == len(plan.leases) > 0
    assert _one(database_url, "SELECT count(*) FROM assets.assets WHERE ownership = 'leased'") == len(plan.leases)
    assert _one(database_url, "SELECT count(*) FROM assets.lease_periods") > len(plan.leases)
    assert seeded.counts["agreements"] == len(plan.agreements)
    assert _one(database_url, "SELECT count(*) FROM agreements.fee_periods") > 0
    assert _one(database_url, "SELECT count(*) FROM agreements.pm_plans") > 0
    assert _one(database_url, "SELECT count(*) FROM policy.sla_targets WHERE agreement_id IS NULL") == 4
    follow_ups = _one(database_url, "SELECT count(*) FROM work.work_orders WHERE source = 'follow_up'")
    assert follow_ups == sum(1 for w in plan.work_orders if w.fate == "partial") > 0
    assert seeded.counts["work orders"] >= 70 + follow_ups


def test_logins_are_printed_once_with_generated_passwords(database_url: str, seeded: SeedReport) -> None:
    roles = sorted(login.role for login in seeded.logins)
    assert roles == ["dispatcher", "finance"] + ["technician"] * 5
    assert len({login.password for login in seeded.logins}) == len(seeded.logins)
    linked = _one(
        database_url,
        "SELECT count(*) FROM resources.resources r JOIN auth.users u ON u.id = r.user_id WHERE u.role = 'technician'",
    )
    assert linked == 5
    with api_client(database_url) as api:
        dispatcher = next(login for login in seeded.logins if login.role == "dispatcher")
        answer = api.post("/auth/token", data={"username": dispatcher.email, "password": dispatcher.password})
        assert answer.status_code == 200, answer.text


def test_work_orders_reach_every_status_through_the_lifecycle(database_url: str, seeded: SeedReport) -> None:
    statuses = dict(_rows(database_url, "SELECT status, count(*) FROM work.work_orders GROUP BY status"))
    assert set(statuses) == {"unscheduled", "scheduled", "in_progress", "completed", "posted", "canceled"}
    responded_before_completion = _one(
        database_url,
        "SELECT bool_and(responded_at <= completed_at AND completed_at < now() - interval '1 day') "
        "FROM work.work_orders WHERE status IN ('completed', 'posted')",
    )
    assert responded_before_completion is True
    assert _one(database_url, "SELECT count(*) FROM work.time_entries") > 0
    assert _one(database_url, "SELECT count(*) FROM work.tasks WHERE result = 'pass'") > 0
    assert _one(database_url, "SELECT count(*) FROM work.bookings WHERE status = 'in_progress'") > 0


def test_posted_work_is_invoiced_and_customers_paid_some(database_url: str, seeded: SeedReport, now: datetime) -> None:
    not_invoiced = _one(
        database_url,
        """
        SELECT count(*) FROM work.work_orders wo
        WHERE wo.status = 'posted'
          AND EXISTS (SELECT 1 FROM work.lines l WHERE l.work_order_id = wo.id AND l.line_status = 'used'
                      AND l.quantity_to_bill > 0)
          AND NOT EXISTS (SELECT 1 FROM billing.invoices i WHERE i.work_order_id = wo.id AND i.kind = 'invoice')
        """,
    )
    assert not_invoiced == 0
    states = dict(
        _rows(
            database_url,
            """
            SELECT CASE WHEN b.balance = 0 AND b.paid > 0 THEN 'paid'
                        WHEN b.paid > 0 THEN 'partially_paid'
                        WHEN i.due_date < current_date AND b.balance > 0 THEN 'overdue'
                        ELSE 'other' END, count(*)
            FROM billing.invoices i JOIN billing.invoice_balances b ON b.invoice_id = i.id
            WHERE i.status = 'issued' AND i.kind = 'invoice' GROUP BY 1
            """,
        )
    )
    assert states.get("paid", 0) > 0 and states.get("partially_paid", 0) > 0 and states.get("overdue", 0) > 0
    kinds = _one(
        database_url, "SELECT count(DISTINCT (lease_id IS NOT NULL, agreement_id IS NOT NULL)) FROM billing.invoices"
    )
    assert kinds == 3  # work, lease and agreement invoices
    assert _one(database_url, "SELECT count(*) FROM billing.invoices WHERE status = 'draft'") > 0
    # payments are applied when they came in, in the seeded past, so aging and DSO as of past dates see them paid
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            """
            SELECT count(*) FILTER (WHERE a.allocated_at > %s),
                   count(*) FILTER (WHERE (a.allocated_at AT TIME ZONE 'UTC')::date
                                          NOT BETWEEN p.received_on - 1 AND p.received_on + 1),
                   count(DISTINCT (a.allocated_at AT TIME ZONE 'UTC')::date)
            FROM billing.allocations a JOIN billing.payments p ON p.id = a.payment_id
            """,
            (now,),
        ).fetchone()
    assert row is not None and row[0] == 0 and row[1] == 0 and row[2] > 5


def test_a_second_run_is_refused_and_changes_nothing(database_url: str, seeded: SeedReport, now: datetime) -> None:
    with pytest.raises(Conflict, match="already has a company"):
        seed_database(database_url, seed=SEED + 1, sizes=SIZES, now=now)
    assert _one(database_url, "SELECT count(*) FROM crm.accounts") == 6
    from service_core.cli import app

    result = CliRunner().invoke(app, ["seed", "demo", "--accounts", "5"], env={"ASSETPULSE_DATABASE_URL": database_url})
    assert isinstance(result.exception, Conflict)
    assert _one(database_url, "SELECT count(*) FROM crm.accounts") == 6


def test_the_reports_have_figures_for_the_company(database_url: str, seeded: SeedReport) -> None:
    with api_client(database_url) as api:
        headers = headers_for(database_url, Role.ADMIN)
        service = api.get("/analytics/service", headers=headers)
        aging = api.get("/receivables/aging", headers=headers)
        backlog = api.get("/analytics/backlog", headers=headers)
    assert service.status_code == 200, service.text
    figures = service.json()["groups"][0]
    assert figures["work_orders_completed"] > 0 and figures["mttr_hours"] > 0
    assert figures["sla_measured"] > 0 and figures["first_time_fix_rate"] is not None
    assert aging.status_code == 200, aging.text
    totals = aging.json()["totals"]
    assert float(totals["open_total"]) > 0
    assert float(totals["days_1_30"]) + float(totals["days_31_60"]) > 0
    assert backlog.status_code == 200


def test_the_demo_seeds_once_keeps_the_logins_and_links_its_devices(database_url: str, tmp_path: Path) -> None:
    first = ensure_demo_company(database_url, tmp_path, devices=6, sizes=SIZES)
    assert len(first) == 7 and first[0].startswith("dispatcher")
    assert (tmp_path / LOGINS_FILE).stat().st_mode & 0o777 == 0o600
    again = ensure_demo_company(database_url, tmp_path, devices=6, sizes=SIZES)
    assert again == first
    assert _one(database_url, "SELECT count(*) FROM crm.accounts") == 6
    links = _rows(
        database_url,
        "SELECT d.device_key, d.device_type, t.code FROM fleet.devices d JOIN assets.assets a ON a.id = d.asset_id "
        "JOIN assets.asset_types t ON t.id = a.asset_type_id WHERE d.tenant = 'demo'",
    )
    assert len(links) == 6
    assert all(device_type == code and f"-{code}-" in key for key, device_type, code in links)
