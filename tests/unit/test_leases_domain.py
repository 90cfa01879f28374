"""The pure rules of leases: the state machine, month arithmetic, the schedule with proration, ending early."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from service_core.assets.lease_domain import (
    Charge,
    RentAfterEnd,
    add_months,
    end_early_problem,
    natural_end_problem,
    next_status,
    one_day_charge,
    rent_after_early_end,
    schedule,
)
from service_core.exceptions import InvalidTransition


@pytest.mark.parametrize(
    ("status", "action", "after"),
    [
        ("draft", "activate", "active"),
        ("active", "end", "ended"),
        ("active", "buy_out", "bought_out"),
        ("active", "terminate", "terminated"),
    ],
)
def test_allowed_steps(status, action, after):
    assert next_status(status, action) == after


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("draft", "end"),
        ("draft", "buy_out"),
        ("draft", "terminate"),
        ("active", "activate"),
        ("ended", "activate"),
        ("ended", "terminate"),
        ("bought_out", "end"),
        ("terminated", "buy_out"),
    ],
)
def test_refused_steps(status, action):
    with pytest.raises(InvalidTransition, match=f"a lease that is {status} cannot"):
        next_status(status, action)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 1, 31), 2, date(2024, 3, 31)),
        (date(2024, 1, 31), 3, date(2024, 4, 30)),
        (date(2024, 11, 15), 3, date(2025, 2, 15)),
        (date(2024, 12, 31), 12, date(2025, 12, 31)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
    ],
)
def test_add_months_is_month_end_safe(start, months, expected):
    assert add_months(start, months) == expected


def test_monthly_schedule_from_a_month_end_does_not_drift():
    charges = schedule(
        start=date(2024, 1, 31),
        end=date(2024, 4, 30),
        period_months=1,
        periodic_charge=Decimal("300"),
        deposit=Decimal(0),
    )
    assert [(c.period_start, c.period_end, c.amount) for c in charges] == [
        (date(2024, 1, 31), date(2024, 2, 29), Decimal("300.00")),
        (date(2024, 2, 29), date(2024, 3, 31), Decimal("300.00")),
        (date(2024, 3, 31), date(2024, 4, 30), Decimal("300.00")),
    ]
    assert all(c.kind == "rent" and c.due_date == c.period_start for c in charges)


def test_last_period_is_prorated_by_days_and_rounded_half_up():
    # quarterly from Jan 1; the lease ends Apr 11: 10 of the 91 days of Apr 1 - Jul 1
    charges = schedule(
        start=date(2024, 1, 1),
        end=date(2024, 4, 11),
        period_months=3,
        periodic_charge=Decimal("1000"),
        deposit=Decimal(0),
    )
    assert [(c.period_start, c.period_end, c.amount) for c in charges] == [
        (date(2024, 1, 1), date(2024, 4, 1), Decimal("1000.00")),
        (date(2024, 4, 1), date(2024, 4, 11), Decimal("109.89")),  # 1000 * 10 / 91 = 109.8901
    ]


def test_proration_rounds_a_half_cent_up():
    # 15 of 30 days (June) of 0.05 is 0.025 → 0.03
    charges = schedule(
        start=date(2024, 6, 1),
        end=date(2024, 6, 16),
        period_months=1,
        periodic_charge=Decimal("0.05"),
        deposit=Decimal(0),
    )
    assert [c.amount for c in charges] == [Decimal("0.03")]


def test_deposit_is_due_at_the_start():
    charges = schedule(
        start=date(2024, 1, 1),
        end=date(2025, 1, 1),
        period_months=12,
        periodic_charge=Decimal("5000"),
        deposit=Decimal("750"),
    )
    assert charges == [
        Charge("deposit", date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 1), Decimal("750.00")),
        Charge("rent", date(2024, 1, 1), date(2025, 1, 1), date(2024, 1, 1), Decimal("5000.00")),
    ]


def test_one_day_charges():
    assert one_day_charge("buyout", date(2024, 2, 29), Decimal("99.995")) == Charge(
        "buyout", date(2024, 2, 29), date(2024, 3, 1), date(2024, 2, 29), Decimal("100.00")
    )


def test_ending_early_must_fall_within_the_lease():
    start, end = date(2024, 1, 1), date(2024, 12, 31)
    assert end_early_problem(on=date(2024, 6, 1), start=start, end=end) is None
    assert end_early_problem(on=start, start=start, end=end) is None
    assert end_early_problem(on=date(2023, 12, 31), start=start, end=end) == "the lease starts on 2024-01-01"
    assert end_early_problem(on=end, start=start, end=end) == "the lease ends on 2024-12-31 anyway"


def test_ending_early_no_longer_owes_rent_from_that_day_on():
    on = date(2024, 6, 11)
    june, july = (date(2024, 6, 1), date(2024, 7, 1)), (date(2024, 7, 1), date(2024, 8, 1))

    def after(kind: str, period: tuple[date, date]) -> RentAfterEnd | None:
        return rent_after_early_end(kind=kind, period_start=period[0], period_end=period[1], on=on)

    assert after("rent", june) == RentAfterEnd(days=30, days_after_end=20)
    assert after("rent", july) == RentAfterEnd(days=31, days_after_end=31)
    assert after("rent", july).whole and not after("rent", june).whole  # type: ignore[union-attr]
    assert after("rent", (date(2024, 5, 1), date(2024, 6, 1))) is None  # over before the end
    assert after("rent", (date(2024, 5, 11), on)) is None  # ends the very day
    assert after("rent", (on, date(2024, 7, 11))) == RentAfterEnd(days=30, days_after_end=30)
    assert after("deposit", july) is None and after("termination_fee", june) is None


def test_the_share_after_the_end_is_prorated_by_day_and_rounded_to_cents():
    assert RentAfterEnd(days=31, days_after_end=11).share_of(Decimal("310.00")) == Decimal("110.00")
    assert RentAfterEnd(days=29, days_after_end=19).share_of(Decimal("300.00")) == Decimal("196.55")
    assert RentAfterEnd(days=30, days_after_end=30).share_of(Decimal("150.00")) == Decimal("150.00")


def test_a_lease_ends_as_agreed_only_from_its_end_date():
    assert natural_end_problem(today=date(2024, 12, 31), end=date(2024, 12, 31)) is None
    assert "runs until 2024-12-31" in (natural_end_problem(today=date(2024, 12, 30), end=date(2024, 12, 31)) or "")
