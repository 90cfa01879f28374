"""Pure rules of leases: the lifecycle, the billing schedule and what ending a lease early does to it."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from service_core.exceptions import InvalidTransition

CENT = Decimal("0.01")
# (status, action) → the status after it; every other step is refused.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "activate"): "active",
    ("active", "end"): "ended",
    ("active", "buy_out"): "bought_out",
    ("active", "terminate"): "terminated",
}


def next_status(status: str, action: str) -> str:
    """The status after `action`; `InvalidTransition` if a lease in `status` cannot do it."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise InvalidTransition(f"a lease that is {status} cannot {action.replace('_', ' ')}") from None


@dataclass(frozen=True, slots=True)
class Charge:
    """One line of a lease's schedule; `period_end` is exclusive."""

    kind: str
    period_start: date
    period_end: date
    due_date: date
    amount: Decimal


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it is shorter (Jan 31 + 1 → Feb 28/29)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def schedule(*, start: date, end: date, period_months: int, periodic_charge: Decimal, deposit: Decimal) -> list[Charge]:
    """The deposit (due at the start, if any) and one rent charge per period, billed in advance.

    Periods are counted from `start` (not from the previous period), so a lease starting on the 31st keeps
    falling on month ends.  A last period cut short by `end` costs its share of the days of a full period.
    """
    charges = [one_day_charge("deposit", start, deposit)] if deposit > 0 else []
    index = 0
    while (period_start := add_months(start, index * period_months)) < end:
        full_end = add_months(start, (index + 1) * period_months)
        period_end = min(full_end, end)
        amount = periodic_charge
        if period_end < full_end:
            amount = periodic_charge * (period_end - period_start).days / (full_end - period_start).days
        charges.append(Charge("rent", period_start, period_end, period_start, money(amount)))
        index += 1
    return charges


def one_day_charge(kind: str, day: date, amount: Decimal) -> Charge:
    """A single charge due on `day` (a deposit, buy-out price or termination fee)."""
    return Charge(kind, day, day + timedelta(days=1), day, money(amount))


def end_early_problem(*, on: date, start: date, end: date) -> str | None:
    """Why a lease running [start, end) cannot be bought out or terminated `on` that day, or None."""
    if on < start:
        return f"the lease starts on {start.isoformat()}"
    if on >= end:
        return f"the lease ends on {end.isoformat()} anyway"
    return None


@dataclass(frozen=True, slots=True)
class RentAfterEnd:
    """The days of a rent period that fall on or after the day its lease ends early."""

    days: int
    days_after_end: int

    @property
    def whole(self) -> bool:
        return self.days_after_end == self.days

    def share_of(self, amount: Decimal) -> Decimal:
        """The part of the period's `amount` for those days, rounded half-up to cents."""
        return money(amount * self.days_after_end / self.days)


def rent_after_early_end(*, kind: str, period_start: date, period_end: date, on: date) -> RentAfterEnd | None:
    """What of a charge's period [period_start, period_end) a lease ending early `on` no longer owes: rent for the
    days from `on` on (the whole period when it starts that day or later); None for other charges or earlier rent.

    Not yet invoiced, that part is dropped from the schedule; invoiced already, it is credited.
    """
    if kind != "rent" or period_end <= on:
        return None
    days = (period_end - period_start).days
    return RentAfterEnd(days=days, days_after_end=min(days, (period_end - on).days))


def natural_end_problem(*, today: date, end: date) -> str | None:
    """Why a lease cannot be ended as agreed yet (it runs until `end`), or None."""
    if today < end:
        return f"the lease runs until {end.isoformat()}; buy it out or terminate it to end it earlier"
    return None
