"""Pure rules of conditions: hysteresis of raising and clearing, which rule opens which work, whether a new
condition attaches to open work, opens new work or a follow-up, the lifecycle, and alarm precision."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from service_core.exceptions import InvalidInput, InvalidTransition

SEVERITIES = ("warning", "major", "critical")
CRITICALITIES = ("low", "medium", "high", "critical")
PRIORITIES = ("low", "normal", "high", "emergency")
OPEN_STATUSES = frozenset({"raised", "acknowledged", "snoozed"})


class Status(StrEnum):
    RAISED = "raised"
    ACKNOWLEDGED = "acknowledged"
    SNOOZED = "snoozed"
    CLEARED = "cleared"
    RESOLVED = "resolved"


# ---- hysteresis ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hysteresis:
    """Raise after the score stays at or above `on_threshold` for `on_delay`; clear after it stays below
    `off_threshold` (< on_threshold) for `off_delay`.  A flapping signal raises once."""

    on_threshold: float
    off_threshold: float
    on_delay: timedelta
    off_delay: timedelta

    def __post_init__(self) -> None:
        if self.off_threshold > self.on_threshold:
            raise InvalidInput("the clearing threshold must not exceed the raising threshold")
        if self.on_delay < timedelta(0) or self.off_delay < timedelta(0):
            raise InvalidInput("delays must not be negative")


@dataclass(frozen=True, slots=True)
class EpisodeState:
    active: bool = False
    above_since: datetime | None = None  # start of the current run at/above on_threshold
    below_since: datetime | None = None  # start of the current run below off_threshold (while active)
    onset_at: datetime | None = None  # onset of the active episode
    peak: float = 0.0


class Action(StrEnum):
    RAISE = "raise"
    CLEAR = "clear"


def observe(state: EpisodeState, *, at: datetime, score: float, rule: Hysteresis) -> tuple[EpisodeState, Action | None]:
    """Feed one score (in time order); the new state and what to do now, if anything."""
    if not state.active:
        if score < rule.on_threshold:
            return replace(state, above_since=None, peak=0.0), None
        since = state.above_since or at
        peak = max(state.peak, score)
        if at - since >= rule.on_delay:
            return EpisodeState(active=True, onset_at=since, peak=peak), Action.RAISE
        return replace(state, above_since=since, peak=peak), None
    if score >= rule.off_threshold:
        return replace(state, below_since=None, peak=max(state.peak, score)), None
    since = state.below_since or at
    if at - since >= rule.off_delay:
        return EpisodeState(), Action.CLEAR
    return replace(state, below_since=since), None


def severity_of(score: float, *, major: float, critical: float) -> str:
    """warning below `major`, major below `critical`, else critical."""
    if score >= critical:
        return "critical"
    return "major" if score >= major else "warning"


# ---- which work ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rule:
    id: int
    failure_mode: str  # '*' matches every mode
    category: str
    min_severity: str
    min_criticality: str
    incident_type_id: int | None
    work_type: str
    priority: str
    raise_priority_if_critical_asset: bool
    recurrence_days: int


def choose_rule(
    rules: Sequence[Rule], *, failure_mode: str, category: str, severity: str, criticality: str
) -> Rule | None:
    """The most specific matching rule: exact failure mode over '*', then the highest severity bar it clears."""
    matching = [
        r
        for r in rules
        if r.category == category
        and r.failure_mode in (failure_mode, "*")
        and SEVERITIES.index(severity) >= SEVERITIES.index(r.min_severity)
        and CRITICALITIES.index(criticality) >= CRITICALITIES.index(r.min_criticality)
    ]
    if not matching:
        return None
    return max(
        matching,
        key=lambda r: (
            r.failure_mode != "*",
            SEVERITIES.index(r.min_severity),
            CRITICALITIES.index(r.min_criticality),
            -r.id,
        ),
    )


def work_priority(rule: Rule, *, criticality: str) -> str:
    """The rule's priority, one step higher on a critical asset when the rule says so."""
    if rule.raise_priority_if_critical_asset and criticality == "critical":
        return PRIORITIES[min(PRIORITIES.index(rule.priority) + 1, len(PRIORITIES) - 1)]
    return rule.priority


class WorkDecisionKind(StrEnum):
    ATTACH = "attach"  # an open work order for the same problem exists
    FOLLOW_UP = "follow_up"  # the problem recurs soon after the last job on it was closed
    OPEN = "open"
    NONE = "none"  # no rule asks for work


@dataclass(frozen=True, slots=True)
class WorkDecision:
    kind: WorkDecisionKind
    work_order_id: int | None = None  # ATTACH: the order; FOLLOW_UP: the closed order it follows


def decide_work(
    *,
    rule: Rule | None,
    open_work_order_id: int | None,
    last_closed: tuple[int, datetime] | None,
    now: datetime,
) -> WorkDecision:
    """Attach to open work for the same problem, else open a follow-up of a recent job, else open new work."""
    if open_work_order_id is not None:
        return WorkDecision(WorkDecisionKind.ATTACH, open_work_order_id)
    if rule is None:
        return WorkDecision(WorkDecisionKind.NONE)
    if last_closed is not None and now - last_closed[1] <= timedelta(days=rule.recurrence_days):
        return WorkDecision(WorkDecisionKind.FOLLOW_UP, last_closed[0])
    return WorkDecision(WorkDecisionKind.OPEN)


# ---- lifecycle ---------------------------------------------------------------------------------------------------

_ALLOWED: dict[str, frozenset[str]] = {
    "acknowledge": frozenset({"raised", "snoozed"}),
    "snooze": frozenset({"raised", "acknowledged", "snoozed"}),
    "clear": frozenset(OPEN_STATUSES),
    "resolve": frozenset({"raised", "acknowledged", "snoozed", "cleared"}),
}
_RESULT = {"acknowledge": "acknowledged", "snooze": "snoozed", "clear": "cleared", "resolve": "resolved"}


def next_status(status: str, action: str) -> str:
    """The status after `action`, or InvalidTransition naming both."""
    allowed = _ALLOWED.get(action)
    if allowed is None:
        raise InvalidInput(f"unknown condition action {action!r}")
    if status not in allowed:
        raise InvalidTransition(f"a {status} condition cannot be {_RESULT[action]}")
    return _RESULT[action]


def effective_status(status: str, snoozed_until: datetime | None, now: datetime) -> str:
    """A snooze that has run out shows the condition as raised again."""
    if status == Status.SNOOZED and snoozed_until is not None and snoozed_until <= now:
        return Status.RAISED.value
    return status


def outcome_of(resolution_code: str | None) -> str | None:
    """Whether the alarm was true, from the work order's resolution code (None: the job does not say)."""
    if resolution_code in ("fault_confirmed", "fixed", "partial", "not_fixed"):
        return "true_alarm"
    if resolution_code == "no_fault_found":
        return "false_alarm"
    return None


def precision(true_alarms: int, false_alarms: int) -> float | None:
    judged = true_alarms + false_alarms
    return true_alarms / judged if judged else None
