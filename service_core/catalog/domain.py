"""Pure rules of the catalogue: which price applies."""

from __future__ import annotations

from decimal import Decimal


def effective_price(*, list_price: Decimal | None, default_list_price: Decimal | None, item_price: Decimal) -> Decimal:
    """The customer's price list's price, else the default price list's, else the item's own list price."""
    if list_price is not None:
        return list_price
    if default_list_price is not None:
        return default_list_price
    return item_price
