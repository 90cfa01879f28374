"""Run the schedule benchmark: every instance with the solver and, in the same run, the insertion baseline; the
independent checker decides feasibility and measures distance."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

from service_core.exceptions import InvalidInput
from service_core.scheduling.bench.report import InstanceOutcome, MethodOutcome, ScheduleBenchReport
from service_core.scheduling.routing.baseline import cheapest_insertion
from service_core.scheduling.routing.checker import check_solution
from service_core.scheduling.routing.instances import BestKnown, VrptwInstance, read_best_known, read_instance
from service_core.scheduling.routing.solution import RoutingSolution, write_sintef
from service_core.scheduling.routing.solver import ENGINE, SolverSettings, solve_vrptw

log = logging.getLogger(__name__)

# the repository's sibling folder shared/ (…/service_core/scheduling/bench/runner.py → parents[3] is the repo)
DEFAULT_INSTANCES_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "vrptw"
BEST_KNOWN_FILE = "best_known.csv"


class ScheduleBenchError(InvalidInput):
    """The benchmark cannot run on what it was given (folder, names, options); the message says why."""


@dataclass(frozen=True, slots=True)
class ScheduleBenchOptions:
    instances_dir: Path = DEFAULT_INSTANCES_DIR
    time_limit_seconds: float = 30.0
    only: tuple[str, ...] = ()
    solutions_dir: Path | None = None
    seed: int = 0


def run_schedule_bench(options: ScheduleBenchOptions) -> ScheduleBenchReport:
    """Read every instance first (bad input fails before any solving), then solve and check each."""
    if options.time_limit_seconds <= 0:
        raise ScheduleBenchError("the time limit must be positive")
    best_known = read_best_known(_best_known_file(options.instances_dir))
    paths = select_instances(find_instances(options.instances_dir), options.only)
    instances = [(path.stem, read_instance(path)) for path in paths]
    outcomes = []
    for name, instance in instances:
        known = best_known.get(name) or best_known.get(instance.name)
        outcomes.append(_run_instance(name, instance, known, options))
    return ScheduleBenchReport(tuple(outcomes), ENGINE, options.time_limit_seconds, options.seed)


def find_instances(directory: Path) -> list[Path]:
    """Instance files (`*.txt`) in `directory/instances/`, or in `directory` itself, in natural order."""
    if not directory.is_dir():
        raise ScheduleBenchError(f"instances folder {directory} does not exist (give one with --instances DIR)")
    folder = directory / "instances" if (directory / "instances").is_dir() else directory
    paths = sorted(folder.glob("*.txt"), key=lambda path: _natural_key(path.stem))
    if not paths:
        raise ScheduleBenchError(f"no instance files (*.txt) in {folder}")
    return paths


def select_instances(paths: list[Path], only: tuple[str, ...]) -> list[Path]:
    if not only:
        return paths
    by_name = {path.stem: path for path in paths}
    unknown = [name for name in only if name not in by_name]
    if unknown:
        raise ScheduleBenchError(
            f"no instance named {', '.join(unknown)} (there are {len(paths)}, e.g. {paths[0].stem})"
        )
    return [by_name[name] for name in dict.fromkeys(only)]


def _best_known_file(directory: Path) -> Path:
    path = directory / BEST_KNOWN_FILE
    if not directory.is_dir():
        raise ScheduleBenchError(f"instances folder {directory} does not exist (give one with --instances DIR)")
    if not path.is_file():
        raise ScheduleBenchError(f"{path} is missing: the folder needs a {BEST_KNOWN_FILE} beside its instances")
    return path


def _run_instance(
    name: str, instance: VrptwInstance, best_known: BestKnown | None, options: ScheduleBenchOptions
) -> InstanceOutcome:
    started = time.perf_counter()
    baseline_solution = cheapest_insertion(instance)
    baseline = _measure(instance, baseline_solution, time.perf_counter() - started)
    result = solve_vrptw(instance, SolverSettings(options.time_limit_seconds, options.seed))
    solver = _measure(instance, result.solution, result.seconds)
    if options.solutions_dir is not None:
        write_sintef(options.solutions_dir / f"{name}.txt", result.solution, instance=name, reference=ENGINE)
        write_sintef(
            options.solutions_dir / "baseline" / f"{name}.txt", baseline_solution, instance=name, reference="baseline"
        )
    log.info(
        "%s: %d vehicles, distance %.2f, feasible %s, %.1f s (baseline %d vehicles, %.2f)",
        name, solver.vehicles, solver.distance, solver.feasible, solver.seconds, baseline.vehicles, baseline.distance,
    )  # fmt: skip
    return InstanceOutcome(name, best_known, solver, baseline)


def _measure(instance: VrptwInstance, solution: RoutingSolution, seconds: float) -> MethodOutcome:
    report = check_solution(instance, solution)
    return MethodOutcome(report.vehicles, report.distance, report.feasible, seconds, len(report.violations))


def _natural_key(name: str) -> list[int | str]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]
