"""Pure rules of invoicing: line and tax arithmetic, coverage at zero, the minimum charge, totals, due dates,
credit-note limits and the status an invoice shows.  No database, no FastAPI.

Decisions:
- A line's amount is quantity x unit price less its discount, rounded half-up to cents per line; its tax is the
  amount x the account's tax rate, rounded half-up per line.  Totals are sums of the rounded lines.
- A covered line keeps its quantity and unit price (so the customer sees what was covered) but its amount and tax
  are zero, with the coverage reason shown.
- The minimum charge of the price list applies to work invoices only, and only when something is billable: when
  the billable subtotal (non-covered lines) is above zero but below the minimum, one 'minimum_charge' line adds the
  difference (taxed like any line).  Work that is fully covered is not charged a minimum.
- A credit-note line mirrors an invoice line with negative quantity, amount and tax; the quantities credited on a
  line never exceed its quantity, and the amounts never exceed what remains uncredited (the last credit of a line
  takes exactly its remaining amount and tax, so crediting in parts never drifts by a cent).
- A lease bought out or terminated credits, of each rent line it had invoiced, the share of the days no longer
  owed: that share of the line's amount (rounded half-up to cents) with its tax, within what remains uncredited.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from service_core.exceptions import InvalidInput

CENT = Decimal("0.01")
QUANTITY_STEP = Decimal("0.001")  # invoice_lines.quantity is numeric(12, 3)
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
MINIMUM_CHARGE_KIND = "minimum_charge"


def to_cents(value: Decimal) -> Decimal:
    """Round half-up to cents."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_amount(quantity: Decimal, unit_price: Decimal, discount_pct: Decimal = ZERO) -> Decimal:
    """Quantity x unit price less the discount percentage, rounded half-up to cents."""
    return to_cents(quantity * unit_price * (HUNDRED - discount_pct) / HUNDRED)


def line_tax(amount: Decimal, tax_rate: Decimal) -> Decimal:
    """The tax of one line at `tax_rate` (0.2 = 20 %), rounded half-up to cents."""
    return to_cents(amount * tax_rate)


@dataclass(frozen=True, slots=True)
class LineDraft:
    """What to bill on one line, before arithmetic."""

    description: str
    kind: str
    quantity: Decimal
    unit_price: Decimal
    discount_pct: Decimal = ZERO
    covered: bool = False
    coverage_reason: str | None = None
    work_order_line_id: int | None = None
    lease_period_id: int | None = None


@dataclass(frozen=True, slots=True)
class PricedLine:
    """An invoice line with its amount and tax computed."""

    description: str
    kind: str
    quantity: Decimal
    unit_price: Decimal
    discount_pct: Decimal
    amount: Decimal
    tax_rate: Decimal
    tax_amount: Decimal
    covered: bool = False
    coverage_reason: str | None = None
    work_order_line_id: int | None = None
    credits_line_id: int | None = None
    lease_period_id: int | None = None


def price_line(line: LineDraft, *, tax_rate: Decimal) -> PricedLine:
    """Amount and tax of one line; a covered line is billed at zero with its reason."""
    if line.quantity < 0 or line.unit_price < 0:
        raise InvalidInput("a line's quantity and unit price must not be negative")
    if not ZERO <= line.discount_pct <= HUNDRED:
        raise InvalidInput("a discount is between 0 and 100 percent")
    if line.covered:
        amount, tax = ZERO, ZERO
    else:
        amount = line_amount(line.quantity, line.unit_price, line.discount_pct)
        tax = line_tax(amount, tax_rate)
    return PricedLine(
        description=line.description,
        kind=line.kind,
        quantity=line.quantity,
        unit_price=line.unit_price,
        discount_pct=line.discount_pct,
        amount=amount,
        tax_rate=tax_rate,
        tax_amount=tax,
        covered=line.covered,
        coverage_reason=(line.coverage_reason or "covered") if line.covered else None,
        work_order_line_id=line.work_order_line_id,
        lease_period_id=line.lease_period_id,
    )


@dataclass(frozen=True, slots=True)
class Totals:
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal


def totals(lines: Iterable[PricedLine]) -> Totals:
    """Sums of the rounded line amounts and taxes."""
    items = list(lines)
    subtotal = sum((line.amount for line in items), ZERO)
    tax_total = sum((line.tax_amount for line in items), ZERO)
    return Totals(subtotal=subtotal, tax_total=tax_total, total=subtotal + tax_total)


def minimum_charge_line(lines: Iterable[PricedLine], *, minimum: Decimal, tax_rate: Decimal) -> PricedLine | None:
    """The extra line that brings a billable subtotal above zero up to `minimum`, or None when none is needed."""
    billable = sum((x.amount for x in lines if not x.covered and x.kind != MINIMUM_CHARGE_KIND), ZERO)
    if minimum <= 0 or billable <= 0 or billable >= minimum:
        return None
    top_up = to_cents(minimum - billable)
    return price_line(
        LineDraft(
            description=f"minimum charge {minimum} (billable work {billable})",
            kind=MINIMUM_CHARGE_KIND,
            quantity=Decimal(1),
            unit_price=top_up,
        ),
        tax_rate=tax_rate,
    )


def with_minimum_charge(lines: list[PricedLine], *, minimum: Decimal, tax_rate: Decimal) -> list[PricedLine]:
    """`lines` without any previous minimum-charge line, plus the one now needed (if any)."""
    kept = [x for x in lines if x.kind != MINIMUM_CHARGE_KIND]
    extra = minimum_charge_line(kept, minimum=minimum, tax_rate=tax_rate)
    return [*kept, extra] if extra else kept


def due_date(issue_date: date, payment_terms_days: int) -> date:
    """The day payment is due: the issue date plus the account's payment terms."""
    return issue_date + timedelta(days=payment_terms_days)


@dataclass(frozen=True, slots=True)
class CreditedSoFar:
    """What earlier credit notes took off one invoice line (positive magnitudes)."""

    quantity: Decimal = ZERO
    amount: Decimal = ZERO
    tax: Decimal = ZERO


def credit_line(
    original: PricedLine, *, original_id: int, credited: CreditedSoFar, quantity: Decimal | None = None
) -> PricedLine:
    """The negative mirror of `quantity` (default: all that remains) of an invoice line, within what remains."""
    remaining_qty = original.quantity - credited.quantity
    remaining_amount = original.amount - credited.amount
    remaining_tax = original.tax_amount - credited.tax
    if remaining_qty <= 0 or (remaining_amount <= 0 and remaining_tax <= 0):
        raise InvalidInput(f"line {original_id}: nothing remains to credit (amount {original.amount})")
    wanted = remaining_qty if quantity is None else quantity
    if wanted <= 0:
        raise InvalidInput(f"line {original_id}: the quantity to credit must be above zero")
    if wanted > remaining_qty:
        raise InvalidInput(f"line {original_id}: only {remaining_qty} of {original.quantity} remains to credit")
    if wanted == remaining_qty:
        amount, tax = remaining_amount, remaining_tax
    else:
        full = ZERO if original.covered else line_amount(wanted, original.unit_price, original.discount_pct)
        amount = min(full, remaining_amount)
        tax = min(line_tax(amount, original.tax_rate), remaining_tax)
    return replace(
        original,
        description=f"credit: {original.description}",
        quantity=-wanted,
        amount=-amount,
        tax_amount=-tax,
        work_order_line_id=None,
        credits_line_id=original_id,
        lease_period_id=None,
    )


def credit_share_of_line(
    original: PricedLine, *, original_id: int, credited: CreditedSoFar, numerator: int, denominator: int
) -> PricedLine | None:
    """The negative mirror of `numerator`/`denominator` of an invoice line (the days of a billed period no longer
    owed), within what remains uncredited; None when nothing remains.  The whole share takes all that remains;
    a part takes that share of the line's amount, rounded half-up to cents, and of its quantity (to 0.001)."""
    if not 0 < numerator <= denominator:
        raise InvalidInput(f"a share of a line is above zero and at most all of it, not {numerator}/{denominator}")
    remaining_qty = original.quantity - credited.quantity
    remaining_amount = original.amount - credited.amount
    remaining_tax = original.tax_amount - credited.tax
    if remaining_qty <= 0 or (remaining_amount <= 0 and remaining_tax <= 0):
        return None
    if numerator == denominator:
        return credit_line(original, original_id=original_id, credited=credited)
    amount = min(to_cents(original.amount * numerator / denominator), remaining_amount)
    quantity = (original.quantity * numerator / denominator).quantize(QUANTITY_STEP, rounding=ROUND_HALF_UP)
    return replace(
        original,
        description=f"credit: {original.description}",
        quantity=-min(max(quantity, QUANTITY_STEP), remaining_qty),
        amount=-amount,
        tax_amount=-min(line_tax(amount, original.tax_rate), remaining_tax),
        work_order_line_id=None,
        credits_line_id=original_id,
        lease_period_id=None,
    )


def credit_fits(*, invoice_total: Decimal, credited_before: Decimal, credit_total: Decimal) -> None:
    """Refuse a credit note that would credit more than the invoice's total (all credit notes together)."""
    if credit_total <= 0:
        raise InvalidInput("a credit note must credit an amount above zero")
    if credited_before + credit_total > invoice_total:
        left = invoice_total - credited_before
        raise InvalidInput(f"only {left} of the invoice's {invoice_total} remains to credit; asked {credit_total}")


def invoice_status(
    *, status: str, kind: str, total: Decimal, paid: Decimal, credited: Decimal, due: date | None, today: date
) -> str:
    """What an invoice shows: draft, discarded, open, partially_paid, overdue, paid or credited (a credit note:
    issued)."""
    if status != "issued" or kind == "credit_note":
        return status
    balance = total - paid - credited
    if balance <= 0:
        return "credited" if credited > 0 and paid == 0 else "paid"
    if due is not None and due < today:
        return "overdue"
    if paid + credited > 0:
        return "partially_paid"
    return "open"


def invoice_number(series: str, number: int) -> str:
    """The printed number: series and a zero-padded sequence, e.g. INV-000042."""
    return f"{series}-{number:06d}"
