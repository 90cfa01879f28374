"""Pure rules of agreements: the lifecycle, what a line of work is covered by, and the periodic fee schedule.

An agreement covers its dates inclusively: `start_date` through `end_date`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from service_core.exceptions import InvalidTransition

AgreementStatus = Literal["draft", "active", "expired", "canceled"]
AgreementAction = Literal["activate", "expire", "cancel"]
LineKind = Literal["product", "labour", "travel", "service"]
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)

# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], AgreementStatus]] = {
    "activate": (frozenset({"draft"}), "active"),
    "expire": (frozenset({"active"}), "expired"),
    "cancel": (frozenset({"draft", "active"}), "canceled"),
}
LINE_FLAG_NAMES = {"product": "parts", "labour": "labour", "travel": "travel", "service": "service"}


def next_status(current: str, action: str) -> AgreementStatus:
    """The status `action` leads to from `current`; `InvalidTransition` when the lifecycle does not allow it."""
    if action not in TRANSITIONS:
        raise InvalidTransition(f"unknown agreement action {action!r}")
    sources, target = TRANSITIONS[action]
    if current not in sources:
        raise InvalidTransition(
            f"an agreement that is {current} cannot {action}; only a {' or '.join(sorted(sources))} one"
        )
    return target


def active_on(*, status: str, start_date: date, end_date: date, on: date) -> bool:
    """An agreement applies on a day when it is active and the day is within its dates (inclusive)."""
    return status == "active" and start_date <= on <= end_date


@dataclass(frozen=True, slots=True)
class AgreementTerms:
    """What an active agreement grants on a work order."""

    agreement_id: int
    number: str
    kind: str
    account_id: int
    covered_work_types: frozenset[str]
    covers_labour: bool
    covers_parts: bool
    covers_travel: bool
    discount_pct: Decimal
    labour_rate: Decimal | None = None
    price_list_id: int | None = None
    calendar_id: int | None = None

    def covers_line_kind(self, line_kind: str) -> bool:
        return {
            "product": self.covers_parts,
            "labour": self.covers_labour,
            "travel": self.covers_travel,
            "service": True,  # a fixed-price job of a covered work type is covered whole
        }.get(line_kind, False)


@dataclass(frozen=True, slots=True)
class Coverage:
    covered: bool
    discount_pct: Decimal  # 100 when covered; else the agreement's discount on billable work
    reason: str


def line_coverage(
    *, line_kind: str, work_type: str, terms: AgreementTerms | None, warranty_end: date | None, on: date
) -> Coverage:
    """Whether a line of work is free (warranty or agreement) and what discount applies to it otherwise.

    An asset under warranty on `on` gets the parts and labour of repair work free; an agreement covers the line
    kinds it flags on the work types it lists; any other work under an agreement gets its discount.
    """
    what = LINE_FLAG_NAMES.get(line_kind, line_kind)
    under_warranty = warranty_end is not None and on <= warranty_end
    if under_warranty and work_type == "repair" and line_kind in ("product", "labour"):
        return Coverage(True, HUNDRED, f"covered by the asset's warranty until {warranty_end} (repair, {what})")
    if terms is not None and work_type in terms.covered_work_types and terms.covers_line_kind(line_kind):
        return Coverage(True, HUNDRED, f"covered by agreement {terms.number} ({work_type}, {what})")
    if terms is not None:
        discount = terms.discount_pct
        why = (
            f"{what} not covered by agreement {terms.number}"
            if work_type in terms.covered_work_types
            else f"{work_type} work not covered by agreement {terms.number}"
        )
        return Coverage(False, discount, f"{why}; {discount.normalize():f}% discount" if discount else why)
    if warranty_end is not None and not under_warranty:
        return Coverage(False, ZERO, f"no agreement; the warranty ended {warranty_end}")
    return Coverage(False, ZERO, "no agreement or warranty covers this work")


# --- fees --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeePeriod:
    period_start: date
    period_end: date  # exclusive
    due_date: date
    amount: Decimal


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def fee_schedule(*, start_date: date, end_date: date, period_months: int, fee: Decimal) -> list[FeePeriod]:
    """The billing periods of an agreement, each due on its first day (billed in advance).

    Periods are counted from the start date (so they do not drift at month ends); a last, shorter period is
    charged pro rata by days, rounded half up to cents.  No fee, no periods.
    """
    if fee <= ZERO:
        return []
    if period_months not in (1, 3, 6, 12):
        raise ValueError("the billing period must be 1, 3, 6 or 12 months")
    stop = end_date + timedelta(days=1)  # the end date is covered
    periods = []
    k = 0
    while (start := add_months(start_date, k * period_months)) < stop:
        full_end = add_months(start_date, (k + 1) * period_months)
        end = min(full_end, stop)
        amount = fee if end == full_end else fee * Decimal((end - start).days) / Decimal((full_end - start).days)
        periods.append(FeePeriod(start, end, start, amount.quantize(CENT, rounding=ROUND_HALF_UP)))
        k += 1
    return periods
