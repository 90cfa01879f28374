"""Escalation rules (pure): at a fraction of a target's time (1.0 = breach) notify a role, raise, or reassign."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from service_core.policies.clock import SlaStatus, TargetStatus

EPSILON_MINUTES = 1e-6


@dataclass(frozen=True, slots=True)
class EscalationRule:
    id: int
    priority: str | None  # None: every priority
    target: Literal["response", "resolution"]
    at_fraction: float
    action: Literal["notify", "raise_priority", "reassign"]
    notify_role: str | None

    def applies_to(self, priority: str) -> bool:
        return self.priority is None or self.priority == priority


def rule_reached(rule: EscalationRule, status: TargetStatus) -> bool:
    """The target is still open and its elapsed business time has reached the rule's fraction."""
    threshold = rule.at_fraction * status.target_minutes
    return status.is_open and status.elapsed_minutes + EPSILON_MINUTES >= threshold


def due_escalations(
    rules: Sequence[EscalationRule], *, priority: str, status: SlaStatus, fired_rule_ids: Collection[int]
) -> list[EscalationRule]:
    """The rules for this priority whose moment has come and that have not fired for this order yet."""
    due = []
    for rule in rules:
        if rule.id in fired_rule_ids or not rule.applies_to(priority):
            continue
        target = status.response if rule.target == "response" else status.resolution
        if rule_reached(rule, target):
            due.append(rule)
    return sorted(due, key=lambda r: (r.at_fraction, r.id))
