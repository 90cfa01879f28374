"""Domain events: what happened, in the past tense.  A domain publishes them through `messagebus.publish`;
handlers in other domains react inside the same transaction (see `service_core/handlers.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every domain event."""


@dataclass(frozen=True, slots=True)
class WorkOrderCreated(Event):
    work_order_id: int
    source: str


@dataclass(frozen=True, slots=True)
class WorkOrderCompleted(Event):
    work_order_id: int


@dataclass(frozen=True, slots=True)
class WorkOrderPosted(Event):
    """A supervisor posted completed work: billing drafts its invoice, detection resolves its condition."""

    work_order_id: int
    actor: str


@dataclass(frozen=True, slots=True)
class WorkOrderCanceled(Event):
    work_order_id: int


@dataclass(frozen=True, slots=True)
class InvoiceIssued(Event):
    invoice_id: int
    account_id: int


@dataclass(frozen=True, slots=True)
class PaymentRecorded(Event):
    payment_id: int
    account_id: int


@dataclass(frozen=True, slots=True)
class AccountBalanceChanged(Event):
    """Invoices, credits or payments of an account changed: credit checks run again."""

    account_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class RentInvoicedPastEnd:
    """Rent of one lease charge, invoiced already, of which `days_after_end` of its `days` fall after the lease
    ended early."""

    lease_period_id: int
    invoice_id: int
    days: int
    days_after_end: int


@dataclass(frozen=True, slots=True)
class LeaseEndedEarly(Event):
    """A lease was bought out or terminated `on` that day: billing credits the rent it had invoiced for later days."""

    lease_id: int
    lease_number: str
    on: date
    actor: str
    rent_invoiced_past_end: tuple[RentInvoicedPastEnd, ...]
