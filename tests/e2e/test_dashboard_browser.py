"""The dashboard as a user meets it: the API and `assetpulse dashboard` started as processes, each page opened in
headless Chromium after logging in through the form; a screenshot per page, what each page shows compared with
the API's answer, and no Streamlit error on any.  Then live refresh: with a short refresh period, data changed
through the API appears on the open page without it being reloaded or navigated."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from service_core.api.serve import server_process
from service_core.auth.domain import Role
from tests.support.dashboard import ApiEnv, Seed, api_process, headers_of, report_conditions, seed_fleet, user

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHROMIUM = os.environ.get("ASSETPULSE_CHROMIUM", "/usr/bin/chromium")
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
LIVE_REFRESH_SECONDS = 5  # the shortest the dashboard's settings allow
LIVE_WAIT_MS = 8 * LIVE_REFRESH_SECONDS * 1000  # a few refresh periods, with room for a loaded machine
NO_RELOAD = "window.__assetpulseNoReload"  # set in the open page: a reload or a new page would drop it


@dataclass(frozen=True)
class Running:
    """The dashboard's URL, and the API under it with an admin's header to ask what a page should show."""

    url: str
    api: ApiEnv
    seed: Seed


@contextlib.contextmanager
def running(database_url: str, tmp_path: Path, refresh_seconds: int) -> Iterator[Running]:
    if not Path(CHROMIUM).is_file() and shutil.which("chromium") is None:
        pytest.skip(f"needs Chromium at {CHROMIUM} (apt-get install chromium) or ASSETPULSE_CHROMIUM")
    seed = seed_fleet(database_url)
    with api_process(database_url, tmp_path / "api.log") as api_url:
        api = ApiEnv(api_url, database_url, headers_of(api_url, *user(database_url, Role.ADMIN)))
        report_conditions(api_url, api.headers, seed.asset_ids[1])
        env = {**os.environ, "ASSETPULSE_REFRESH_SECONDS": str(refresh_seconds)}
        command = [sys.executable, "-c", "from service_core.cli import main; main()",
                   "dashboard", "--port", "{port}", "--api-url", api_url]  # fmt: skip
        with server_process(
            command, env=env, health_path="/_stcore/health", log_path=tmp_path / "dashboard.log"
        ) as url:
            yield Running(url, api, seed)


@pytest.fixture
def dashboard(database_url: str, tmp_path: Path) -> Iterator[Running]:
    with running(database_url, tmp_path, refresh_seconds=600) as found:  # no refresh while the pages are checked
        yield found


@pytest.fixture
def live_dashboard(database_url: str, tmp_path: Path) -> Iterator[Running]:
    with running(database_url, tmp_path, refresh_seconds=LIVE_REFRESH_SECONDS) as found:
        yield found


@contextlib.contextmanager
def browser_page(dashboard: Running, email: str, password: str) -> Iterator[Page]:
    """Chromium logged in through the form, on the first page."""
    from playwright.sync_api import expect, sync_playwright

    executable = CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.set_default_timeout(60_000)
        expect.set_options(timeout=60_000)  # a loaded machine logs in and draws pages slower than the 5 s default
        page.goto(dashboard.url)
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_test_id("stSidebarNav")).to_be_visible()
        yield page
        browser.close()


def open_page(page: Page, title: str) -> None:
    from playwright.sync_api import expect

    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    page.wait_for_selector(IDLE)


def metric_value(page: Page, label: str) -> Locator:
    """The value element of the metric with this label (exactly one on the page)."""
    metric = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return metric.get_by_test_id("stMetricValue")


# -- what each page shows, from the API --------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """What a page shows: metric label -> value, texts anywhere on it, the value of a choice box by its label."""

    metrics: dict[str, str]
    texts: list[str]
    choices: dict[str, str] | None = None


def money(value: object) -> Decimal:
    return Decimal(str(value))


def fleet_shown(api: ApiEnv) -> Shown:
    total = api.get("/assets", limit=500)["total"]
    return Shown({"Assets shown": f"{total} of {total}"}, [])


def asset_shown(api: ApiEnv) -> Shown:
    first = min(api.get("/assets", limit=500)["items"], key=lambda a: a["id"])  # the page opens on the first id
    opened = api.get("/conditions", asset_id=first["id"], open=True)["total"]
    return Shown({"Criticality": first["criticality"]}, [first["name"], f"Open conditions ({opened})"])


def work_orders_shown(api: ApiEnv) -> Shown:
    totals = {s: api.get("/work-orders", status=s)["total"] for s in ("unscheduled", "scheduled")}
    newest = api.get("/work-orders", status="unscheduled")["items"][0]
    return Shown({}, [newest["number"], *(f"{status} ({total})" for status, total in totals.items())])


def finance_shown(api: ApiEnv) -> Shown:
    invoices = api.get("/invoices", limit=500)
    billed = sum((money(i["total"]) for i in invoices["items"]), Decimal(0))
    payments = api.get("/payments", limit=500)["total"]
    return Shown({"Invoices": str(invoices["total"]), "Billed": f"{billed:,.2f}", "Payments": str(payments)}, [])


def analytics_shown(api: ApiEnv) -> Shown:
    backlog = api.get("/analytics/backlog")
    return Shown({"Open work orders": str(backlog["total_open"])}, [])


def schedule_shown(api: ApiEnv) -> Shown:
    bookings = api.get("/bookings", day=str(datetime.now(UTC).date()))["items"]
    unscheduled = api.get("/work-orders", status="unscheduled")["total"]
    active = sum(b["status"] != "canceled" for b in bookings)
    return Shown({"Bookings": str(active), "Unscheduled work orders": str(unscheduled)}, [])


def conditions_shown(api: ApiEnv) -> Shown:
    inbox = api.get("/conditions", open=True)
    first = inbox["items"][0]  # the action's choice opens on the inbox's first, named by its asset
    asset = api.get(f"/assets/{first['asset_id']}")["name"]
    label = f"#{first['id']} {asset} - {first['failure_mode']} ({first['severity']}, {first['status']})"
    return Shown({"Open conditions": str(inbox["total"])}, [asset, first["failure_mode"]], {"Condition": label})


PAGES: dict[str, Callable[[ApiEnv], Shown]] = {
    "Fleet health": fleet_shown,
    "Asset": asset_shown,
    "Work orders": work_orders_shown,
    "Finance": finance_shown,
    "Analytics": analytics_shown,
    "Schedule": schedule_shown,
    "Conditions": conditions_shown,
}


def test_every_page_shows_the_apis_data_without_an_error_after_login(dashboard: Running, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    with browser_page(dashboard, *user(dashboard.api.db_url, Role.ADMIN)) as page:
        for title, shown in PAGES.items():
            open_page(page, title)
            expected = shown(dashboard.api)
            assert expected.metrics or expected.texts, title
            for label, value in expected.metrics.items():
                expect(metric_value(page, label)).to_have_text(value)
            for text in expected.texts:
                expect(page.get_by_test_id("stMain")).to_contain_text(text)
            for label, value in (expected.choices or {}).items():
                expect(page.get_by_role("combobox", name=label)).to_have_value(value)
            page.screenshot(path=str(tmp_path / f"{title.lower().replace(' ', '_')}.png"), full_page=True)
            assert page.get_by_test_id("stException").count() == 0, f"{title}: a stack trace is shown"
            errors = page.get_by_test_id("stAlertContentError")
            assert errors.count() == 0, f"{title}: {errors.all_inner_texts()}"
        # an action in the inbox (the Conditions page is open): acknowledge the first condition
        page.get_by_role("button", name="Acknowledge").click()
        expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text("acknowledged by")
        page.wait_for_selector(IDLE)
        page.screenshot(path=str(tmp_path / "conditions_acknowledged.png"), full_page=True)
        assert page.get_by_test_id("stAlertContentError").count() == 0
    shots = [f"{t.lower().replace(' ', '_')}.png" for t in PAGES] + ["conditions_acknowledged.png"]
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted(shots)


# -- live refresh ------------------------------------------------------------------------------------------------


def mark_open_page(page: Page) -> str:
    """Mark the open page (a reload would drop the mark) and note its URL."""
    page.evaluate(f"{NO_RELOAD} = true")
    return page.url


def assert_not_reloaded(page: Page, url: str) -> None:
    assert page.evaluate(f"{NO_RELOAD} === true"), "the page was reloaded"
    assert page.url == url
    assert page.get_by_test_id("stException").count() == 0
    errors = page.get_by_test_id("stAlertContentError")
    assert errors.count() == 0, errors.all_inner_texts()


def report(api: ApiEnv, asset_id: int, mode: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    body = {"asset_id": asset_id, "failure_mode": mode, "category": "equipment", "severity": "critical",
            "onset_at": (now - timedelta(minutes=10)).isoformat(), "at": now.isoformat(), "score": 4.0}  # fmt: skip
    outcome: dict[str, Any] = api.post("/conditions", body)
    return dict(outcome["condition"])


def test_open_pages_show_changes_made_through_the_api_without_a_reload(live_dashboard: Running) -> None:
    """Each change is made while its page is open; the page shows it within a few refresh periods, drawn by the
    live part's timer alone (no click, no navigation, no reload)."""
    from playwright.sync_api import expect

    api, seed = live_dashboard.api, live_dashboard.seed
    with browser_page(live_dashboard, *user(api.db_url, Role.DISPATCHER)) as page:
        # the inbox: a new condition is counted and announced
        open_page(page, "Conditions")
        before = api.get("/conditions", open=True)["total"]
        expect(metric_value(page, "Open conditions")).to_have_text(str(before))
        url = mark_open_page(page)
        raised = report(api, seed.asset_ids[2], "live_refresh_inbox")
        expect(page.get_by_text(f"1 new condition(s): #{raised['id']}")).to_be_visible(timeout=LIVE_WAIT_MS)
        expect(metric_value(page, "Open conditions")).to_have_text(str(before + 1))  # drawn with the toast
        assert_not_reloaded(page, url)

        # the asset page (the intake pump, its first asset): its new open condition and the work it opened
        open_page(page, "Asset")
        asset_id = seed.asset_ids[0]
        expect(page.get_by_role("heading", name="Open conditions (0)")).to_be_visible()
        url = mark_open_page(page)
        raised = report(api, asset_id, "live_refresh_asset")
        assert raised["work_order_id"] is not None  # the default rules open work for a critical condition
        orders = api.get("/work-orders", asset_id=asset_id)["total"]
        expect(page.get_by_role("heading", name="Open conditions (1)")).to_be_visible(timeout=LIVE_WAIT_MS)
        expect(page.get_by_role("heading", name=f"Work orders ({orders})")).to_be_visible(timeout=LIVE_WAIT_MS)
        assert_not_reloaded(page, url)

        # the schedule: an unscheduled order booked today leaves the backlog for the day's bookings
        open_page(page, "Schedule")
        bookings = sum(
            b["status"] != "canceled" for b in api.get("/bookings", day=str(datetime.now(UTC).date()))["items"]
        )
        unscheduled = api.get("/work-orders", status="unscheduled")["total"]
        expect(metric_value(page, "Bookings")).to_have_text(str(bookings))
        expect(metric_value(page, "Unscheduled work orders")).to_have_text(str(unscheduled))
        url = mark_open_page(page)
        start = datetime.now(UTC).replace(hour=13, minute=0, second=0, microsecond=0)
        api.post(f"/work-orders/{seed.work_order_ids[0]}/bookings", {"resource_id": seed.resource_id,
                 "start_at": start.isoformat(), "end_at": (start + timedelta(hours=1)).isoformat()})  # fmt: skip
        expect(metric_value(page, "Bookings")).to_have_text(str(bookings + 1), timeout=LIVE_WAIT_MS)
        expect(metric_value(page, "Unscheduled work orders")).to_have_text(str(unscheduled - 1), timeout=LIVE_WAIT_MS)
        assert_not_reloaded(page, url)

    with browser_page(live_dashboard, *user(api.db_url, Role.FINANCE)) as page:
        # finance: a payment recorded and applied shows in the count and lowers the open balance
        open_page(page, "Finance")
        payments = api.get("/payments", limit=500)
        invoices = api.get("/invoices", limit=500)["items"]
        balance = sum((money(i["balance"]) for i in invoices), Decimal(0))
        expect(metric_value(page, "Payments")).to_have_text(str(payments["total"]))
        expect(metric_value(page, "Open balance")).to_have_text(f"{balance:,.2f}")
        url = mark_open_page(page)
        currency = next(i["currency"] for i in invoices if i["account_id"] == seed.account_ids[0])
        api.post("/payments", {"account_id": seed.account_ids[0], "amount": "200.00", "currency": currency,
                               "received_on": str(datetime.now(UTC).date()), "reference": "LIVE-1",
                               "auto_allocate": True})  # fmt: skip
        expect(metric_value(page, "Payments")).to_have_text(str(payments["total"] + 1), timeout=LIVE_WAIT_MS)
        expect(metric_value(page, "Open balance")).to_have_text(
            f"{balance - Decimal('200.00'):,.2f}", timeout=LIVE_WAIT_MS
        )
        assert_not_reloaded(page, url)
