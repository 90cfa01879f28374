"""How the demo company's customers pay: pure decisions from a seeded random stream.

Most pay on time, some late, a few in part, a few not at all, so that aging, dunning and DSO show something.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class PaymentPlan:
    received_on: date
    amount: Decimal
    method: str


def finance_rng(seed: int) -> random.Random:
    """The random stream of the finance decisions of the company seeded with `seed` (independent of the plan's)."""
    return random.Random(f"finance-{seed}")


def issue_delay_days(rng: random.Random) -> int:
    """Days between finishing the work and issuing its invoice."""
    return rng.choice((0, 1, 1, 2, 3, 5))


def payment_for(
    rng: random.Random, *, issue_date: date, due_date: date, total: Decimal, today: date
) -> PaymentPlan | None:
    """The payment a customer makes for an invoice (None: not paid, or not yet); never dated after `today`."""
    if total <= 0:
        return None
    method = rng.choice(("bank_transfer", "bank_transfer", "bank_transfer", "direct_debit", "card"))
    roll = rng.random()
    if due_date >= today:  # not due yet: some pay early
        if roll < 0.35:
            return _on(rng, issue_date, min(due_date, today), total, method)
        return None
    if roll < 0.70:
        return _on(rng, issue_date, due_date, total, method)
    if roll < 0.82:
        late = due_date + timedelta(days=rng.randint(3, 40))
        return PaymentPlan(min(late, today), total, method) if late <= today else None
    if roll < 0.90:
        part = (total * Decimal(rng.choice(("0.3", "0.5", "0.6")))).quantize(CENT, rounding=ROUND_HALF_UP)
        return _on(rng, issue_date, due_date, part, method) if part > 0 else None
    return None


def _on(rng: random.Random, first: date, last: date, amount: Decimal, method: str) -> PaymentPlan:
    span = max(0, (last - first).days)
    return PaymentPlan(first + timedelta(days=rng.randint(min(span, 2), span)), amount, method)
