"""Pure rules of payments: what remains unapplied, allocation plans (oldest due first, or as a clerk asked) that
never over-allocate a payment or an invoice, refunds within the unapplied cash, and when a retried request is the
same payment."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from service_core.exceptions import Conflict, InvalidInput

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class OpenItem:
    """An invoice that can take money: its open balance and due date."""

    invoice_id: int
    due_date: date
    balance: Decimal


@dataclass(frozen=True, slots=True)
class Allocation:
    invoice_id: int
    amount: Decimal


def unapplied(amount: Decimal, *, allocated: Decimal, refunded: Decimal) -> Decimal:
    """What of a payment is neither applied to invoices nor refunded."""
    return amount - allocated - refunded


def plan_oldest_first(available: Decimal, items: Iterable[OpenItem]) -> list[Allocation]:
    """Apply `available` to open invoices oldest due date first (then lowest id), each up to its balance."""
    plan = []
    left = available
    for item in sorted(items, key=lambda x: (x.due_date, x.invoice_id)):
        if left <= 0:
            break
        if item.balance <= 0:
            continue
        take = min(left, item.balance)
        plan.append(Allocation(item.invoice_id, take))
        left -= take
    return plan


def check_explicit(
    available: Decimal, requested: Iterable[Allocation], balances: Mapping[int, Decimal]
) -> list[Allocation]:
    """The allocations a clerk asked for, refused (`Conflict`) when they over-allocate the payment or an invoice."""
    wanted = list(requested)
    if not wanted:
        raise InvalidInput("name at least one invoice to allocate to")
    if len({a.invoice_id for a in wanted}) != len(wanted):
        raise InvalidInput("an invoice may be named once per allocation request")
    for a in wanted:
        if a.amount <= 0:
            raise InvalidInput(f"invoice {a.invoice_id}: an allocation must be above zero")
        balance = balances.get(a.invoice_id, ZERO)
        if a.amount > balance:
            raise Conflict(
                f"invoice {a.invoice_id} has an open balance of {balance}; {a.amount} would over-allocate it"
            )
    total = sum((a.amount for a in wanted), ZERO)
    if total > available:
        raise Conflict(f"the payment has {available} unapplied; allocating {total} would over-allocate it")
    return wanted


def check_refund(amount: Decimal, *, available: Decimal) -> None:
    """A refund pays back unapplied money only."""
    if amount <= 0:
        raise InvalidInput("a refund must be above zero")
    if amount > available:
        raise Conflict(f"only {available} is unapplied; a refund of {amount} is more than that")


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """What identifies a payment request, for comparing a retry with the payment it already made."""

    account_id: int
    amount: Decimal
    currency: str
    received_on: date
    method: str
    reference: str


def same_request(stored: PaymentRequest, retried: PaymentRequest) -> bool:
    """Whether a request sent again with the same idempotency key asks for the very same payment."""
    return stored == retried
