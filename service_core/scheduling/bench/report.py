"""What a schedule benchmark run found: per instance, the solver's and the baseline's vehicles, distance, gap to
the best-known and the independent checker's verdict; a summary against the issue's targets."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import fmean
from typing import Any

from service_core.scheduling.routing.instances import BestKnown

TARGET_MEAN_GAP_PCT = 3.0
TARGET_EXTRA_VEHICLES = 1


@dataclass(frozen=True, slots=True)
class MethodOutcome:
    """One method (solver or baseline) on one instance, as measured by the independent checker."""

    vehicles: int
    distance: float
    feasible: bool
    seconds: float
    violations: int = 0


def gap_pct(distance: float, best_known: BestKnown | None) -> float | None:
    """Distance above the best-known, in percent (negative when shorter, e.g. with more vehicles)."""
    return None if best_known is None else 100.0 * (distance - best_known.distance) / best_known.distance


@dataclass(frozen=True, slots=True)
class InstanceOutcome:
    name: str
    best_known: BestKnown | None
    solver: MethodOutcome
    baseline: MethodOutcome

    @property
    def gap_pct(self) -> float | None:
        return gap_pct(self.solver.distance, self.best_known)

    @property
    def baseline_gap_pct(self) -> float | None:
        return gap_pct(self.baseline.distance, self.best_known)

    @property
    def vehicles_within_one(self) -> bool | None:
        if self.best_known is None:
            return None
        return self.solver.vehicles - self.best_known.vehicles <= TARGET_EXTRA_VEHICLES

    def to_dict(self) -> dict[str, Any]:
        known = self.best_known
        return {
            "name": self.name,
            "vehicles": self.solver.vehicles,
            "distance": round(self.solver.distance, 4),
            "best_known_vehicles": known.vehicles if known else None,
            "best_known_distance": known.distance if known else None,
            "gap_pct": _rounded(self.gap_pct),
            "feasible": self.solver.feasible,
            "seconds": round(self.solver.seconds, 3),
            "violations": self.solver.violations,
            "baseline_vehicles": self.baseline.vehicles,
            "baseline_distance": round(self.baseline.distance, 4),
            "baseline_gap_pct": _rounded(self.baseline_gap_pct),
            "baseline_feasible": self.baseline.feasible,
            "baseline_seconds": round(self.baseline.seconds, 3),
        }


@dataclass(frozen=True, slots=True)
class ScheduleBenchReport:
    instances: tuple[InstanceOutcome, ...]
    engine: str
    time_limit_seconds: float
    seed: int

    @property
    def mean_gap_pct(self) -> float | None:
        return _mean([outcome.gap_pct for outcome in self.instances])

    @property
    def baseline_mean_gap_pct(self) -> float | None:
        return _mean([outcome.baseline_gap_pct for outcome in self.instances])

    @property
    def matching_vehicles(self) -> tuple[InstanceOutcome, ...]:
        """Instances solved with the best-known number of vehicles or fewer: their gaps compare like with like."""
        return tuple(
            outcome
            for outcome in self.instances
            if outcome.best_known is not None and outcome.solver.vehicles <= outcome.best_known.vehicles
        )

    @property
    def mean_gap_pct_matching_vehicles(self) -> float | None:
        return _mean([outcome.gap_pct for outcome in self.matching_vehicles])

    @property
    def all_feasible(self) -> bool:
        """Every solution of the run, the solver's and the baseline's, passed the independent checker."""
        return all(outcome.solver.feasible and outcome.baseline.feasible for outcome in self.instances)

    @property
    def vehicles_within_one_of_best_known(self) -> bool:
        return all(outcome.vehicles_within_one is not False for outcome in self.instances)

    @property
    def targets_met(self) -> bool:
        gap = self.mean_gap_pct
        within_gap = gap is not None and gap <= TARGET_MEAN_GAP_PCT
        return self.all_feasible and within_gap and self.vehicles_within_one_of_best_known

    def to_dict(self) -> dict[str, Any]:
        return {
            "mean_gap_pct": _rounded(self.mean_gap_pct),
            "baseline_mean_gap_pct": _rounded(self.baseline_mean_gap_pct),
            "all_feasible": self.all_feasible,
            "mean_gap_pct_matching_vehicles": _rounded(self.mean_gap_pct_matching_vehicles),
            "instances_matching_vehicles": len(self.matching_vehicles),
            "vehicles_within_one_of_best_known": self.vehicles_within_one_of_best_known,
            "targets_met": self.targets_met,
            "engine": self.engine,
            "baseline": "sequential cheapest feasible insertion",
            "time_limit_seconds": self.time_limit_seconds,
            "seed": self.seed,
            "instances": [outcome.to_dict() for outcome in self.instances],
        }

    def table(self) -> str:
        header = (
            f"{'instance':<10} {'veh':>4} {'distance':>10} {'bk veh':>6} {'bk dist':>10} {'gap %':>7} "
            f"{'feasible':>8} {'seconds':>7}   {'base veh':>8} {'base dist':>10} {'base gap %':>10} {'base ok':>7}"
        )
        return "\n".join([header, *(_row(outcome) for outcome in self.instances)])

    def summary(self) -> str:
        lines = [
            f"engine {self.engine}, {self.time_limit_seconds:g} s per instance, seed {self.seed}",
            f"mean gap {_percent(self.mean_gap_pct)}; "
            f"baseline (cheapest insertion) {_percent(self.baseline_mean_gap_pct)}",
            f"mean gap on the {len(self.matching_vehicles)} of {len(self.instances)} instances solved with the "
            f"best-known number of vehicles: {_percent(self.mean_gap_pct_matching_vehicles)}",
            f"all feasible (independent checker): {_yes(self.all_feasible)}",
            f"vehicles within one of best-known: {_yes(self.vehicles_within_one_of_best_known)}",
            f"targets met (all feasible, mean gap <= {TARGET_MEAN_GAP_PCT:g} %, vehicles within one): "
            f"{_yes(self.targets_met)}",
        ]
        return "\n".join(lines)


def _row(outcome: InstanceOutcome) -> str:
    known, solver, baseline = outcome.best_known, outcome.solver, outcome.baseline
    known_vehicles = str(known.vehicles) if known else "-"
    known_distance = f"{known.distance:.2f}" if known else "-"
    return (
        f"{outcome.name:<10} {solver.vehicles:>4} {solver.distance:>10.2f} {known_vehicles:>6} {known_distance:>10} "
        f"{_number(outcome.gap_pct):>7} {_yes(solver.feasible):>8} {solver.seconds:>7.1f}   "
        f"{baseline.vehicles:>8} {baseline.distance:>10.2f} {_number(outcome.baseline_gap_pct):>10} "
        f"{_yes(baseline.feasible):>7}"
    )


def _mean(values: list[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return fmean(known) if known else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3) + 0.0  # + 0.0 turns -0.0 into 0.0


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def _percent(value: float | None) -> str:
    return "n/a (no best-known)" if value is None else f"{value:.2f} %"


def _yes(flag: bool) -> str:
    return "yes" if flag else "NO"
