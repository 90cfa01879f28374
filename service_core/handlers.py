"""Which domain reacts to which event: the one place where domains are wired to each other's events."""

from __future__ import annotations

from functools import cache

from service_core.events import Event
from service_core.messagebus import Handler


@cache
def _registry() -> dict[type[Event], tuple[Handler, ...]]:
    # Imports live here, not at module level, so that domains never import each other through the bus.
    from service_core.billing.drafting import draft_invoice_for_posted_work
    from service_core.billing.lease_credits import credit_rent_after_lease_end
    from service_core.conditions.handlers import resolve_conditions_of_posted_work
    from service_core.events import (
        AccountBalanceChanged,
        InvoiceIssued,
        LeaseEndedEarly,
        PaymentRecorded,
        WorkOrderPosted,
    )
    from service_core.receivables import credit

    return {
        WorkOrderPosted: (draft_invoice_for_posted_work, resolve_conditions_of_posted_work),
        InvoiceIssued: (credit.on_invoice_issued,),
        PaymentRecorded: (credit.on_payment_recorded,),
        AccountBalanceChanged: (credit.on_balance_changed,),
        LeaseEndedEarly: (credit_rent_after_lease_end,),
    }


def handlers_for(event_type: type[Event]) -> tuple[Handler, ...]:
    return _registry().get(event_type, ())
