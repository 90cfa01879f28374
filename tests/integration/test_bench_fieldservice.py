"""`bench schedule` with its field-service part on a reduced day and short time limits, run as a user would
(`--json`): the VRPTW keys are unchanged, the `field_service` figures are all there and the independent checker
accepted every plan.  Needs no services and no downloaded data (the VRPTW part runs on a tiny folder made here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

pytestmark = [pytest.mark.slow]

RUN_BENCH = "from service_core.scheduling.cli import app; app()"
INSTANCE = """tiny

VEHICLE
NUMBER     CAPACITY
  3          30

CUSTOMER
CUST NO.  XCOORD.    YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE TIME

    0     50         50          0          0        400          0
    1     60         50         10          0        200          5
    2     50         62         10         20        100          5
    3     38         50         10          0        300          5
"""
VRPTW_KEYS = {
    "mean_gap_pct",
    "baseline_mean_gap_pct",
    "all_feasible",
    "mean_gap_pct_matching_vehicles",
    "instances_matching_vehicles",
    "vehicles_within_one_of_best_known",
    "targets_met",
    "engine",
    "baseline",
    "time_limit_seconds",
    "seed",
    "instances",
}
FIELD_SERVICE_KEYS = {
    "orders",
    "technicians",
    "scheduled",
    "sla_critical_total",
    "sla_critical_scheduled",
    "plan_seconds",
    "emergency_insert_seconds",
    "sick_replan_seconds",
    "travel_km",
    "unscheduled_reasons",
    "checker_ok",
    "baseline",
    "emergency",
    "sick",
}


@pytest.fixture
def tiny_vrptw(tmp_path: Path) -> Path:
    folder = tmp_path / "vrptw"
    (folder / "instances").mkdir(parents=True)
    (folder / "instances" / "tiny.txt").write_text(INSTANCE)
    (folder / "best_known.csv").write_text("instance,routes,distance\ntiny,2,100.0\n")
    return folder


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUN_BENCH, *args], capture_output=True, text=True, timeout=300, check=False
    )


def test_field_service_figures_in_the_json(tiny_vrptw: Path) -> None:
    done = bench(
        "--instances", str(tiny_vrptw), "--time-limit", "0.2", "--json", "--fs-orders", "40", "--fs-technicians",
        "8", "--fs-time-limit", "1", "--fs-replan-time-limit", "0.5", "--fs-seed", "2",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = orjson.loads(done.stdout)
    assert set(report) == VRPTW_KEYS | {"field_service"}
    field = report["field_service"]
    assert set(field) >= FIELD_SERVICE_KEYS
    assert field["checker_ok"] is True
    assert (field["orders"], field["technicians"]) == (40, 8)
    assert field["sla_critical_scheduled"] == field["sla_critical_total"]
    assert 0 < field["scheduled"] <= 40
    assert field["scheduled"] + sum(field["unscheduled_reasons"].values()) == 40
    assert field["baseline"]["checker_ok"] is True and field["baseline"]["scheduled"] > 0
    assert field["emergency"]["scheduled"] is True and field["emergency"]["checker_ok"] is True
    assert field["sick"]["checker_ok"] is True and field["sick"]["released"] >= 1
    assert field["travel_km"] > 0 and field["plan_seconds"] > 0


def test_no_field_service_keeps_the_vrptw_report_alone(tiny_vrptw: Path) -> None:
    done = bench("--instances", str(tiny_vrptw), "--time-limit", "0.2", "--json", "--no-field-service")
    assert done.returncode == 0, done.stderr
    assert set(orjson.loads(done.stdout)) == VRPTW_KEYS


def test_table_output_has_a_field_service_summary(tiny_vrptw: Path) -> None:
    done = bench(
        "--instances", str(tiny_vrptw), "--time-limit", "0.2", "--fs-orders", "20", "--fs-technicians", "4",
        "--fs-time-limit", "0.5", "--fs-replan-time-limit", "0.3",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "field service: 20 orders, 4 technicians" in done.stdout
    assert "independent checker: yes" in done.stdout
