"""Run the dashboard benchmark: a seeded scratch database, the API and `assetpulse dashboard` as processes, the
pages timed in headless Chromium and the API calls beneath them timed with httpx, all from this process."""

from __future__ import annotations

import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

from dashboard.bench.browser import RENDERED_DEFINITION, BrowserPlan, Check, chromium_path, time_pages
from dashboard.bench.seed import FleetSize, seed_dashboard
from dashboard.ranges import MAX_POINTS, RANGE_KEYS, RANGES, resolution_for
from service_core.api.serve import api_command, api_env, server_process
from service_core.auth import service as auth_service
from service_core.auth.domain import Role
from service_core.auth.schemas import UserCreate
from service_core.db.connection import scratch_database
from service_core.db.embedded import admin_server
from service_core.db.migrate import migrate

TARGET_S = 2.0
TIMED_RANGE = "1y"
EMAIL = "bench-admin@example.com"


@dataclass(frozen=True, slots=True)
class DashboardBenchConfig:
    size: FleetSize
    runs: int = 5
    api_workers: int = 2
    admin_url: str | None = None  # a server where we may CREATE DATABASE; None: an embedded PostgreSQL
    chromium: str | None = None
    screenshots: Path | None = None


def run_dashboard_bench(config: DashboardBenchConfig) -> dict[str, Any]:
    """Seed, serve, time; the figures of both pages, their baselines and the API calls beneath them."""
    chromium = chromium_path(config.chromium)
    started = time.perf_counter()
    with (
        admin_server(config.admin_url, prefix="assetpulse-bench-dashboard-pg-") as admin_url,
        scratch_database(admin_url, f"ap_bench_dash_{uuid.uuid4().hex[:8]}") as url,
        tempfile.TemporaryDirectory(prefix="assetpulse-bench-dashboard-") as scratch,
    ):
        logs = config.screenshots or Path(scratch)  # the processes' logs stay next to the screenshots
        migrate(url, timescale="off")
        seeded = seed_dashboard(url, config.size)
        password = secrets.token_urlsafe(16)
        secret = secrets.token_urlsafe(48)
        _admin_user(url, password)
        with (
            server_process(
                api_command(workers=config.api_workers),
                env=api_env(url, secret=secret),
                log_path=Path(logs) / "api.log",
            ) as api,
            server_process(
                _dashboard_command(api),
                env=os.environ,
                health_path="/_stcore/health",
                log_path=Path(logs) / "ui.log",
            ) as ui,
        ):
            api_figures = _api_figures(api, password, seeded)
            plan = _plan(ui, password, seeded, config)
            load_before = os.getloadavg()
            timings = time_pages(plan, chromium=chromium)
            load = {"cpus": os.cpu_count(), "load_average_1m_before": round(load_before[0], 2),
                    "load_average_1m_after": round(os.getloadavg()[0], 2)}  # fmt: skip
    return {**_report(timings, api_figures, seeded, config, time.perf_counter() - started), "machine": load}


def _plan(ui: str, password: str, seeded: dict[str, Any], config: DashboardBenchConfig) -> BrowserPlan:
    assets = int(seeded["assets"])
    label = RANGE_KEYS[TIMED_RANGE]
    fleet = Check("Fleet health", f"{assets} of {assets}", ('[data-testid="stDataFrame"] canvas',
                                                              '[data-testid="stDeckGlJsonChart"]'))  # fmt: skip
    asset = Check(
        "Asset",
        f"at resolution {resolution_for(RANGES[label])} over the last {label}",
        ('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg',),
    )
    link = f"/asset?asset_id={seeded['telemetry_asset_id']}&range={TIMED_RANGE}"
    return BrowserPlan(ui, EMAIL, password, fleet, asset, link, runs=config.runs, screenshots=config.screenshots)


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def _report(
    timings: Any, api: dict[str, Any], seeded: dict[str, Any], config: DashboardBenchConfig, seconds: float
) -> dict[str, Any]:
    fleet, asset = _median(timings.fleet_page), _median(timings.asset_page)
    return {
        "fleet_page_s": fleet,
        "asset_page_s": asset,
        "target_s": TARGET_S,
        "targets_met": fleet <= TARGET_S and asset <= TARGET_S,
        "fleet_page_runs_s": [round(t, 3) for t in timings.fleet_page],
        "asset_page_runs_s": [round(t, 3) for t in timings.asset_page],
        "baseline_login_page_s": _median(timings.login_page),
        "baseline_login_page_runs_s": [round(t, 3) for t in timings.login_page],
        "baseline_light_page_s": _median(timings.light_page),
        "baseline_light_page_runs_s": [round(t, 3) for t in timings.light_page],
        "api": api,
        "assets": int(seeded["assets"]),
        "asset_page": {
            "asset_id": seeded["telemetry_asset_id"],
            "range": TIMED_RANGE,
            "resolution": resolution_for(RANGES[RANGE_KEYS[TIMED_RANGE]]),
        },
        "raw_days_stored": config.size.raw_days,
        "telemetry_days": config.size.telemetry_days,
        "telemetry_stored": seeded["telemetry"],
        "database": {k: v for k, v in seeded.items() if k != "telemetry"},
        "runs": config.runs,
        "rendered_when": RENDERED_DEFINITION,
        "timed_from": "the click on the page's sidebar link (after a fresh login, so no cached read of that login)",
        "api_workers": config.api_workers,
        "seconds": round(seconds, 1),
    }


def _api_figures(api: str, password: str, seeded: dict[str, Any]) -> dict[str, Any]:
    """The calls beneath the two pages, timed from this process (median of 5; the first call is a warm-up)."""
    with httpx.Client(base_url=api, timeout=120) as client:
        token = client.post("/auth/token", data={"username": EMAIL, "password": password}).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        fleet_s, fleet = _timed_get(client, "/assets/fleet-health", {"limit": 20_000})
        ranges = {}
        device = seeded["telemetry_device_id"]
        for key, label in RANGE_KEYS.items():
            end = datetime.now(UTC)
            resolution = resolution_for(RANGES[label])
            params = {"device_id": device, "start": (end - RANGES[label]).isoformat(), "end": end.isoformat(),
                      "resolution": resolution, "max_points": MAX_POINTS}  # fmt: skip
            seconds, points = _timed_get(client, "/telemetry/window", params)
            ranges[key] = {"resolution": resolution, "points": len(points), "api_s": seconds}
        end = datetime.now(UTC)
        year = {"device_id": device, "start": (end - RANGES["1 year"]).isoformat(), "end": end.isoformat(),
                "resolution": "1h"}  # fmt: skip
        seconds, points = _timed_get(client, "/telemetry/window", year)
        unmerged = (seconds, len(points))
    return {
        "fleet_health_s": fleet_s,
        "fleet_health_items": len(fleet["items"]),
        "telemetry_window": ranges,
        "telemetry_window_max_points": MAX_POINTS,
        "telemetry_window_1y_unmerged": dict(zip(("api_s", "points"), unmerged, strict=True)),
    }


def _timed_get(client: httpx.Client, path: str, params: dict[str, Any]) -> tuple[float, Any]:
    client.get(path, params=params).raise_for_status()
    samples = []
    body: Any = None
    for _ in range(5):
        started = time.perf_counter()
        response = client.get(path, params=params)
        response.raise_for_status()
        body = response.json()
        samples.append(time.perf_counter() - started)
    return _median(samples), body


def _admin_user(url: str, password: str) -> None:
    with psycopg.connect(url) as conn:
        auth_service.create_user(conn, user_in=UserCreate(email=EMAIL, password=password, role=Role.ADMIN))


def _dashboard_command(api_url: str) -> list[str]:
    return [sys.executable, "-c", "from service_core.cli import main; main()",
            "dashboard", "--port", "{port}", "--api-url", api_url]  # fmt: skip
