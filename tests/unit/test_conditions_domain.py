from datetime import UTC, datetime, timedelta

import pytest

from service_core.conditions import domain
from service_core.conditions.domain import Action, EpisodeState, Hysteresis, Rule, WorkDecisionKind
from service_core.exceptions import InvalidInput, InvalidTransition

T0 = datetime(2026, 3, 1, tzinfo=UTC)
RULE = Hysteresis(on_threshold=1.0, off_threshold=0.5, on_delay=timedelta(seconds=30), off_delay=timedelta(seconds=60))


def feed(scores: list[float], *, step: int = 10) -> list[tuple[int, Action]]:
    state, actions = EpisodeState(), []
    for i, score in enumerate(scores):
        state, action = domain.observe(state, at=T0 + timedelta(seconds=i * step), score=score, rule=RULE)
        if action:
            actions.append((i, action))
    return actions


def test_raises_only_after_the_on_delay_and_reports_the_onset():
    state = EpisodeState()
    for i in range(3):  # 0, 10, 20 s above: not yet
        state, action = domain.observe(state, at=T0 + timedelta(seconds=10 * i), score=2.0, rule=RULE)
        assert action is None
    state, action = domain.observe(state, at=T0 + timedelta(seconds=30), score=3.0, rule=RULE)
    assert action is Action.RAISE
    assert state.active and state.onset_at == T0 and state.peak == 3.0


def test_a_short_spike_never_raises():
    assert feed([2.0, 2.0, 0.0, 2.0, 2.0, 0.0]) == []


def test_a_flapping_signal_raises_once_and_clears_only_after_the_off_delay():
    scores = [2.0] * 4 + [0.8, 0.2, 2.0, 0.2, 0.2, 0.2, 0.2] + [0.2] * 3
    actions = feed(scores)
    assert [a for _, a in actions] == [Action.RAISE, Action.CLEAR]
    raise_at, clear_at = actions[0][0], actions[1][0]
    assert raise_at == 3
    # between the off and on thresholds (0.8) the episode holds; the 2.0 at index 6 restarts the off-delay
    assert clear_at == 7 + 6


def test_hysteresis_refuses_inverted_thresholds():
    with pytest.raises(InvalidInput):
        Hysteresis(on_threshold=1.0, off_threshold=2.0, on_delay=timedelta(0), off_delay=timedelta(0))


def test_severity_bands():
    assert domain.severity_of(0.5, major=1.0, critical=2.0) == "warning"
    assert domain.severity_of(1.0, major=1.0, critical=2.0) == "major"
    assert domain.severity_of(5.0, major=1.0, critical=2.0) == "critical"


def rule(id_: int, mode: str = "*", category: str = "equipment", min_severity: str = "warning", **kw) -> Rule:
    base = dict(min_criticality="low", incident_type_id=None, work_type="repair", priority="normal",
                raise_priority_if_critical_asset=True, recurrence_days=30)  # fmt: skip
    base.update(kw)
    return Rule(id_, mode, category, min_severity, **base)  # type: ignore[arg-type]


def test_the_most_specific_rule_wins():
    rules = [
        rule(1),
        rule(2, min_severity="major", work_type="repair"),
        rule(3, "bearing_wear", work_type="maintenance"),
        rule(4, category="sensor", work_type="sensor_check"),
    ]
    pick = lambda **kw: domain.choose_rule(rules, **{"category": "equipment", "criticality": "low", **kw})  # noqa: E731
    assert pick(failure_mode="bearing_wear", severity="warning").id == 3
    assert pick(failure_mode="overheat", severity="critical").id == 2
    assert pick(failure_mode="overheat", severity="warning").id == 1
    assert (
        domain.choose_rule(rules, failure_mode="stuck", category="sensor", severity="warning", criticality="low").id
        == 4
    )
    assert domain.choose_rule([rule(5, min_criticality="high")], failure_mode="x", category="equipment",
                              severity="critical", criticality="medium") is None  # fmt: skip


def test_critical_assets_get_one_step_higher_priority():
    assert domain.work_priority(rule(1, priority="high"), criticality="critical") == "emergency"
    assert domain.work_priority(rule(1, priority="emergency"), criticality="critical") == "emergency"
    assert domain.work_priority(rule(1, priority="high"), criticality="high") == "high"
    assert (
        domain.work_priority(rule(1, priority="high", raise_priority_if_critical_asset=False), criticality="critical")
        == "high"
    )


def test_work_decision_attach_then_follow_up_then_open():
    now = T0 + timedelta(days=40)
    r = rule(1, recurrence_days=14)
    assert domain.decide_work(rule=r, open_work_order_id=7, last_closed=None, now=now).kind is WorkDecisionKind.ATTACH
    recent = (5, now - timedelta(days=3))
    follow = domain.decide_work(rule=r, open_work_order_id=None, last_closed=recent, now=now)
    assert (follow.kind, follow.work_order_id) == (WorkDecisionKind.FOLLOW_UP, 5)
    old = (5, now - timedelta(days=15))
    assert domain.decide_work(rule=r, open_work_order_id=None, last_closed=old, now=now).kind is WorkDecisionKind.OPEN
    assert (
        domain.decide_work(rule=None, open_work_order_id=None, last_closed=None, now=now).kind is WorkDecisionKind.NONE
    )
    # open work still collects a condition that no rule would act on
    assert (
        domain.decide_work(rule=None, open_work_order_id=3, last_closed=None, now=now).kind is WorkDecisionKind.ATTACH
    )


def test_lifecycle_transitions_and_refusals():
    assert domain.next_status("raised", "acknowledge") == "acknowledged"
    assert domain.next_status("acknowledged", "snooze") == "snoozed"
    assert domain.next_status("snoozed", "clear") == "cleared"
    assert domain.next_status("cleared", "resolve") == "resolved"
    with pytest.raises(InvalidTransition, match="cleared condition cannot be acknowledged"):
        domain.next_status("cleared", "acknowledge")
    with pytest.raises(InvalidTransition):
        domain.next_status("resolved", "resolve")
    with pytest.raises(InvalidInput):
        domain.next_status("raised", "explode")


def test_an_expired_snooze_shows_as_raised():
    assert domain.effective_status("snoozed", T0, T0 + timedelta(seconds=1)) == "raised"
    assert domain.effective_status("snoozed", T0 + timedelta(hours=1), T0) == "snoozed"
    assert domain.effective_status("acknowledged", None, T0) == "acknowledged"


def test_outcome_and_precision():
    assert domain.outcome_of("fault_confirmed") == "true_alarm"
    assert domain.outcome_of("no_fault_found") == "false_alarm"
    assert domain.outcome_of(None) is None
    assert domain.precision(3, 1) == 0.75
    assert domain.precision(0, 0) is None
