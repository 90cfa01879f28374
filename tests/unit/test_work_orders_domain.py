"""The work-order status machine, how bookings drive it, billable quantities, review findings, posting rules."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from service_core.exceptions import Conflict, InvalidTransition, PermissionDenied
from service_core.work_orders import domain
from service_core.work_orders.domain import ReviewFacts, WorkOrderStatus

ALLOWED = [
    ("unscheduled", "scheduled"),
    ("unscheduled", "canceled"),
    ("scheduled", "in_progress"),
    ("scheduled", "unscheduled"),
    ("scheduled", "canceled"),
    ("in_progress", "scheduled"),
    ("in_progress", "unscheduled"),
    ("in_progress", "completed"),
    ("in_progress", "canceled"),
    ("completed", "posted"),
]


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_allowed_transitions(current: str, target: str) -> None:
    assert domain.ensure_transition(current, target) == WorkOrderStatus(target)


@pytest.mark.parametrize(
    ("current", "target"),
    [(a, b) for a in WorkOrderStatus for b in WorkOrderStatus if (a.value, b.value) not in ALLOWED],
)
def test_every_other_transition_is_refused_naming_both(current: WorkOrderStatus, target: WorkOrderStatus) -> None:
    with pytest.raises(InvalidTransition, match=f"from {current.value} to {target.value}"):
        domain.ensure_transition(current, target)


def test_posted_and_canceled_orders_are_frozen() -> None:
    for status in ("posted", "canceled"):
        with pytest.raises(Conflict, match=f"is {status}: it can no longer change"):
            domain.ensure_editable(status)
    domain.ensure_editable("completed")


def test_stale_version_is_refused() -> None:
    domain.ensure_version(3, None)
    domain.ensure_version(3, 3)
    with pytest.raises(Conflict, match="stale version 2: the work order is at version 3"):
        domain.ensure_version(3, 2)


@pytest.mark.parametrize(
    ("current", "bookings", "expected"),
    [
        ("unscheduled", ["scheduled"], "scheduled"),
        ("scheduled", ["scheduled", "traveling"], "in_progress"),
        ("scheduled", ["in_progress"], "in_progress"),
        ("in_progress", ["completed", "scheduled"], "in_progress"),
        ("in_progress", ["completed", "canceled"], "completed"),
        ("in_progress", ["completed", "completed"], "completed"),
        ("scheduled", ["canceled"], "unscheduled"),
        ("in_progress", ["canceled"], "unscheduled"),
        ("in_progress", ["canceled", "scheduled"], "scheduled"),
        ("in_progress", ["canceled", "completed", "scheduled"], "in_progress"),
        ("in_progress", ["canceled", "traveling"], "in_progress"),
        ("unscheduled", [], "unscheduled"),
        ("completed", ["scheduled"], "completed"),
        ("posted", ["traveling"], "posted"),
    ],
)
def test_status_follows_bookings(current: str, bookings: list[str], expected: str) -> None:
    assert domain.status_from_bookings(current, bookings) == expected


def test_complete_requires_no_active_booking() -> None:
    with pytest.raises(Conflict, match="1 booking\\(s\\) still traveling"):
        domain.ensure_can_complete("in_progress", None, ["traveling", "completed"])
    assert domain.ensure_can_complete("in_progress", None, ["completed"]) is True


def test_complete_on_a_booking_completed_order_only_records_the_resolution() -> None:
    assert domain.ensure_can_complete("completed", None, ["completed"]) is False
    with pytest.raises(InvalidTransition, match="from completed to completed"):
        domain.ensure_can_complete("completed", "fixed", ["completed"])
    with pytest.raises(InvalidTransition, match="from unscheduled to completed"):
        domain.ensure_can_complete("unscheduled", None, [])


def test_quantity_to_bill_defaults_to_quantity_and_only_a_dispatcher_bills_more() -> None:
    assert domain.billable_quantity(Decimal(2), None, may_override=False) == Decimal(2)
    assert domain.billable_quantity(Decimal(2), Decimal("1.5"), may_override=False) == Decimal("1.5")
    assert domain.billable_quantity(Decimal(2), Decimal(3), may_override=True) == Decimal(3)
    with pytest.raises(PermissionDenied, match="exceeds quantity"):
        domain.billable_quantity(Decimal(2), Decimal(3), may_override=False)


def test_sla_due_on_a_24x7_clock() -> None:
    start = datetime(2025, 1, 1, 22, 0, tzinfo=UTC)
    assert domain.sla_due(start, 240) == datetime(2025, 1, 2, 2, 0, tzinfo=UTC)
    assert domain.sla_due(start, None) is None


def test_review_findings_name_what_is_missing() -> None:
    facts = ReviewFacts("in_progress", 2, 1, 1, 0, 0, has_resolution=False)
    assert domain.review_findings(facts) == [
        "the work order is in_progress, not completed",
        "2 checklist task(s) still pending",
        "1 checklist task(s) failed",
        "1 estimated line(s) never marked used",
        "no used lines: nothing to bill",
        "no time recorded",
        "no resolution code recorded",
    ]
    assert domain.review_findings(ReviewFacts("completed", 0, 0, 0, 2, 90, has_resolution=True)) == []


def test_posting_needs_completion_and_a_finished_checklist_unless_forced() -> None:
    with pytest.raises(InvalidTransition, match="from in_progress to posted"):
        domain.ensure_can_post("in_progress", 0, force=False)
    with pytest.raises(Conflict, match="2 checklist task\\(s\\) are pending"):
        domain.ensure_can_post("completed", 2, force=False)
    domain.ensure_can_post("completed", 2, force=True)
    domain.ensure_can_post("completed", 0, force=False)


def test_actor_user_id() -> None:
    assert domain.parse_user_id("user:7") == 7
    assert domain.parse_user_id("api_key:3") is None
    assert domain.parse_user_id("system") is None
