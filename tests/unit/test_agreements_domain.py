"""Agreements: the lifecycle, line coverage (warranty, agreement flags and work types, discount) and fee periods."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from service_core.agreements.domain import (
    AgreementTerms,
    Coverage,
    FeePeriod,
    active_on,
    add_months,
    fee_schedule,
    line_coverage,
    next_status,
)
from service_core.exceptions import InvalidTransition

TERMS = AgreementTerms(
    agreement_id=7,
    number="AGR-7",
    kind="service",
    account_id=1,
    covered_work_types=frozenset({"maintenance", "inspection"}),
    covers_labour=True,
    covers_parts=False,
    covers_travel=True,
    discount_pct=Decimal("10.00"),
)
ON = date(2026, 6, 1)


# --- lifecycle ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "action", "expected"),
    [
        ("draft", "activate", "active"),
        ("draft", "cancel", "canceled"),
        ("active", "expire", "expired"),
        ("active", "cancel", "canceled"),
    ],
)
def test_allowed_transitions(current, action, expected):
    assert next_status(current, action) == expected


@pytest.mark.parametrize(
    ("current", "action"),
    [
        ("active", "activate"),
        ("draft", "expire"),
        ("expired", "activate"),
        ("expired", "cancel"),
        ("canceled", "activate"),
        ("canceled", "cancel"),
        ("canceled", "expire"),
    ],
)
def test_refused_transitions(current, action):
    with pytest.raises(InvalidTransition, match=f"is {current} cannot {action}"):
        next_status(current, action)


def test_unknown_action_is_refused():
    with pytest.raises(InvalidTransition, match="unknown agreement action"):
        next_status("draft", "renew")


def test_active_on_includes_both_end_dates():
    args = {"start_date": date(2026, 1, 1), "end_date": date(2026, 12, 31)}
    assert active_on(status="active", on=date(2026, 1, 1), **args)
    assert active_on(status="active", on=date(2026, 12, 31), **args)
    assert not active_on(status="active", on=date(2027, 1, 1), **args)
    assert not active_on(status="active", on=date(2025, 12, 31), **args)
    assert not active_on(status="draft", on=date(2026, 6, 1), **args)


# --- coverage ----------------------------------------------------------------------------------------------------


def test_agreement_covers_flagged_kind_of_a_covered_work_type():
    assert line_coverage(
        line_kind="labour", work_type="maintenance", terms=TERMS, warranty_end=None, on=ON
    ) == Coverage(True, Decimal(100), "covered by agreement AGR-7 (maintenance, labour)")
    travel = line_coverage(line_kind="travel", work_type="inspection", terms=TERMS, warranty_end=None, on=ON)
    assert travel.covered and travel.reason == "covered by agreement AGR-7 (inspection, travel)"
    service = line_coverage(line_kind="service", work_type="maintenance", terms=TERMS, warranty_end=None, on=ON)
    assert service.covered


def test_unflagged_kind_gets_the_discount():
    parts = line_coverage(line_kind="product", work_type="maintenance", terms=TERMS, warranty_end=None, on=ON)
    assert parts == Coverage(False, Decimal("10.00"), "parts not covered by agreement AGR-7; 10% discount")


def test_uncovered_work_type_gets_the_discount():
    repair = line_coverage(line_kind="labour", work_type="repair", terms=TERMS, warranty_end=None, on=ON)
    assert repair == Coverage(False, Decimal("10.00"), "repair work not covered by agreement AGR-7; 10% discount")


def test_no_discount_is_not_mentioned():
    no_discount = AgreementTerms(
        agreement_id=8,
        number="AGR-8",
        kind="service",
        account_id=1,
        covered_work_types=frozenset(),
        covers_labour=True,
        covers_parts=True,
        covers_travel=True,
        discount_pct=Decimal("0.00"),
    )
    cov = line_coverage(line_kind="labour", work_type="repair", terms=no_discount, warranty_end=None, on=ON)
    assert cov == Coverage(False, Decimal("0.00"), "repair work not covered by agreement AGR-8")


def test_warranty_covers_parts_and_labour_of_repairs():
    for kind, what in (("product", "parts"), ("labour", "labour")):
        cov = line_coverage(line_kind=kind, work_type="repair", terms=None, warranty_end=date(2026, 6, 1), on=ON)
        assert cov == Coverage(True, Decimal(100), f"covered by the asset's warranty until 2026-06-01 (repair, {what})")


def test_warranty_does_not_cover_travel_or_other_work():
    travel = line_coverage(line_kind="travel", work_type="repair", terms=None, warranty_end=date(2027, 1, 1), on=ON)
    assert not travel.covered
    maintenance = line_coverage(
        line_kind="labour", work_type="maintenance", terms=None, warranty_end=date(2027, 1, 1), on=ON
    )
    assert maintenance == Coverage(False, Decimal(0), "no agreement or warranty covers this work")


def test_warranty_wins_over_the_agreement_discount():
    cov = line_coverage(line_kind="product", work_type="repair", terms=TERMS, warranty_end=date(2027, 1, 1), on=ON)
    assert cov.covered and "warranty" in cov.reason


def test_expired_warranty_says_so():
    cov = line_coverage(line_kind="labour", work_type="repair", terms=None, warranty_end=date(2026, 5, 31), on=ON)
    assert cov == Coverage(False, Decimal(0), "no agreement; the warranty ended 2026-05-31")


def test_expired_warranty_falls_back_to_the_agreement():
    cov = line_coverage(line_kind="labour", work_type="maintenance", terms=TERMS, warranty_end=date(2020, 1, 1), on=ON)
    assert cov.covered and cov.reason == "covered by agreement AGR-7 (maintenance, labour)"


# --- fee schedule ------------------------------------------------------------------------------------------------


def test_add_months_clamps_to_the_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
    assert add_months(date(2026, 1, 31), 12) == date(2027, 1, 31)


def test_monthly_fee_for_a_calendar_year():
    periods = fee_schedule(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31), period_months=1, fee=Decimal(100))
    assert len(periods) == 12
    assert periods[0] == FeePeriod(date(2026, 1, 1), date(2026, 2, 1), date(2026, 1, 1), Decimal("100.00"))
    assert periods[-1] == FeePeriod(date(2026, 12, 1), date(2027, 1, 1), date(2026, 12, 1), Decimal("100.00"))
    assert sum(p.amount for p in periods) == Decimal("1200.00")


def test_quarterly_periods_do_not_drift_at_month_ends():
    periods = fee_schedule(start_date=date(2026, 1, 31), end_date=date(2027, 1, 30), period_months=3, fee=Decimal(300))
    assert [p.period_start for p in periods] == [
        date(2026, 1, 31),
        date(2026, 4, 30),
        date(2026, 7, 31),
        date(2026, 10, 31),
    ]
    assert periods[-1].period_end == date(2027, 1, 31)
    assert all(p.amount == Decimal("300.00") for p in periods)


def test_last_short_period_is_prorated_half_up():
    # 2026-01-01 .. 2026-02-10: January whole, then 10 of February's 28 days
    periods = fee_schedule(
        start_date=date(2026, 1, 1), end_date=date(2026, 2, 10), period_months=1, fee=Decimal("99.99")
    )
    assert periods[1] == FeePeriod(date(2026, 2, 1), date(2026, 2, 11), date(2026, 2, 1), Decimal("35.71"))


def test_no_fee_no_periods_and_bad_period_refused():
    assert fee_schedule(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31), period_months=1, fee=Decimal(0)) == []
    with pytest.raises(ValueError, match="1, 3, 6 or 12"):
        fee_schedule(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31), period_months=2, fee=Decimal(1))
