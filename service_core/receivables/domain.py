"""Pure rules of receivables: aging buckets, dunning level selection and interest, promises to pay, the automatic
credit hold, and the collections risk score.  No database, no FastAPI.

Decisions:
- Days overdue = as-of date - due date.  Buckets: current (not yet overdue, <= 0), 1-30, 31-60, 61-90, 90+.
- Dunning reaches the highest level whose days_overdue the invoice has reached, once: levels skipped over are not
  sent afterwards, and a level at or below one already sent is never sent again.
- Interest = balance x annual rate x days overdue / 365, rounded half-up to cents.
- A promise is kept when payments applied to the invoice since the promise (by its date) reach the promised
  amount, or the invoice is settled; it is broken once the as-of date is past the promised date without that.
- Credit hold: held when the net exposure (open invoice balances less unapplied credit) is above the credit limit,
  or when an invoice that reached a dunning level with places_credit_hold still has a balance; released when
  neither is true (a hold a person set is left alone by the accounts domain).
- Risk score (collections worklist, highest first) per account:
      amount-days / 100  (sum of balance x days overdue)  +  100 x highest dunning level
      + 250 x broken promises  +  500 if on credit hold;
  it grows with both the money and how long it has been late, and each escalation adds a step.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
BUCKETS = ("current", "days_1_30", "days_31_60", "days_61_90", "days_90_plus")


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def days_overdue(due: date, as_of: date) -> int:
    return (as_of - due).days


def bucket_for(days: int) -> str:
    """The aging bucket of an invoice `days` overdue (zero or less: current)."""
    if days <= 0:
        return "current"
    if days <= 30:
        return "days_1_30"
    if days <= 60:
        return "days_31_60"
    if days <= 90:
        return "days_61_90"
    return "days_90_plus"


@dataclass(frozen=True, slots=True)
class Aging:
    buckets: dict[str, Decimal]
    open_total: Decimal
    credit: Decimal
    net: Decimal


def age(items: Iterable[tuple[date, Decimal]], *, as_of: date, credit: Decimal = ZERO) -> Aging:
    """Open balances (due date, balance) in buckets as of a date; `credit` is unapplied money, shown apart."""
    buckets = dict.fromkeys(BUCKETS, ZERO)
    for due, balance in items:
        if balance > 0:
            key = bucket_for(days_overdue(due, as_of))
            buckets[key] += balance
    total = sum(buckets.values(), ZERO)
    return Aging(buckets=buckets, open_total=total, credit=credit, net=total - credit)


@dataclass(frozen=True, slots=True)
class DunningLevel:
    level: int
    days_overdue: int
    name: str
    fee: Decimal = ZERO
    annual_interest_pct: Decimal = ZERO
    places_credit_hold: bool = False

    @property
    def charges(self) -> bool:
        return self.fee > 0 or self.annual_interest_pct > 0


def level_reached(levels: Iterable[DunningLevel], days: int) -> DunningLevel | None:
    """The highest level whose days_overdue the invoice has reached, or None."""
    reached = [x for x in levels if x.days_overdue <= days]
    return max(reached, key=lambda x: x.level) if reached else None


def next_notice(levels: Iterable[DunningLevel], *, days: int, sent: Iterable[int]) -> DunningLevel | None:
    """The level to send now: the highest reached, if it is above every level already sent."""
    target = level_reached(levels, days)
    if target is None or any(s >= target.level for s in sent):
        return None
    return target


def interest(balance: Decimal, *, annual_pct: Decimal, days: int) -> Decimal:
    """Balance x annual rate x days / 365, rounded half-up to cents (zero for no rate or no days)."""
    if annual_pct <= 0 or days <= 0 or balance <= 0:
        return ZERO
    return to_cents(balance * annual_pct / Decimal(100) * Decimal(days) / Decimal(365))


def may_dun(*, disputed: bool, open_promise_dates: Iterable[date], as_of: date) -> bool:
    """An open dispute pauses dunning, and so does an open promise whose date has not passed."""
    if disputed:
        return False
    return all(promised < as_of for promised in open_promise_dates)


def promise_outcome(*, promised_date: date, amount: Decimal, paid_since: Decimal, balance: Decimal, as_of: date) -> str:
    """'kept', 'broken' or still 'open'."""
    if paid_since >= amount or balance <= 0:
        return "kept"
    if as_of > promised_date:
        return "broken"
    return "open"


def promise_cancel_problem(status: str) -> str | None:
    """Why a promise to pay in `status` cannot be withdrawn (None: it can): only an open one can; a kept or broken
    promise is history the collections risk is built on."""
    if status == "open":
        return None
    return f"it is {status}; only an open promise can be canceled"


def credit_hold_decision(
    *, exposure: Decimal, credit_limit: Decimal | None, hold_level_invoices: Iterable[str]
) -> tuple[bool, str]:
    """(hold?, reason): over the credit limit, or an invoice at a credit-hold dunning level with a balance."""
    reasons = []
    if credit_limit is not None and exposure > credit_limit:
        reasons.append(f"open balance {exposure} exceeds the credit limit {credit_limit}")
    serious = sorted(hold_level_invoices)
    if serious:
        reasons.append(f"seriously overdue: {', '.join(serious)}")
    if reasons:
        return True, "; ".join(reasons)
    return False, "within the credit limit and nothing seriously overdue"


@dataclass(frozen=True, slots=True)
class AccountRisk:
    account_id: int
    overdue: list[tuple[Decimal, int]] = field(default_factory=list)  # (balance, days overdue) per invoice
    dunning_level: int = 0
    broken_promises: int = 0
    credit_hold: bool = False


def risk_score(risk: AccountRisk) -> tuple[Decimal, str]:
    """The collections risk score of an account and why."""
    amount_days = sum((b * d for b, d in risk.overdue if b > 0 and d > 0), ZERO)
    overdue_total = sum((b for b, d in risk.overdue if b > 0 and d > 0), ZERO)
    oldest = max((d for b, d in risk.overdue if b > 0), default=0)
    score = to_cents(amount_days / Decimal(100))
    parts = [f"{overdue_total} overdue (oldest {oldest} days)"]
    if risk.dunning_level:
        score += 100 * risk.dunning_level
        parts.append(f"dunning level {risk.dunning_level}")
    if risk.broken_promises:
        score += 250 * risk.broken_promises
        parts.append(f"{risk.broken_promises} broken promise(s)")
    if risk.credit_hold:
        score += 500
        parts.append("on credit hold")
    return score, "; ".join(parts)


def rank(risks: Iterable[AccountRisk]) -> list[tuple[AccountRisk, Decimal, str]]:
    """Accounts by risk score, highest first (ties: lower account id first)."""
    scored = [(r, *risk_score(r)) for r in risks]
    return sorted(scored, key=lambda x: (-x[1], x[0].account_id))
