"""Receivables rules: aging buckets at their boundaries, dunning level selection and interest, pausing dunning,
promises, the credit-hold decision and the risk ordering of the worklist."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from service_core.receivables import domain
from service_core.receivables.domain import AccountRisk, DunningLevel

AS_OF = date(2026, 6, 30)


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-5, "current"),
        (0, "current"),
        (1, "days_1_30"),
        (30, "days_1_30"),
        (31, "days_31_60"),
        (60, "days_31_60"),
        (61, "days_61_90"),
        (90, "days_61_90"),
        (91, "days_90_plus"),
        (400, "days_90_plus"),
    ],
)
def test_bucket_boundaries(days: int, bucket: str):
    assert domain.bucket_for(days) == bucket


def test_age_sums_open_balances_per_bucket_and_nets_credit():
    items = [
        (AS_OF, D("10.00")),  # due today: current
        (AS_OF - timedelta(days=30), D("20.00")),
        (AS_OF - timedelta(days=31), D("30.00")),
        (AS_OF - timedelta(days=91), D("40.00")),
        (AS_OF - timedelta(days=95), D("0.00")),  # settled: ignored
    ]
    aging = domain.age(items, as_of=AS_OF, credit=D("15.00"))
    assert aging.buckets == {
        "current": D("10.00"),
        "days_1_30": D("20.00"),
        "days_31_60": D("30.00"),
        "days_61_90": D("0.00"),
        "days_90_plus": D("40.00"),
    }
    assert (aging.open_total, aging.credit, aging.net) == (D("100.00"), D("15.00"), D("85.00"))


LEVELS = [
    DunningLevel(1, 7, "reminder"),
    DunningLevel(2, 30, "fee", fee=D("25.00")),
    DunningLevel(3, 60, "final", fee=D("50.00"), annual_interest_pct=D("8.000"), places_credit_hold=True),
]


@pytest.mark.parametrize(
    ("days", "sent", "expected"),
    [
        (6, [], None),
        (7, [], 1),
        (29, [1], None),
        (30, [1], 2),
        (45, [], 2),  # level 1 was never sent: the highest reached is sent, once
        (45, [2], None),
        (75, [1], 3),
        (75, [3], None),
        (200, [1, 2, 3], None),
    ],
)
def test_next_notice_reaches_the_highest_due_level_once(days: int, sent: list[int], expected: int | None):
    level = domain.next_notice(LEVELS, days=days, sent=sent)
    assert (level.level if level else None) == expected


def test_level_charges_and_interest():
    assert not LEVELS[0].charges and LEVELS[1].charges and LEVELS[2].charges
    # 1000 x 8 % x 60 / 365 = 13.1506... → 13.15
    assert domain.interest(D("1000.00"), annual_pct=D("8.000"), days=60) == D("13.15")
    # 123.45 x 8 % x 61 / 365 = 1.65050... → 1.65 ; half-up at the cent: 912.50 x 8% x 5/365 = 1.0000
    assert domain.interest(D("123.45"), annual_pct=D("8"), days=61) == D("1.65")
    assert domain.interest(D("456.25"), annual_pct=D("10"), days=1) == D("0.13")  # 0.125 → 0.13
    assert domain.interest(D("100"), annual_pct=D(0), days=60) == D(0)
    assert domain.interest(D("100"), annual_pct=D(8), days=0) == D(0)


def test_disputes_and_running_promises_pause_dunning():
    assert domain.may_dun(disputed=False, open_promise_dates=[], as_of=AS_OF)
    assert not domain.may_dun(disputed=True, open_promise_dates=[], as_of=AS_OF)
    assert not domain.may_dun(disputed=False, open_promise_dates=[AS_OF], as_of=AS_OF)
    assert domain.may_dun(disputed=False, open_promise_dates=[AS_OF - timedelta(days=1)], as_of=AS_OF)


@pytest.mark.parametrize(
    ("paid", "balance", "as_of", "expected"),
    [
        ("50.00", "50.00", date(2026, 6, 1), "kept"),
        ("10.00", "0.00", date(2026, 6, 1), "kept"),
        ("10.00", "90.00", date(2026, 6, 10), "open"),  # on the promised day it still runs
        ("10.00", "90.00", date(2026, 6, 11), "broken"),
    ],
)
def test_promise_outcome(paid: str, balance: str, as_of: date, expected: str):
    outcome = domain.promise_outcome(
        promised_date=date(2026, 6, 10), amount=D("50.00"), paid_since=D(paid), balance=D(balance), as_of=as_of
    )
    assert outcome == expected


def test_credit_hold_decision():
    hold, reason = domain.credit_hold_decision(exposure=D("1000.01"), credit_limit=D("1000"), hold_level_invoices=[])
    assert hold and reason == "open balance 1000.01 exceeds the credit limit 1000"
    assert not domain.credit_hold_decision(exposure=D("1000"), credit_limit=D("1000"), hold_level_invoices=[])[0]
    assert not domain.credit_hold_decision(exposure=D("9e9"), credit_limit=None, hold_level_invoices=[])[0]
    hold, reason = domain.credit_hold_decision(
        exposure=D(0), credit_limit=D(1000), hold_level_invoices=["INV-000002", "INV-000001"]
    )
    assert hold and reason == "seriously overdue: INV-000001, INV-000002"


def test_risk_score_and_ordering():
    small_old = AccountRisk(1, overdue=[(D("100.00"), 90)])  # 90 amount-days x 100 / 100 = 90
    big_new = AccountRisk(2, overdue=[(D("1000.00"), 10)])  # 100
    escalated = AccountRisk(3, overdue=[(D("10.00"), 10)], dunning_level=2, broken_promises=1, credit_hold=True)
    tie = AccountRisk(4, overdue=[(D("100.00"), 90)])
    score, reason = domain.risk_score(escalated)
    assert score == D("951.00")  # 1.00 + 200 + 250 + 500
    assert reason == "10.00 overdue (oldest 10 days); dunning level 2; 1 broken promise(s); on credit hold"
    ranked = domain.rank([small_old, big_new, escalated, tie])
    assert [(r.account_id, s) for r, s, _ in ranked] == [
        (3, D("951.00")),
        (2, D("100.00")),
        (1, D("90.00")),
        (4, D("90.00")),
    ]


def test_only_an_open_promise_can_be_withdrawn():
    assert domain.promise_cancel_problem("open") is None
    for settled in ("kept", "broken", "canceled"):
        problem = domain.promise_cancel_problem(settled)
        assert problem is not None and settled in problem
