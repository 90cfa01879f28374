"""`bench schedule` on a tiny folder made here: the report's figures and JSON, the solutions it writes, and
one-line errors with exit code 2 for bad input (run as a process, as a user would)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from service_core.scheduling.bench import ScheduleBenchOptions, run_schedule_bench
from service_core.scheduling.routing import check_solution, read_instance, read_sintef

INSTANCE = """{name}

VEHICLE
NUMBER     CAPACITY
  4          30

CUSTOMER
CUST NO.  XCOORD.    YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE TIME

    0     50         50          0          0        400          0
    1     60         50         10          0        200          5
    2     50         62         10         20        100          5
    3     38         50         10          0        300          5
    4     50         35         10         60        150          5
    5     65         65         10          0        400          5
"""
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
RUN_BENCH = "from service_core.scheduling.cli import app; app()"


@pytest.fixture
def tiny_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "vrptw"
    (folder / "instances").mkdir(parents=True)
    for name in ("t_1", "t_2"):
        (folder / "instances" / f"{name}.txt").write_text(INSTANCE.format(name=name))
    (folder / "best_known.csv").write_text("instance,routes,distance\nt_1,2,110.0\nt_2,2,120.0\n")
    return folder


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUN_BENCH, *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_report_figures_and_written_solutions(tiny_folder: Path, tmp_path: Path) -> None:
    options = ScheduleBenchOptions(tiny_folder, time_limit_seconds=0.3, solutions_dir=tmp_path / "sol", seed=3)
    report = run_schedule_bench(options)
    assert [outcome.name for outcome in report.instances] == ["t_1", "t_2"]
    assert report.all_feasible
    first = report.instances[0]
    assert first.gap_pct == pytest.approx(100 * (first.solver.distance - 110.0) / 110.0)
    assert report.baseline_mean_gap_pct is not None
    instance = read_instance(tiny_folder / "instances" / "t_1.txt")
    for written in (tmp_path / "sol" / "t_1.txt", tmp_path / "sol" / "baseline" / "t_1.txt"):
        assert check_solution(instance, read_sintef(written)).feasible
    assert "t_2" in report.table() and "mean gap" in report.summary()


def test_only_selects_instances(tiny_folder: Path) -> None:
    report = run_schedule_bench(ScheduleBenchOptions(tiny_folder, time_limit_seconds=0.2, only=("t_2",)))
    assert [outcome.name for outcome in report.instances] == ["t_2"]


def test_json_is_exactly_one_object(tiny_folder: Path) -> None:
    done = bench("--instances", str(tiny_folder), "--time-limit", "0.3", "--json", "--seed", "1", "--no-field-service")
    assert done.returncode == 0, done.stderr
    report = orjson.loads(done.stdout)
    assert {"mean_gap_pct", "baseline_mean_gap_pct", "all_feasible", "instances"} <= set(report)
    assert report["all_feasible"] is True
    assert all(set(row) >= INSTANCE_KEYS for row in report["instances"])


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["--instances", "{missing}"], "does not exist"),
        (["--only", "t_9"], "no instance named t_9"),
        (["--instances", "{broken}"], "t_1.txt:12:"),
        (["--instances", "{no_table}"], "best_known.csv is missing"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tiny_folder: Path, tmp_path: Path, arguments: list[str], words: str) -> None:
    broken = tmp_path / "broken"
    (broken / "instances").mkdir(parents=True)
    (broken / "instances" / "t_1.txt").write_text(INSTANCE.format(name="t_1").replace("    2     50         62", "2"))
    (broken / "best_known.csv").write_text("instance,routes,distance\n")
    (tmp_path / "no_table").mkdir()
    paths = {"missing": tmp_path / "absent", "broken": broken, "no_table": tmp_path / "no_table"}
    arguments = [argument.format(**paths) for argument in arguments]
    if "--instances" not in arguments:
        arguments += ["--instances", str(tiny_folder)]
    done = bench(*arguments, "--time-limit", "0.2")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert words in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
