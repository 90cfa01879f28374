"""The greedy assignment rule: who qualifies, who wins and why, and why nobody fits."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from service_core.bookings.assignment import (
    AssignmentProposal,
    AssignmentRequest,
    Candidate,
    GreedyAssigner,
    Unassignable,
    travel_to,
)
from service_core.bookings.domain import Shift
from service_core.scheduling.routing.travel import GeoPoint

NOW = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)  # Monday
SITE = GeoPoint(52.0, 5.0)
WEEKDAYS = [Shift(d, time(8), time(17)) for d in range(5)]
SKILL = 1


def request(**overrides: object) -> AssignmentRequest:
    values: dict[str, object] = {
        "work_order_id": 1,
        "estimated_minutes": 60,
        "required_skills": {SKILL: 3},
        "site": SITE,
        "territory_id": 10,
        "not_before": NOW,
        "deadline": NOW + timedelta(hours=8),
    }
    values.update(overrides)
    return AssignmentRequest(**values)  # type: ignore[arg-type]


def tech(rid: int, **overrides: object) -> Candidate:
    values: dict[str, object] = {
        "resource_id": rid,
        "name": f"tech{rid}",
        "is_active": True,
        "territory_id": 10,
        "home": SITE,
        "timezone": "UTC",
        "hourly_cost": Decimal("60"),
        "skills": {SKILL: 3},
        "shifts": WEEKDAYS,
    }
    values.update(overrides)
    return Candidate(**values)  # type: ignore[arg-type]


def propose(req: AssignmentRequest, *candidates: Candidate) -> AssignmentProposal | Unassignable:
    return GreedyAssigner().propose(req, candidates)


def test_travel_is_great_circle_times_road_factor_at_50_kmh() -> None:
    km, minutes = travel_to(GeoPoint(52.0, 5.0), GeoPoint(52.0, 5.5))
    assert abs(km - 34.23 * 1.3) < 0.2
    assert minutes == 54  # 44.5 km at 50 km/h, rounded up


def test_the_earliest_finish_wins_and_the_explanation_says_why() -> None:
    busy = tech(1, busy=[(NOW, NOW + timedelta(hours=2))])
    free = tech(2, home=GeoPoint(52.0, 5.1))  # 6.9 km as the crow flies, 8.9 km by road: 11 min
    proposal = propose(request(), busy, free)
    assert isinstance(proposal, AssignmentProposal)
    assert proposal.resource_id == 2
    chosen = proposal.explanation["chosen"]
    assert chosen["skills_met"] == {str(SKILL): {"required": 3, "has": 3}}
    assert chosen["territory"] == "the site's territory"
    assert chosen["travel_minutes"] == proposal.travel_minutes == 11
    assert chosen["travel_cost"] == "11.00"  # 11 min at 60/h
    assert proposal.start_at == NOW + timedelta(minutes=11)
    assert chosen["sla_margin_minutes"] == 8 * 60 - 11 - 60
    assert proposal.explanation["rejected"] == [
        {"resource_id": 1, "name": "tech1", "reason": f"finishes later ({(NOW + timedelta(hours=3)).isoformat()})"}
    ]


def test_proficiency_scales_the_job_and_can_decide() -> None:
    expert = tech(1, skills={SKILL: 5})
    standard = tech(2)
    proposal = propose(request(), standard, expert)
    assert isinstance(proposal, AssignmentProposal)
    assert proposal.resource_id == 1
    assert proposal.end_at - proposal.start_at == timedelta(minutes=48)


def test_less_travel_then_preference_break_ties() -> None:
    near, far = tech(1), tech(2, home=GeoPoint(52.0, 5.01))
    far_busy_free = propose(request(estimated_minutes=30, not_before=NOW), far, near)
    assert isinstance(far_busy_free, AssignmentProposal)
    assert far_busy_free.resource_id == 1
    a, b = tech(3), tech(4)
    preferred = propose(request(preferred=frozenset({4})), a, b)
    assert isinstance(preferred, AssignmentProposal)
    assert preferred.resource_id == 4
    assert preferred.explanation["chosen"]["preferred"] is True
    assert preferred.explanation["rejected"][0]["reason"].startswith("same finish and travel")


def test_unqualified_inactive_excluded_and_unavailable_are_refused_with_reasons() -> None:
    candidates = [
        tech(1, skills={SKILL: 2}),
        tech(2, is_active=False),
        tech(3),
        tech(4, time_off=[(NOW, NOW + timedelta(days=1))]),
        tech(5, skills={}),
    ]
    result = propose(request(excluded=frozenset({3})), *candidates)
    assert isinstance(result, Unassignable)
    reasons = dict(r.split(": ", 1) for r in result.reasons)
    assert reasons["tech1 (#1)"] == "not qualified: skill 1 needs 3, has 2"
    assert reasons["tech2 (#2)"] == "inactive"
    assert reasons["tech3 (#3)"] == "excluded on this work order"
    assert reasons["tech4 (#4)"] == "no free slot of 60 min plus 0 min travel before the SLA resolution deadline"
    assert reasons["tech5 (#5)"] == "not qualified: skill 1 needs 3, has none"


def test_a_slot_must_finish_before_the_sla_deadline() -> None:
    late = tech(1, busy=[(NOW, NOW + timedelta(minutes=90))])
    result = propose(request(deadline=NOW + timedelta(minutes=120)), late)
    assert isinstance(result, Unassignable)
    assert "before the SLA resolution deadline" in result.reasons[0]


def test_outside_the_territory_is_refused_unless_allowed_and_the_refusal_says_why() -> None:
    inside_busy = tech(1, busy=[(NOW, NOW + timedelta(hours=8))])
    outside = tech(2, territory_id=99)
    refused = propose(request(), inside_busy, outside)
    assert isinstance(refused, Unassignable)
    assert refused.reasons[0] == (
        "nobody in the site's territory fits (1 outside it could; set allow_outside_territory to book one)"
    )
    assert refused.explanation["rejected"] == [  # the territory's own technician first
        {
            "resource_id": 1,
            "name": "tech1",
            "reason": "no free slot of 60 min plus 0 min travel before the SLA resolution deadline",
        },
        {"resource_id": 2, "name": "tech2", "reason": "outside the site's territory"},
    ]
    proposal = propose(request(allow_outside_territory=True), inside_busy, outside)
    assert isinstance(proposal, AssignmentProposal)
    assert proposal.resource_id == 2
    assert proposal.explanation["chosen"]["territory"] == "outside the site's territory (nobody in it fits)"


def test_inside_the_territory_wins_even_when_outside_is_allowed() -> None:
    outside = tech(2, territory_id=99)
    inside = tech(3, busy=[(NOW, NOW + timedelta(hours=2))])  # finishes later than the outsider would
    for allowed in (False, True):
        proposal = propose(request(allow_outside_territory=allowed), outside, inside)
        assert isinstance(proposal, AssignmentProposal)
        assert proposal.resource_id == 3
        assert proposal.explanation["chosen"]["territory"] == "the site's territory"
        assert {"resource_id": 2, "name": "tech2", "reason": "outside the site's territory"} in proposal.explanation[
            "rejected"
        ]


def test_nobody_anywhere_fits_names_no_territory_note() -> None:
    result = propose(request(allow_outside_territory=True), tech(1, skills={}), tech(2, territory_id=99, skills={}))
    assert isinstance(result, Unassignable)
    assert all("territory" not in r for r in result.reasons)


def test_working_hours_bound_the_slot() -> None:
    evening = request(not_before=NOW + timedelta(hours=8, minutes=30), deadline=None)  # 16:30 Monday
    proposal = propose(evening, tech(1))
    assert isinstance(proposal, AssignmentProposal)
    assert proposal.start_at == datetime(2025, 3, 4, 8, 0, tzinfo=UTC)  # next morning
    assert proposal.explanation["chosen"]["sla_margin_minutes"] is None


def test_auto_assignment_never_proposes_a_slot_over_the_break() -> None:
    with_lunch = [Shift(d, time(8), time(17), break_minutes=60) for d in range(5)]  # break 12:00-13:00
    morning_job = request(estimated_minutes=180, not_before=NOW + timedelta(hours=2))  # from 10:00, 3 hours
    proposal = propose(morning_job, tech(1, shifts=with_lunch))
    assert isinstance(proposal, AssignmentProposal)
    assert (proposal.start_at, proposal.end_at) == (
        datetime(2025, 3, 3, 13, 0, tzinfo=UTC),
        datetime(2025, 3, 3, 16, 0, tzinfo=UTC),
    )  # 10:00-13:00 would run into the break: the first free 3 hours start after it
    without = propose(morning_job, tech(1))
    assert isinstance(without, AssignmentProposal) and without.start_at == datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
