"""Pure rules of work orders: the status machine, how bookings drive it, billable quantities, review findings."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from service_core.exceptions import Conflict, InvalidTransition, PermissionDenied


class WorkOrderStatus(StrEnum):
    UNSCHEDULED = "unscheduled"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    POSTED = "posted"
    CANCELED = "canceled"


S = WorkOrderStatus
TRANSITIONS: dict[WorkOrderStatus, frozenset[WorkOrderStatus]] = {
    S.UNSCHEDULED: frozenset({S.SCHEDULED, S.CANCELED}),
    S.SCHEDULED: frozenset({S.UNSCHEDULED, S.IN_PROGRESS, S.CANCELED}),
    S.IN_PROGRESS: frozenset({S.SCHEDULED, S.UNSCHEDULED, S.COMPLETED, S.CANCELED}),  # back: started visit canceled
    S.COMPLETED: frozenset({S.POSTED}),
    S.POSTED: frozenset(),
    S.CANCELED: frozenset(),
}
OPEN = frozenset({S.UNSCHEDULED, S.SCHEDULED, S.IN_PROGRESS})
EDITABLE = frozenset({S.UNSCHEDULED, S.SCHEDULED, S.IN_PROGRESS, S.COMPLETED})
ACTIVE_BOOKING = frozenset({"scheduled", "traveling", "in_progress"})
STARTED_BOOKING = frozenset({"traveling", "in_progress"})


def ensure_transition(current: str, target: str) -> WorkOrderStatus:
    """The target status if the machine allows `current → target`; `InvalidTransition` naming both otherwise."""
    source, wanted = WorkOrderStatus(current), WorkOrderStatus(target)
    if wanted not in TRANSITIONS[source]:
        allowed = ", ".join(sorted(TRANSITIONS[source])) or "nothing (final)"
        raise InvalidTransition(f"work order cannot go from {source.value} to {wanted.value}; allowed: {allowed}")
    return wanted


def ensure_editable(status: str, what: str = "change") -> None:
    """Posted and canceled work orders are frozen: refuse any change with the reason."""
    if WorkOrderStatus(status) not in EDITABLE:
        raise Conflict(f"the work order is {status}: it can no longer {what}")


def ensure_version(current: int, expected: int | None) -> None:
    """Optimistic concurrency: a client that read an older version must read again."""
    if expected is not None and expected != current:
        raise Conflict(f"stale version {expected}: the work order is at version {current}; read it again")


def status_from_bookings(current: str, booking_statuses: Iterable[str]) -> WorkOrderStatus:
    """Where the bookings put the work order: started → in progress, all done → completed, some still to come →
    scheduled (in progress once a visit was done), none left → unscheduled (also when a started visit is canceled)."""
    status = WorkOrderStatus(current)
    if status not in OPEN:
        return status
    statuses = list(booking_statuses)
    if any(s in STARTED_BOOKING for s in statuses):
        return S.IN_PROGRESS
    if any(s == "scheduled" for s in statuses):
        return S.IN_PROGRESS if status is S.IN_PROGRESS and "completed" in statuses else S.SCHEDULED
    if "completed" in statuses:
        return S.COMPLETED
    return S.UNSCHEDULED


def ensure_can_complete(status: str, resolution_code: str | None, booking_statuses: Collection[str]) -> bool:
    """Whether completing is a transition (False: only the resolution is recorded on a completed order)."""
    active = sorted(s for s in booking_statuses if s in ACTIVE_BOOKING)
    if active:
        raise Conflict(f"cannot complete: {len(active)} booking(s) still {', '.join(sorted(set(active)))}")
    if status == S.COMPLETED and resolution_code is None:
        return False
    ensure_transition(status, S.COMPLETED)
    return True


def billable_quantity(quantity: Decimal, quantity_to_bill: Decimal | None, *, may_override: bool) -> Decimal:
    """What to bill: the quantity by default; more than was used only when a dispatcher overrides."""
    to_bill = quantity if quantity_to_bill is None else quantity_to_bill
    if to_bill > quantity and not may_override:
        raise PermissionDenied(f"quantity_to_bill {to_bill} exceeds quantity {quantity}: only a dispatcher may")
    return to_bill


def sla_due(start: datetime, minutes: int | None) -> datetime | None:
    """A due time on a 24x7 clock (used when no business-hours calendar applies)."""
    return None if minutes is None else start + timedelta(minutes=minutes)


@dataclass(frozen=True, slots=True)
class ReviewFacts:
    """What a supervisor sees before posting."""

    status: str
    pending_tasks: int
    failed_tasks: int
    estimated_lines: int
    used_lines: int
    time_minutes: int
    has_resolution: bool


def review_findings(facts: ReviewFacts) -> list[str]:
    """What is missing or odd before the work order can be posted, in plain words."""
    findings = []
    if facts.status != S.COMPLETED:
        findings.append(f"the work order is {facts.status}, not completed")
    if facts.pending_tasks:
        findings.append(f"{facts.pending_tasks} checklist task(s) still pending")
    if facts.failed_tasks:
        findings.append(f"{facts.failed_tasks} checklist task(s) failed")
    if facts.estimated_lines:
        findings.append(f"{facts.estimated_lines} estimated line(s) never marked used")
    if not facts.used_lines:
        findings.append("no used lines: nothing to bill")
    if not facts.time_minutes:
        findings.append("no time recorded")
    if not facts.has_resolution:
        findings.append("no resolution code recorded")
    return findings


def ensure_can_post(status: str, pending_tasks: int, *, force: bool) -> None:
    """Only completed work is posted, and not with pending checklist tasks unless forced with a reason."""
    ensure_transition(status, S.POSTED)
    if pending_tasks and not force:
        raise Conflict(f"{pending_tasks} checklist task(s) are pending: finish them or post with force and a reason")


def parse_user_id(actor: str) -> int | None:
    """The user id of an actor named `user:7`; None for API keys and the system."""
    kind, _, ident = actor.partition(":")
    return int(ident) if kind == "user" and ident.isdigit() else None
