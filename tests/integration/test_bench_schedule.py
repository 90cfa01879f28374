"""`bench schedule` on two real Gehring-Homberger instances with a short time limit: every solution feasible per
the independent checker (also re-checked from the SINTEF files it writes), and every JSON key present.  Needs
only ../shared/data/vrptw (skipped when absent), no services.  No wall-clock assertions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from service_core.scheduling.routing import check_solution, read_best_known, read_instance, read_sintef

pytestmark = [pytest.mark.slow]

INSTANCES = ("c1_2_1", "r2_2_1")
SUMMARY_KEYS = {"mean_gap_pct", "baseline_mean_gap_pct", "all_feasible", "instances"}
INSTANCE_KEYS = {
    "name",
    "vehicles",
    "distance",
    "best_known_vehicles",
    "best_known_distance",
    "gap_pct",
    "feasible",
    "seconds",
}


@pytest.fixture
def vrptw(shared_data: Path) -> Path:
    folder = shared_data / "vrptw"
    if not (folder / "best_known.csv").is_file():
        pytest.skip(f"VRPTW benchmark data {folder} is absent")
    return folder


def test_bench_on_two_real_instances(vrptw: Path, tmp_path: Path) -> None:
    only = [argument for name in INSTANCES for argument in ("--only", name)]
    command = [sys.executable, "-c", "from service_core.scheduling.cli import app; app()", "--json"]
    command += ["--instances", str(vrptw), "--time-limit", "2", "--solutions-dir", str(tmp_path), *only]
    command += ["--no-field-service"]  # the field-service day has its own test (test_bench_fieldservice.py)
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    report = orjson.loads(done.stdout)
    assert set(report) >= SUMMARY_KEYS
    assert report["all_feasible"] is True
    assert [row["name"] for row in report["instances"]] == list(INSTANCES)
    best_known = read_best_known(vrptw / "best_known.csv")
    for row in report["instances"]:
        assert set(row) >= INSTANCE_KEYS
        assert row["feasible"] is True
        assert row["best_known_vehicles"] == best_known[row["name"]].vehicles
        instance = read_instance(vrptw / "instances" / f"{row['name']}.txt")
        checked = check_solution(
            instance, read_sintef(tmp_path / f"{row['name']}.txt"), claimed_distance=row["distance"]
        )
        assert checked.feasible, checked.violations
        assert checked.vehicles == row["vehicles"]
