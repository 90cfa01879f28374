"""Automatic assignment: the `Assigner` seam (an optimizer can plug in) and a pure greedy rule with explanations.

Greedy: among qualified, active, not excluded resources in the site's territory (any territory when nobody there
fits, only if the request allows it), take the earliest finish that meets the SLA resolution deadline; then less
travel; then preferred.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from service_core.bookings.domain import Interval, earliest_slot, free_working_time, job_minutes, subtract
from service_core.resources.domain import Shift
from service_core.scheduling.routing.travel import GeoPoint, GreatCircleTravel

TRAVEL = GreatCircleTravel(road_factor=1.3, speed_kmh=50.0)
HORIZON = timedelta(days=14)  # how far ahead to look when the order has no resolution deadline
TOP_REJECTED = 5


@dataclass(frozen=True, slots=True)
class AssignmentRequest:
    work_order_id: int
    estimated_minutes: int
    required_skills: Mapping[int, int]  # skill id → minimum proficiency
    site: GeoPoint
    territory_id: int | None
    not_before: datetime
    deadline: datetime | None  # SLA resolution due
    preferred: frozenset[int] = frozenset()
    excluded: frozenset[int] = frozenset()
    allow_outside_territory: bool = False  # when nobody in the site's territory fits, look in the others


@dataclass(frozen=True, slots=True)
class Candidate:
    resource_id: int
    name: str
    is_active: bool
    territory_id: int | None
    home: GeoPoint
    timezone: str
    hourly_cost: Decimal
    skills: Mapping[int, int]  # skill id → proficiency
    shifts: Sequence[Shift] = ()
    time_off: Sequence[Interval] = ()
    busy: Sequence[Interval] = ()  # existing bookings


@dataclass(frozen=True, slots=True)
class AssignmentProposal:
    resource_id: int
    start_at: datetime
    end_at: datetime
    travel_minutes: int
    explanation: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Unassignable:
    reasons: list[str]
    explanation: dict[str, Any] = field(default_factory=dict)


class Assigner(Protocol):
    def propose(self, request: AssignmentRequest, candidates: Sequence[Candidate]) -> AssignmentProposal | Unassignable:
        """The resource and slot for the request, or why nobody fits."""
        ...


@dataclass(frozen=True, slots=True)
class _Option:
    candidate: Candidate
    slot: Interval
    minutes: int
    travel_minutes: int
    travel_km: float
    preferred: bool

    @property
    def score(self) -> tuple[datetime, int, int, int]:
        return self.slot[1], self.travel_minutes, 0 if self.preferred else 1, self.candidate.resource_id


def travel_to(home: GeoPoint, site: GeoPoint) -> tuple[float, int]:
    """Road kilometres and whole minutes from home base to site (great circle x 1.3 at 50 km/h)."""
    table = TRAVEL.table([home, site])
    return float(table.distance[0, 1]), math.ceil(float(table.duration[0, 1]))


def _unmet_skills(request: AssignmentRequest, candidate: Candidate) -> list[str]:
    unmet = []
    for skill_id, minimum in sorted(request.required_skills.items()):
        level = candidate.skills.get(skill_id)
        if level is None or level < minimum:
            unmet.append(f"skill {skill_id} needs {minimum}, has {level or 'none'}")
    return unmet


def evaluate(request: AssignmentRequest, candidate: Candidate) -> _Option | str:
    """The candidate's best option, or why it cannot take the job."""
    if not candidate.is_active:
        return "inactive"
    if candidate.resource_id in request.excluded:
        return "excluded on this work order"
    unmet = _unmet_skills(request, candidate)
    if unmet:
        return "not qualified: " + "; ".join(unmet)
    minutes = job_minutes(request.estimated_minutes, [candidate.skills[s] for s in request.required_skills])
    km, travel = travel_to(candidate.home, request.site)
    horizon_end = request.deadline if request.deadline is not None else request.not_before + HORIZON
    working = free_working_time(candidate.shifts, candidate.timezone, request.not_before, horizon_end)
    free = subtract(working, [*candidate.time_off, *candidate.busy])
    slot = earliest_slot(free, job_minutes=minutes, travel_minutes=travel, not_before=request.not_before)
    if slot is None:
        limit = "the SLA resolution deadline" if request.deadline is not None else f"{HORIZON.days} days"
        return f"no free slot of {minutes} min plus {travel} min travel before {limit}"
    preferred = candidate.resource_id in request.preferred
    return _Option(candidate, slot, minutes, travel, km, preferred)


def _why(request: AssignmentRequest, option: _Option, *, fallback: bool) -> dict[str, Any]:
    c = option.candidate
    cost = (Decimal(option.travel_minutes) / 60 * c.hourly_cost).quantize(Decimal("0.01"), ROUND_HALF_UP)
    margin = None if request.deadline is None else int((request.deadline - option.slot[1]).total_seconds() // 60)
    return {
        "resource_id": c.resource_id,
        "name": c.name,
        "skills_met": {str(s): {"required": m, "has": c.skills[s]} for s, m in sorted(request.required_skills.items())},
        "territory": "outside the site's territory (nobody in it fits)" if fallback else "the site's territory",
        "slot": {"start_at": option.slot[0].isoformat(), "end_at": option.slot[1].isoformat()},
        "job_minutes": option.minutes,
        "travel_minutes": option.travel_minutes,
        "travel_km": round(option.travel_km, 1),
        "travel_cost": str(cost),
        "sla_margin_minutes": margin,
        "preferred": option.preferred,
    }


def _rejection(option: _Option | str, territory_note: str | None, best: _Option | None) -> str:
    """Why a candidate lost: its own refusal, else being outside the territory, else a worse score."""
    if isinstance(option, str):
        return option
    if territory_note:
        return territory_note
    if best is None:
        return "not chosen"
    if option.slot[1] > best.slot[1]:
        return f"finishes later ({option.slot[1].isoformat()})"
    if option.travel_minutes > best.travel_minutes:
        return f"same finish, more travel ({option.travel_minutes} min)"
    return "same finish and travel; the chosen one is preferred or comes first"


class GreedyAssigner:
    """Earliest finish before the SLA deadline, then least travel, then preferred technicians."""

    def propose(self, request: AssignmentRequest, candidates: Sequence[Candidate]) -> AssignmentProposal | Unassignable:
        results = {c.resource_id: evaluate(request, c) for c in candidates}
        local = [c for c in candidates if _in_territory(request, c)]
        pool, fallback = _options(results, local), False
        if not pool and request.allow_outside_territory:
            pool, fallback = _options(results, candidates), request.territory_id is not None
        best = min(pool, key=lambda o: o.score) if pool else None

        def order(c: Candidate) -> tuple[bool, tuple[int, Any]]:
            """When nobody fits, the site's own territory first (why they could not), then by `_rank`."""
            return best is None and not _in_territory(request, c), _rank(results[c.resource_id])

        rejected = [
            {
                "resource_id": c.resource_id,
                "name": c.name,
                "reason": _rejection(results[c.resource_id], _territory_note(request, c, fallback), best),
            }
            for c in sorted(candidates, key=order)
            if best is None or c.resource_id != best.candidate.resource_id
        ][:TOP_REJECTED]
        if best is None:
            return _unassignable(request, rejected, outside=_options(results, candidates))
        explanation = {"strategy": "greedy", "chosen": _why(request, best, fallback=fallback), "rejected": rejected}
        return AssignmentProposal(
            resource_id=best.candidate.resource_id,
            start_at=best.slot[0],
            end_at=best.slot[1],
            travel_minutes=best.travel_minutes,
            explanation=explanation,
        )


def _unassignable(
    request: AssignmentRequest, rejected: list[dict[str, Any]], *, outside: list[_Option]
) -> Unassignable:
    """Why nobody fits; first, when someone outside the territory could have, that they were not allowed."""
    reasons = [f"{r['name']} (#{r['resource_id']}): {r['reason']}" for r in rejected] or ["no resources"]
    explanation: dict[str, Any] = {"strategy": "greedy", "rejected": rejected}
    if outside and not request.allow_outside_territory:
        note = (
            f"nobody in the site's territory fits ({len(outside)} outside it could; "
            "set allow_outside_territory to book one)"
        )
        reasons.insert(0, note)
        explanation["territory"] = note
    return Unassignable(reasons=reasons, explanation=explanation)


def _in_territory(request: AssignmentRequest, c: Candidate) -> bool:
    return request.territory_id is None or c.territory_id == request.territory_id


def _options(results: Mapping[int, _Option | str], candidates: Sequence[Candidate]) -> list[_Option]:
    return [o for c in candidates if isinstance(o := results[c.resource_id], _Option)]


def _rank(result: _Option | str) -> tuple[int, Any]:
    """Rejected candidates that could have done the job first (by score), then the others."""
    return (0, result.score) if isinstance(result, _Option) else (1, (datetime.max.isoformat(), result))


def _territory_note(request: AssignmentRequest, c: Candidate, fallback: bool) -> str | None:
    if not fallback and not _in_territory(request, c):
        return "outside the site's territory"
    return None
