"""Payment rules: unapplied amounts, oldest-due-first plans, explicit allocations with over-allocation refusals,
refund limits and idempotent retries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from service_core.exceptions import Conflict, InvalidInput
from service_core.payments import domain
from service_core.payments.domain import Allocation, OpenItem


def test_unapplied_is_amount_less_allocations_and_refunds():
    assert domain.unapplied(D("100.00"), allocated=D("60.00"), refunded=D("15.50")) == D("24.50")


def test_oldest_due_first_then_lowest_id_each_up_to_its_balance():
    items = [
        OpenItem(3, date(2026, 3, 1), D("50.00")),
        OpenItem(2, date(2026, 1, 1), D("30.00")),
        OpenItem(1, date(2026, 1, 1), D("20.00")),
        OpenItem(4, date(2026, 4, 1), D("80.00")),
    ]
    plan = domain.plan_oldest_first(D("75.00"), items)
    assert plan == [Allocation(1, D("20.00")), Allocation(2, D("30.00")), Allocation(3, D("25.00"))]


def test_oldest_first_skips_settled_invoices_and_stops_when_money_runs_out():
    items = [OpenItem(1, date(2026, 1, 1), D(0)), OpenItem(2, date(2026, 2, 1), D("10.00"))]
    assert domain.plan_oldest_first(D("500.00"), items) == [Allocation(2, D("10.00"))]  # the rest stays as credit
    assert domain.plan_oldest_first(D(0), items) == []
    assert domain.plan_oldest_first(D(5), []) == []


def test_explicit_allocations_within_payment_and_balances_pass():
    wanted = [Allocation(1, D("10.00")), Allocation(2, D("5.00"))]
    assert domain.check_explicit(D("15.00"), wanted, {1: D("10.00"), 2: D("9.00")}) == wanted


def test_explicit_allocation_refuses_over_allocating_an_invoice():
    with pytest.raises(Conflict, match=r"invoice 1 has an open balance of 10\.00; 10\.01 would over-allocate it"):
        domain.check_explicit(D(100), [Allocation(1, D("10.01"))], {1: D("10.00")})


def test_explicit_allocation_refuses_over_allocating_the_payment():
    with pytest.raises(Conflict, match=r"the payment has 15\.00 unapplied; allocating 15\.01"):
        domain.check_explicit(D("15.00"), [Allocation(1, D("10.00")), Allocation(2, D("5.01"))], {1: D(10), 2: D(9)})


def test_explicit_allocation_refuses_empty_duplicate_and_non_positive_requests():
    with pytest.raises(InvalidInput, match="at least one"):
        domain.check_explicit(D(10), [], {})
    with pytest.raises(InvalidInput, match="once per"):
        domain.check_explicit(D(10), [Allocation(1, D(1)), Allocation(1, D(2))], {1: D(5)})
    with pytest.raises(InvalidInput, match="above zero"):
        domain.check_explicit(D(10), [Allocation(1, D(0))], {1: D(5)})


def test_refunds_only_of_unapplied_money():
    domain.check_refund(D("24.50"), available=D("24.50"))
    with pytest.raises(Conflict, match=r"only 24\.50 is unapplied"):
        domain.check_refund(D("24.51"), available=D("24.50"))
    with pytest.raises(InvalidInput):
        domain.check_refund(D(0), available=D(10))


def test_same_request_compares_every_field():
    stored = domain.PaymentRequest(1, D("10.00"), "USD", date(2026, 1, 1), "card", "ref")
    assert domain.same_request(stored, domain.PaymentRequest(1, D("10.0"), "USD", date(2026, 1, 1), "card", "ref"))
    assert not domain.same_request(stored, domain.PaymentRequest(1, D("10.01"), "USD", date(2026, 1, 1), "card", "ref"))
    assert not domain.same_request(stored, domain.PaymentRequest(1, D("10.00"), "USD", date(2026, 1, 1), "cash", "ref"))
