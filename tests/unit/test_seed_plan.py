"""The demo company plan: deterministic per seed, of the asked sizes, and consistent in itself."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest

from service_core.seed import plan_finance
from service_core.seed.model import Company, Sizes
from service_core.seed.plan import plan_company
from service_core.seed.plan_history import MAX_JOB_MINUTES, PAST_FATES
from service_core.seed.plan_master import ZONE
from service_core.seed.vocabulary import REGION, SKILLS

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday morning
SMALL = Sizes(accounts=8, assets=40, technicians=5, history_days=30, work_orders=50)


@pytest.fixture(scope="module")
def company() -> Company:
    return plan_company(seed=42, sizes=Sizes(), now=NOW)


def test_the_same_seed_gives_the_same_company() -> None:
    first = plan_company(seed=3, sizes=SMALL, now=NOW)
    again = plan_company(seed=3, sizes=SMALL, now=NOW)
    other = plan_company(seed=4, sizes=SMALL, now=NOW)
    assert first == again
    assert first.accounts != other.accounts
    assert first.work_orders != other.work_orders


def test_sizes_are_the_ones_asked_for(company: Company) -> None:
    assert len(company.accounts) == 30
    assert len(company.technicians) == 12
    assert sum(1 for a in company.assets if a.level == "asset") == 300
    assert len(company.work_orders) == 300
    small = plan_company(seed=1, sizes=SMALL, now=NOW)
    assert (len(small.accounts), len(small.technicians), len(small.work_orders)) == (8, 5, 50)
    assert sum(1 for a in small.assets if a.level == "asset") == 40


def test_the_hierarchy_has_sites_and_components(company: Company) -> None:
    levels = Counter(a.level for a in company.assets)
    assert levels["site"] > 0 and levels["component"] > 0
    by_key = {a.key: a for a in company.assets}
    for asset in company.assets:
        if asset.parent is not None:
            parent = by_key[asset.parent]
            assert parent.key < asset.key  # written before its children
            assert parent.account == asset.account
            assert (parent.level, asset.level) in {("site", "asset"), ("asset", "component")}


def test_every_asset_is_an_accounts_at_one_of_its_locations(company: Company) -> None:
    locations = {a.number: {loc.key for loc in a.locations} for a in company.accounts}
    for asset in company.assets:
        assert asset.account in locations
        assert asset.location in locations[asset.account]


def test_about_fifteen_percent_of_the_equipment_is_leased_to_whoever_pays(company: Company) -> None:
    equipment = {a.key: a for a in company.assets if a.level == "asset"}
    payer = {a.number: a.pays for a in company.accounts}
    assert len(company.leases) == 45  # 15% of 300
    assert len({lease.asset for lease in company.leases}) == len(company.leases)
    for lease in company.leases:
        assert lease.asset in equipment
        assert lease.account == payer[equipment[lease.asset].account]
        assert lease.start_date <= NOW.date() < lease.end_date


def test_coordinates_lie_in_the_rotterdam_region(company: Company) -> None:
    south, west, north, east = REGION
    points = [(loc.latitude, loc.longitude) for a in company.accounts for loc in a.locations]
    points += [t.home for t in company.technicians]
    assert points
    assert all(south <= lat <= north and west <= lon <= east for lat, lon in points)


def test_accounts_have_terms_contacts_and_valid_payers(company: Company) -> None:
    kinds = {a.number: a.kind for a in company.accounts}
    assert {a.payment_terms_days for a in company.accounts} <= {15, 30, 45}
    assert sum(1 for a in company.accounts if a.payer) >= 2
    for account in company.accounts:
        assert any(c.is_primary for c in account.contacts)
        if account.payer:
            assert account.kind == "service" and kinds[account.payer] in ("billing", "both")
        assert (account.kind == "billing") == (not account.locations)


def test_every_skill_is_held_by_two_technicians(company: Company) -> None:
    holders = Counter(code for t in company.technicians for code, _ in t.skills)
    assert all(holders[code] >= 2 for code, _ in SKILLS)
    assert all(1 <= level <= 5 for t in company.technicians for _, level in t.skills)
    assert all(t.shifts and all(s.break_minutes > 0 for s in t.shifts if s.weekday < 5) for t in company.technicians)


def test_agreements_cover_their_accounts_assets_and_one_is_a_warranty(company: Company) -> None:
    owner = {a.key: a.account for a in company.assets}
    kinds = Counter(a.kind for a in company.agreements)
    assert kinds["warranty"] == 1 and kinds["service"] >= 1
    assert {p.basis for a in company.agreements for p in a.pm_plans} == {"calendar", "meter"}
    for agreement in company.agreements:
        assert all(owner[key] == agreement.account for key in agreement.assets)
        assert all(p.asset in agreement.assets for p in agreement.pm_plans)
        assert agreement.end_date > NOW.date()


def test_work_reaches_every_stage(company: Company) -> None:
    fates = Counter(w.fate for w in company.work_orders)
    assert set(fates) == {"posted", "partial", "completed", "in_progress", "scheduled", "unscheduled", "canceled",
                          "canceled_booked"}  # fmt: skip
    assert fates["posted"] > len(company.work_orders) / 2
    created = [w.created_at for w in company.work_orders]
    assert created == sorted(created)
    assert all(NOW - timedelta(days=120) <= at < NOW for at in created)


def test_bookings_fit_the_timeline(company: Company) -> None:
    today = NOW.astimezone(ZONE).date()
    for w in company.work_orders:
        booking = w.booking
        assert (booking is None) == (w.fate in ("unscheduled", "canceled"))
        if booking is None:
            continue
        assert booking.start > w.created_at
        assert timedelta(0) < booking.end - booking.start <= timedelta(minutes=MAX_JOB_MINUTES)
        day = booking.start.astimezone(ZONE).date()
        if w.fate in PAST_FATES:
            assert day < today
            assert (w.resolution is None) == (w.fate == "canceled_booked")
        elif w.fate == "scheduled":
            assert day > today
        else:
            assert booking.start < NOW < booking.end


def test_a_technicians_bookings_and_travel_never_overlap(company: Company) -> None:
    spans: dict[int, list[tuple[datetime, datetime]]] = {}
    for w in company.work_orders:
        if w.booking:
            b = w.booking
            spans.setdefault(b.technician, []).append((b.start - timedelta(minutes=b.travel_minutes), b.end))
    for technician_spans in spans.values():
        technician_spans.sort()
        for (_, end), (start, _) in pairwise(technician_spans):
            assert end <= start


def test_run_hours_only_go_up(company: Company) -> None:
    asset = next(a for a in company.assets if a.level == "asset")
    readings = [company.run_hours(asset, NOW - timedelta(days=d)) for d in (120, 60, 1, 0)]
    assert readings == sorted(readings)
    assert readings[0] == asset.run_hours_at_start


def test_unusable_sizes_and_naive_now_are_refused() -> None:
    assert Sizes(accounts=2, history_days=7).problems() == [
        "accounts must be between 3 and 500",
        "history days must be between 14 and 730",
    ]
    with pytest.raises(ValueError, match="accounts must be between"):
        plan_company(seed=1, sizes=Sizes(accounts=1), now=NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        plan_company(seed=1, sizes=SMALL, now=datetime(2026, 1, 1))


def test_payments_are_never_in_the_future_nor_more_than_owed() -> None:
    rng = plan_finance.finance_rng(9)
    today = date(2026, 11, 18)
    outcomes = []
    for n in range(400):
        issued = today - timedelta(days=n % 90)
        due = issued + timedelta(days=30)
        outcomes.append(
            plan_finance.payment_for(rng, issue_date=issued, due_date=due, total=Decimal("100.00"), today=today)
        )
    paid = [p for p in outcomes if p is not None]
    assert all(p.received_on <= today and Decimal(0) < p.amount <= Decimal("100.00") for p in paid)
    assert any(p.amount < Decimal("100.00") for p in paid)  # some pay in part
    assert sum(1 for p in outcomes if p is None) > 40  # some do not pay (yet)
    assert plan_finance.payment_for(rng, issue_date=today, due_date=today, total=Decimal(0), today=today) is None
