"""Which price applies: the customer's price list, the default list, the item's list price."""

from __future__ import annotations

from decimal import Decimal

from service_core.catalog.domain import effective_price


def test_the_customers_price_list_wins():
    assert effective_price(list_price=Decimal("8"), default_list_price=Decimal("9"), item_price=Decimal("10")) == 8


def test_the_default_price_list_comes_next():
    assert effective_price(list_price=None, default_list_price=Decimal("9"), item_price=Decimal("10")) == 9


def test_the_items_list_price_is_the_last_resort():
    assert effective_price(list_price=None, default_list_price=None, item_price=Decimal("10")) == 10


def test_a_zero_price_on_a_list_is_a_price():
    assert effective_price(list_price=Decimal("0"), default_list_price=Decimal("9"), item_price=Decimal("10")) == 0
