"""Time the dashboard's pages in headless Chromium (Playwright), from the click that navigates to fully rendered.

"Fully rendered" is one predicate, polled on every animation frame: the app's script has finished
(`stApp[data-test-script-state=notRunning]`), no running indicator (`stStatusWidgetRunningIcon`), no stale
element left from the previous page and no skeleton placeholder; the page's own title is the h1; the main area
shows the text that only the finished page shows; and the page's drawn parts exist (the table's canvas, the map,
the chart's canvas or svg).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service_core.exceptions import ServiceUnavailable

RENDERED_JS = """
([title, text, required]) => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.dataset.testScriptState !== 'notRunning') return false;
    if (document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')) return false;
    if (document.querySelector('[data-testid="stElementContainer"][data-stale="true"]')) return false;
    if (document.querySelector('[data-testid="stMain"] [data-testid="stSkeleton"]')) return false;
    if (![...document.querySelectorAll('h1')].some((h) => h.textContent.trim().startsWith(title))) return false;
    const main = document.querySelector('[data-testid="stMain"]');
    if (!main || !main.innerText.includes(text)) return false;
    return required.every((selector) => document.querySelector(selector) !== null);
}
"""
RENDERED_DEFINITION = (
    "stApp data-test-script-state=notRunning, no stStatusWidgetRunningIcon, no stale element, no skeleton, the "
    "page's h1, the page's finished text in stMain, and its drawn parts (fleet: stDataFrame canvas + "
    "stDeckGlJsonChart; asset: stVegaLiteChart canvas or svg)"
)


@dataclass(frozen=True, slots=True)
class Check:
    """What the page shows once it is rendered."""

    title: str
    text: str
    required: tuple[str, ...] = ()


@dataclass(slots=True)
class Timings:
    login_page: list[float] = field(default_factory=list)
    light_page: list[float] = field(default_factory=list)
    fleet_page: list[float] = field(default_factory=list)
    asset_page: list[float] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BrowserPlan:
    dashboard_url: str
    email: str
    password: str
    fleet: Check
    asset: Check
    asset_link: str  # path and query of the asset page with the range to time, e.g. /asset?asset_id=1&range=1y
    runs: int = 5
    timeout_s: float = 120.0
    screenshots: Path | None = None


def chromium_path(explicit: str | None = None) -> str:
    """The Chromium the system has (Playwright's own download is never used)."""
    for candidate in (explicit, "/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    raise ServiceUnavailable("no Chromium found: install it (apt-get install chromium) or pass --chromium")


def _wait_rendered(page: Any, check: Check, timeout_s: float) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            RENDERED_JS, arg=[check.title, check.text, list(check.required)], polling="raf", timeout=timeout_s * 1000
        )
    except PlaywrightTimeout as exc:
        shown = page.evaluate("() => document.querySelector('[data-testid=\"stApp\"]')?.innerText ?? ''")
        raise ServiceUnavailable(
            f"{check.title!r} did not render ({check.text!r}, {check.required}) within {timeout_s:.0f} s at "
            f"{page.url}; the page shows: {str(shown)[:1500]!r}"
        ) from exc


def _timed(page: Any, action: Any, check: Check, timeout_s: float) -> float:
    started = time.perf_counter()
    action()
    _wait_rendered(page, check, timeout_s)
    return time.perf_counter() - started


def _log_in(page: Any, plan: BrowserPlan) -> None:
    page.get_by_label("Email").fill(plan.email)
    page.get_by_label("Password", exact=True).fill(plan.password)
    page.get_by_role("button", name="Log in").click()


def _one_run(browser: Any, plan: BrowserPlan, timings: Timings, run: int) -> None:
    """A fresh browser context: the login page (baseline), the asset link logged in (warm-up, which also makes
    the session remember asset and range), a light page (baseline), then log out and in again (a new login:
    nothing cached for it) and time the fleet page, then the asset page."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    login = Check("AssetPulse", "Log in")
    light = Check("Schedule", "Bookings")
    timings.login_page.append(
        _timed(page, lambda: page.goto(plan.dashboard_url + plan.asset_link), login, plan.timeout_s)
    )
    _timed(page, lambda: _log_in(page, plan), plan.asset, plan.timeout_s)
    sidebar = page.get_by_test_id("stSidebar")
    timings.light_page.append(
        _timed(page, lambda: sidebar.get_by_role("link", name="Schedule").click(), light, plan.timeout_s)
    )
    _timed(page, lambda: sidebar.get_by_role("button", name="Log out").click(), login, plan.timeout_s)
    _timed(page, lambda: _log_in(page, plan), light, plan.timeout_s)
    timings.fleet_page.append(
        _timed(page, lambda: sidebar.get_by_role("link", name="Fleet health").click(), plan.fleet, plan.timeout_s)
    )
    _screenshot(page, plan, f"fleet-{run}")
    timings.asset_page.append(
        _timed(page, lambda: sidebar.get_by_role("link", name="Asset").click(), plan.asset, plan.timeout_s)
    )
    _screenshot(page, plan, f"asset-{run}")
    context.close()


def _screenshot(page: Any, plan: BrowserPlan, name: str) -> None:
    if plan.screenshots is not None:
        page.screenshot(path=str(plan.screenshots / f"{name}.png"), full_page=True)


def time_pages(plan: BrowserPlan, *, chromium: str) -> Timings:
    """Every run's seconds per page (the first run included: each run logs in afresh)."""
    from playwright.sync_api import sync_playwright

    timings = Timings()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        try:
            for run in range(plan.runs):
                _one_run(browser, plan, timings, run)
        finally:
            browser.close()
    return timings
