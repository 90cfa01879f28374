"""Invoice arithmetic to the cent: lines, tax, coverage at zero, minimum charge, totals, due dates, credit limits,
the shown status and the price precedence."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from service_core.billing import domain
from service_core.billing.domain import CreditedSoFar, LineDraft, price_line
from service_core.billing.pricing import PriceCandidates, resolve_unit_price
from service_core.exceptions import InvalidInput


@pytest.mark.parametrize(
    ("quantity", "price", "discount", "expected"),
    [
        ("1", "10.00", "0", "10.00"),
        ("3", "0.335", "0", "1.01"),  # 1.005 rounds half-up
        ("1.5", "33.33", "0", "50.00"),  # 49.995 → 50.00
        ("2", "10.05", "5", "19.10"),  # 20.10 less 5 % = 19.095 → 19.10
        ("0.125", "0.10", "0", "0.01"),  # 0.0125 → 0.01
        ("7", "19.99", "100", "0.00"),
    ],
)
def test_line_amount_rounds_half_up_per_line(quantity: str, price: str, discount: str, expected: str):
    assert domain.line_amount(D(quantity), D(price), D(discount)) == D(expected)


def test_tax_per_line_at_the_account_rate_and_totals_sum_rounded_lines():
    lines = [price_line(LineDraft("a", "service", D(1), D("0.05")), tax_rate=D("0.1000")) for _ in range(3)]
    assert [x.tax_amount for x in lines] == [D("0.01")] * 3  # 0.005 → 0.01 on each line
    sums = domain.totals(lines)
    assert (sums.subtotal, sums.tax_total, sums.total) == (D("0.15"), D("0.03"), D("0.18"))


def test_covered_line_is_zero_with_its_reason_and_keeps_its_price():
    line = price_line(
        LineDraft("labour", "labour", D(2), D("80.00"), covered=True, coverage_reason="agreement A-1 covers labour"),
        tax_rate=D("0.2"),
    )
    assert (line.amount, line.tax_amount, line.unit_price, line.quantity) == (D(0), D(0), D("80.00"), D(2))
    assert line.covered and line.coverage_reason == "agreement A-1 covers labour"
    unnamed = price_line(LineDraft("x", "product", D(1), D(1), covered=True), tax_rate=D(0))
    assert unnamed.coverage_reason == "covered"


def test_price_line_refuses_negative_and_out_of_range_input():
    with pytest.raises(InvalidInput, match="must not be negative"):
        price_line(LineDraft("x", "service", D(-1), D(1)), tax_rate=D(0))
    with pytest.raises(InvalidInput, match="between 0 and 100"):
        price_line(LineDraft("x", "service", D(1), D(1), discount_pct=D(101)), tax_rate=D(0))


def test_minimum_charge_tops_up_billable_work_only():
    billable = price_line(LineDraft("svc", "service", D(1), D("40.00")), tax_rate=D("0.1"))
    covered = price_line(LineDraft("lab", "labour", D(1), D("500"), covered=True), tax_rate=D("0.1"))
    extra = domain.minimum_charge_line([billable, covered], minimum=D("100.00"), tax_rate=D("0.1"))
    assert extra is not None
    assert (extra.kind, extra.amount, extra.tax_amount) == ("minimum_charge", D("60.00"), D("6.00"))
    # nothing billable (all covered): no minimum; already above: none; no minimum set: none
    assert domain.minimum_charge_line([covered], minimum=D(100), tax_rate=D(0)) is None
    assert domain.minimum_charge_line([billable], minimum=D("40.00"), tax_rate=D(0)) is None
    assert domain.minimum_charge_line([billable], minimum=D(0), tax_rate=D(0)) is None


def test_with_minimum_charge_replaces_a_previous_top_up():
    small = price_line(LineDraft("svc", "service", D(1), D("30.00")), tax_rate=D(0))
    first = domain.with_minimum_charge([small], minimum=D(50), tax_rate=D(0))
    assert [x.amount for x in first] == [D("30.00"), D("20.00")]
    bigger = price_line(LineDraft("svc", "service", D(1), D("45.00")), tax_rate=D(0))
    again = domain.with_minimum_charge([*first, bigger], minimum=D(50), tax_rate=D(0))
    assert [x.kind for x in again] == ["service", "service"]


def test_due_date_is_issue_date_plus_terms():
    assert domain.due_date(date(2026, 1, 31), 30) == date(2026, 3, 2)
    assert domain.due_date(date(2026, 12, 20), 14) == date(2027, 1, 3)
    assert domain.due_date(date(2026, 5, 5), 0) == date(2026, 5, 5)


def _line(quantity: str = "3", price: str = "10.00", tax: str = "0.2") -> domain.PricedLine:
    return price_line(LineDraft("part", "product", D(quantity), D(price)), tax_rate=D(tax))


def test_credit_line_mirrors_the_whole_line_negatively():
    credit = domain.credit_line(_line(), original_id=7, credited=CreditedSoFar())
    assert (credit.quantity, credit.amount, credit.tax_amount, credit.credits_line_id) == (
        D(-3),
        D("-30.00"),
        D("-6.00"),
        7,
    )
    assert credit.description == "credit: part"


def test_partial_credits_never_exceed_the_line_and_the_last_takes_the_exact_rest():
    line = _line(quantity="3", price="0.35", tax="0.1")  # amount 1.05, tax 0.11 (0.105 → 0.11)
    first = domain.credit_line(line, original_id=1, credited=CreditedSoFar(), quantity=D(1))
    assert (first.amount, first.tax_amount) == (D("-0.35"), D("-0.04"))
    so_far = CreditedSoFar(quantity=D(1), amount=D("0.35"), tax=D("0.04"))
    second = domain.credit_line(line, original_id=1, credited=so_far, quantity=D(2))
    assert (second.amount, second.tax_amount) == (D("-0.70"), D("-0.07"))  # exact rest: sums to 1.05 and 0.11
    with pytest.raises(InvalidInput, match=r"only 2 of 3 remains"):
        domain.credit_line(line, original_id=1, credited=so_far, quantity=D(3))
    done = CreditedSoFar(quantity=D(3), amount=D("1.05"), tax=D("0.11"))
    with pytest.raises(InvalidInput, match="nothing remains to credit"):
        domain.credit_line(line, original_id=1, credited=done)
    with pytest.raises(InvalidInput, match="above zero"):
        domain.credit_line(line, original_id=1, credited=CreditedSoFar(), quantity=D(0))


def test_a_covered_line_has_nothing_to_credit():
    covered = price_line(LineDraft("lab", "labour", D(1), D(80), covered=True), tax_rate=D(0))
    with pytest.raises(InvalidInput, match="nothing remains to credit"):
        domain.credit_line(covered, original_id=2, credited=CreditedSoFar())


def _rent_line(amount: str = "310.00", tax: str = "0.2") -> domain.PricedLine:
    return price_line(LineDraft("lease L-1: rent", "lease", D(1), D(amount), lease_period_id=9), tax_rate=D(tax))


def test_a_share_of_a_rent_line_credits_that_share_of_its_amount_and_tax():
    rent = _rent_line()
    assert rent.lease_period_id == 9
    credit = domain.credit_share_of_line(rent, original_id=4, credited=CreditedSoFar(), numerator=11, denominator=31)
    assert credit is not None
    assert (credit.quantity, credit.amount, credit.tax_amount, credit.credits_line_id) == (
        D("-0.355"),  # 11/31 = 0.3548... of the quantity, to 0.001
        D("-110.00"),  # 11 of the 31 days of 310.00
        D("-22.00"),
        4,
    )
    assert credit.lease_period_id is None and credit.description == "credit: lease L-1: rent"
    rounded = domain.credit_share_of_line(
        _rent_line("300.00"), original_id=4, credited=CreditedSoFar(), numerator=19, denominator=29
    )
    assert rounded is not None and rounded.amount == D("-196.55")  # 196.551... rounds half-up to cents


def test_the_whole_share_credits_all_that_remains_and_nothing_left_is_none():
    rent = _rent_line()
    so_far = CreditedSoFar(quantity=D("0.5"), amount=D("100.00"), tax=D("20.00"))
    whole = domain.credit_share_of_line(rent, original_id=4, credited=so_far, numerator=30, denominator=30)
    assert whole is not None and (whole.quantity, whole.amount, whole.tax_amount) == (
        D("-0.5"),
        D("-210.00"),
        D("-42.00"),
    )
    capped = domain.credit_share_of_line(rent, original_id=4, credited=so_far, numerator=29, denominator=30)
    assert capped is not None and (capped.quantity, capped.amount, capped.tax_amount) == (
        D("-0.5"),
        D("-210.00"),
        D("-42.00"),
    )  # 29/30 of 310.00 is more than the 210.00 left uncredited
    done = CreditedSoFar(quantity=D(1), amount=D("310.00"), tax=D("62.00"))
    assert domain.credit_share_of_line(rent, original_id=4, credited=done, numerator=1, denominator=2) is None
    with pytest.raises(InvalidInput, match="a share of a line"):
        domain.credit_share_of_line(rent, original_id=4, credited=CreditedSoFar(), numerator=0, denominator=30)
    with pytest.raises(InvalidInput, match="a share of a line"):
        domain.credit_share_of_line(rent, original_id=4, credited=CreditedSoFar(), numerator=31, denominator=30)


def test_credit_notes_together_never_exceed_the_invoice():
    domain.credit_fits(invoice_total=D("100.00"), credited_before=D("60.00"), credit_total=D("40.00"))
    with pytest.raises(InvalidInput, match=r"only 40\.00 of the invoice's 100\.00 remains"):
        domain.credit_fits(invoice_total=D("100.00"), credited_before=D("60.00"), credit_total=D("40.01"))
    with pytest.raises(InvalidInput, match="above zero"):
        domain.credit_fits(invoice_total=D("100.00"), credited_before=D(0), credit_total=D(0))


@pytest.mark.parametrize(
    ("status", "kind", "paid", "credited", "due", "expected"),
    [
        ("draft", "invoice", "0", "0", None, "draft"),
        ("discarded", "invoice", "0", "0", None, "discarded"),
        ("issued", "credit_note", "0", "0", date(2026, 1, 1), "issued"),
        ("issued", "invoice", "0", "0", date(2026, 6, 30), "open"),
        ("issued", "invoice", "0", "0", date(2026, 6, 1), "overdue"),
        ("issued", "invoice", "40", "0", date(2026, 6, 30), "partially_paid"),
        ("issued", "invoice", "40", "0", date(2026, 6, 1), "overdue"),
        ("issued", "invoice", "100", "0", date(2026, 6, 1), "paid"),
        ("issued", "invoice", "0", "100", date(2026, 6, 1), "credited"),
        ("issued", "invoice", "50", "50", date(2026, 6, 1), "paid"),
    ],
)
def test_shown_status(status: str, kind: str, paid: str, credited: str, due: date | None, expected: str):
    shown = domain.invoice_status(
        status=status, kind=kind, total=D(100), paid=D(paid), credited=D(credited), due=due, today=date(2026, 6, 15)
    )
    assert shown == expected


def test_invoice_number_format():
    assert domain.invoice_number("INV", 42) == "INV-000042"
    assert domain.invoice_number("CN", 1234567) == "CN-1234567"


@pytest.mark.parametrize(
    ("kind", "candidates", "expected"),
    [
        ("labour", PriceCandidates(line_price=D(5), agreement_labour_rate=D(60)), (D(5), "line")),
        (
            "labour",
            PriceCandidates(agreement_labour_rate=D(60), price_list_price=D(70)),
            (D(60), "agreement labour rate"),
        ),
        ("product", PriceCandidates(agreement_labour_rate=D(60), price_list_price=D(7)), (D(7), "price list")),
        ("product", PriceCandidates(price_list_price=D(0), item_list_price=D(9)), (D(0), "price list")),
        ("product", PriceCandidates(item_list_price=D(9)), (D(9), "item list price")),
        ("labour", PriceCandidates(item_list_price=D(0), resource_rate=D(80)), (D(80), "resource bill rate")),
        ("product", PriceCandidates(resource_rate=D(80)), (D(0), "unpriced")),
        ("travel", PriceCandidates(), (D(0), "unpriced")),
    ],
)
def test_unit_price_precedence(kind: str, candidates: PriceCandidates, expected: tuple[D, str]):
    assert resolve_unit_price(kind, candidates) == expected
