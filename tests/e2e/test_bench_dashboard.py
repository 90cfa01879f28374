"""`assetpulse bench dashboard --json` as a user runs it, on a reduced size: a scratch database, the API and the
dashboard as processes, both pages timed in headless Chromium; one JSON object with every figure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.bench.browser import chromium_path
from service_core.exceptions import ServiceUnavailable

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_bench_dashboard_prints_both_pages_their_baselines_and_the_api_calls(pg_admin_url: str, tmp_path: Path) -> None:
    try:
        chromium_path(os.environ.get("ASSETPULSE_CHROMIUM"))
    except ServiceUnavailable:
        pytest.skip("needs Chromium (/usr/bin/chromium: apt-get install chromium, or ASSETPULSE_CHROMIUM)")
    command = [sys.executable, "-c", "from service_core.cli import main; main()", "bench", "dashboard", "--json",
               "--assets", "500", "--accounts", "40", "--telemetry-days", "7", "--raw-days", "1", "--runs", "2",
               "--screenshots", str(tmp_path)]  # fmt: skip
    env = {**os.environ, "ASSETPULSE_BENCH_DATABASE_URL": pg_admin_url}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])

    for key in ("fleet_page_s", "asset_page_s", "baseline_login_page_s", "baseline_light_page_s"):
        assert 0 < result[key] < 60, (key, result[key])
    assert len(result["fleet_page_runs_s"]) == len(result["asset_page_runs_s"]) == result["runs"] == 2
    assert result["targets_met"] == (result["fleet_page_s"] <= 2.0 and result["asset_page_s"] <= 2.0)
    assert (result["assets"], result["raw_days_stored"], result["telemetry_days"]) == (500, 1, 7)
    assert result["asset_page"]["resolution"] == "1h"
    assert result["api"]["fleet_health_items"] == 500
    windows = result["api"]["telemetry_window"]
    assert {k: v["resolution"] for k, v in windows.items()} == {
        "1h": "raw", "6h": "1m", "24h": "1m", "7d": "1m", "30d": "1h", "90d": "1h", "1y": "1h",
    }  # fmt: skip
    cap = result["api"]["telemetry_window_max_points"]
    assert all(0 < w["points"] <= 4 * cap for w in windows.values())  # four metrics, merged to the page's cap
    stored = result["telemetry_stored"]
    assert stored["raw_rows"] == 4 * 86_400
    assert result["api"]["telemetry_window_1y_unmerged"]["points"] == stored["rollup_1h_rows"]  # every hour bucket
    # both pages rendered: a screenshot of each timed run, and no error in the dashboard's log
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["asset-0.png", "asset-1.png", "fleet-0.png",
                                                              "fleet-1.png"]  # fmt: skip
    assert "Traceback" not in (tmp_path / "ui.log").read_text()
