"""Catalogue items, price lists and their prices as the API takes and gives them."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from service_core.api.fields import present

ItemKind = Literal["product", "labour", "travel", "service"]
Unit = Literal["each", "hour", "km", "litre", "metre", "kg"]
Sku = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
ItemName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ListName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Price = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]


class ItemCreate(BaseModel):
    sku: Sku
    name: ItemName
    kind: ItemKind
    unit: Unit = "each"
    unit_cost: Price = Decimal("0")
    unit_price: Price = Field(default=Decimal("0"), description="the list price")


class ItemUpdate(BaseModel):
    sku: Sku | None = None
    name: ItemName | None = None
    kind: ItemKind | None = None
    unit: Unit | None = None
    unit_cost: Price | None = None
    unit_price: Price | None = None
    is_active: bool | None = None

    _not_null = field_validator("sku", "name", "kind", "unit", "unit_cost", "unit_price", "is_active", mode="before")(
        present
    )


class ItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sku: str
    name: str
    kind: ItemKind
    unit: Unit
    unit_cost: Decimal
    unit_price: Decimal
    is_active: bool


class PriceListCreate(BaseModel):
    name: ListName
    currency: Currency = "USD"
    minimum_charge: Price = Field(default=Decimal("0"), description="the least an invoiced work order costs")
    is_default: bool = Field(default=False, description="making this the default unmarks the previous default")


class PriceListUpdate(BaseModel):
    name: ListName | None = None
    currency: Currency | None = None
    minimum_charge: Price | None = None
    is_default: bool | None = None

    _not_null = field_validator("name", "currency", "minimum_charge", "is_default", mode="before")(present)


class PriceListPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    currency: str
    minimum_charge: Decimal
    is_default: bool


class ItemPriceSet(BaseModel):
    unit_price: Price


class ItemPricePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    price_list_id: int
    item_id: int
    sku: str
    name: str
    unit_price: Decimal


class ItemPriceQuote(BaseModel):
    item_id: int
    price_list_id: int | None
    unit_price: Decimal
