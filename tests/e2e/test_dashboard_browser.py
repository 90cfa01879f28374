"""The dashboard as a user meets it: the API and `assetpulse dashboard` started as processes, each page opened in
headless Chromium after logging in through the form; a screenshot per page, and no Streamlit error on any."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service_core.api.serve import server_process
from service_core.auth.domain import Role
from tests.support.dashboard import api_process, report_conditions, seed_fleet, user

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHROMIUM = os.environ.get("ASSETPULSE_CHROMIUM", "/usr/bin/chromium")
# page title -> text the seeded data puts on it (outside the canvas-drawn tables)
PAGES = {
    "Fleet health": "3 of 3",
    "Asset": "Intake pump",
    "Work orders": "WO-0000001",
    "Finance": "1,500.00",
    "Analytics": "Open work orders",
    "Schedule": "Bookings",
    "Conditions": "Open conditions",
}
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


@pytest.fixture
def dashboard_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    if not Path(CHROMIUM).is_file() and shutil.which("chromium") is None:
        pytest.skip(f"needs Chromium at {CHROMIUM} (apt-get install chromium) or ASSETPULSE_CHROMIUM")
    seed = seed_fleet(database_url)
    with api_process(database_url, tmp_path / "api.log") as api_url:
        email, password = user(database_url, Role.DISPATCHER)
        token = httpx.post(f"{api_url}/auth/token", data={"username": email, "password": password}).json()
        report_conditions(api_url, {"Authorization": f"Bearer {token['access_token']}"}, seed.asset_ids[1])
        env = {**os.environ, "ASSETPULSE_REFRESH_SECONDS": "600"}
        command = [sys.executable, "-c", "from service_core.cli import main; main()",
                   "dashboard", "--port", "{port}", "--api-url", api_url]  # fmt: skip
        with server_process(
            command, env=env, health_path="/_stcore/health", log_path=tmp_path / "dashboard.log"
        ) as url:
            yield url


def test_every_page_renders_without_an_error_after_login(dashboard_url: str, database_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    email, password = user(database_url, Role.ADMIN)
    executable = CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.set_default_timeout(60_000)
        expect.set_options(timeout=60_000)  # a loaded machine logs in and draws pages slower than the 5 s default
        page.goto(dashboard_url)
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Log in").click()
        sidebar = page.get_by_test_id("stSidebarNav")
        expect(sidebar).to_be_visible()
        for title, shown in PAGES.items():
            sidebar.get_by_role("link", name=title).click()
            expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
            page.wait_for_selector(IDLE)
            expect(page.get_by_test_id("stMain")).to_contain_text(shown)
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
        browser.close()
    shots = [f"{t.lower().replace(' ', '_')}.png" for t in PAGES] + ["conditions_acknowledged.png"]
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted(shots)
