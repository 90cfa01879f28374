"""Which escalation rules are due for a clock: by priority, target, fraction, open targets, not fired before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service_core.policies.clock import ClockEvent, SlaPlan, compute_clock
from service_core.policies.escalation import EscalationRule, due_escalations

OPENED = datetime(2026, 3, 2, 10, tzinfo=UTC)
PLAN = SlaPlan(target_id=1, response_minutes=60, resolution_minutes=240)

WARN_RESPONSE = EscalationRule(1, None, "response", 0.5, "notify", "dispatcher")
BREACH_RESPONSE = EscalationRule(2, "high", "response", 1.0, "raise_priority", None)
LATE_RESOLUTION = EscalationRule(3, None, "resolution", 1.5, "notify", "admin")
LOW_ONLY = EscalationRule(4, "low", "response", 0.1, "notify", "viewer")
RULES = [LATE_RESOLUTION, BREACH_RESPONSE, WARN_RESPONSE, LOW_ONLY]


def status_at(minutes: float, *, events=(), responded: float | None = None):
    return compute_clock(
        opened_at=OPENED,
        events=list(events),
        plan=PLAN,
        responded_at=None if responded is None else OPENED + timedelta(minutes=responded),
        now=OPENED + timedelta(minutes=minutes),
    )


def due(minutes: float, *, priority: str = "high", fired=(), **kwargs):
    return [
        r.id
        for r in due_escalations(
            RULES, priority=priority, status=status_at(minutes, **kwargs), fired_rule_ids=set(fired)
        )
    ]


def test_nothing_before_the_first_fraction():
    assert due(29) == []


def test_fraction_reached_exactly_is_due():
    assert due(30) == [1]


def test_priority_filter():
    assert due(61, priority="high") == [1, 2]
    assert due(61, priority="normal") == [1]
    assert due(10, priority="low") == [4]


def test_already_fired_rules_are_not_due_again():
    assert due(61, fired={1}) == [2]
    assert due(61, fired={1, 2}) == []


def test_resolution_rule_beyond_breach():
    assert due(359) == [1, 2]
    assert due(360) == [1, 2, 3]  # 1.5 x 240


def test_met_response_no_longer_escalates():
    assert due(61, responded=20) == []


def test_paused_clock_does_not_reach_the_next_fraction():
    events = [ClockEvent(OPENED + timedelta(minutes=20), "pause", "waiting_on_customer")]
    assert due(600, events=events) == []


def test_stopped_clock_does_not_escalate():
    events = [ClockEvent(OPENED + timedelta(minutes=10), "stop")]
    assert due(600, events=events) == []


def test_due_rules_come_in_fraction_order():
    rules = due_escalations(RULES, priority="high", status=status_at(400), fired_rule_ids=set())
    assert [r.at_fraction for r in rules] == [0.5, 1.0, 1.5]
