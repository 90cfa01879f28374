from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from service_core.analytics import domain
from service_core.analytics.money import month_ends

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_mtbf_pools_intervals_across_assets_and_ignores_single_failures():
    failures = {
        1: [T0, T0 + timedelta(hours=100), T0 + timedelta(hours=300)],  # intervals 100, 200
        2: [T0 + timedelta(hours=50), T0],  # unsorted: interval 50
        3: [T0],  # one failure: no interval
    }
    mtbf, intervals = domain.mtbf_hours(failures)
    assert intervals == 3
    assert mtbf == pytest.approx((100 + 200 + 50) / 3)
    assert domain.mtbf_hours({9: [T0]}) == (None, 0)


def test_rates_are_none_without_a_denominator():
    assert domain.rate(3, 4) == 0.75
    assert domain.rate(0, 0) is None
    assert domain.mean([]) is None


def test_percentile_interpolates_between_ranks():
    values = [10.0, 20.0, 30.0, 40.0]
    assert domain.percentile(values, 0) == 10.0
    assert domain.percentile(values, 100) == 40.0
    assert domain.percentile(values, 50) == pytest.approx(25.0)
    assert domain.percentile(values, 90) == pytest.approx(37.0)
    assert domain.percentile([], 50) is None
    with pytest.raises(ValueError):
        domain.percentile(values, 101)


def test_dso_is_receivables_over_sales_times_days():
    assert domain.days_sales_outstanding(Decimal("5000"), Decimal("15000"), 90) == Decimal("30.0")
    assert domain.days_sales_outstanding(Decimal("1"), Decimal("3"), 30) == Decimal("10.0")
    assert domain.days_sales_outstanding(Decimal("100"), Decimal("0"), 90) is None


def test_utilization_over_available_hours():
    assert domain.utilization(30.0, 40.0) == 0.75
    assert domain.utilization(5.0, 0.0) is None


def test_month_ends_walk_back_across_years_and_short_months():
    assert month_ends(date(2026, 3, 15), 4) == [
        date(2025, 12, 31),
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 15),
    ]
    assert month_ends(date(2026, 3, 15), 1) == [date(2026, 3, 15)]
