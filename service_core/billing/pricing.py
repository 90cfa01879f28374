"""Pure rule: which unit price a line of posted work is billed at.

Order of precedence: the price written on the work-order line; for labour, the agreement's labour rate; the
price list (the agreement's, else the account's, else the default one); the item's list price (when above zero);
for labour, the resource's hourly bill rate; else zero (the draft shows it as unpriced for a clerk to fix).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class PriceCandidates:
    """Every price that could apply to one line (None: there is none)."""

    line_price: Decimal | None = None
    agreement_labour_rate: Decimal | None = None
    price_list_price: Decimal | None = None
    item_list_price: Decimal | None = None
    resource_rate: Decimal | None = None


def resolve_unit_price(kind: str, candidates: PriceCandidates) -> tuple[Decimal, str]:
    """The unit price of a line and where it came from."""
    if candidates.line_price is not None:
        return candidates.line_price, "line"
    if kind == "labour" and candidates.agreement_labour_rate is not None:
        return candidates.agreement_labour_rate, "agreement labour rate"
    if candidates.price_list_price is not None:
        return candidates.price_list_price, "price list"
    if candidates.item_list_price is not None and candidates.item_list_price > 0:
        return candidates.item_list_price, "item list price"
    if kind == "labour" and candidates.resource_rate is not None and candidates.resource_rate > 0:
        return candidates.resource_rate, "resource bill rate"
    return ZERO, "unpriced"
