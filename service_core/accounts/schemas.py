"""Accounts, contacts and service locations as the API takes and gives them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from service_core.accounts.domain import timezone_name
from service_core.api.fields import present

AccountKind = Literal["service", "billing", "both"]
Number = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Tenant = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40, pattern=r"^[0-9+() .-]{3,40}$")]
Timezone = Annotated[str, StringConstraints(max_length=64), AfterValidator(timezone_name)]
TaxRate = Annotated[Decimal, Field(ge=0, lt=1, max_digits=6, decimal_places=4)]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
RowId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class AccountCreate(BaseModel):
    number: Number
    name: Name
    kind: AccountKind = "both"
    billing_account_id: RowId | None = Field(default=None, description="who pays for work here; none: itself")
    currency: Currency = "USD"
    payment_terms_days: int = Field(default=30, ge=0, le=365)
    tax_rate: TaxRate = Decimal("0")
    credit_limit: Money | None = Field(default=None, description="none: no limit")
    price_list_id: RowId | None = None
    tenant: Tenant | None = None
    email: Email | None = None
    phone: Phone | None = None


class AccountUpdate(BaseModel):
    """Only the fields sent change; credit-hold fields change only through the credit-hold route."""

    number: Number | None = None
    name: Name | None = None
    kind: AccountKind | None = None
    billing_account_id: RowId | None = None
    currency: Currency | None = None
    payment_terms_days: int | None = Field(default=None, ge=0, le=365)
    tax_rate: TaxRate | None = None
    credit_limit: Money | None = None
    price_list_id: RowId | None = None
    tenant: Tenant | None = None
    email: Email | None = None
    phone: Phone | None = None
    is_active: bool | None = None

    _not_null = field_validator(
        "number", "name", "kind", "currency", "payment_terms_days", "tax_rate", "is_active", mode="before"
    )(present)


class AccountPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    name: str
    kind: AccountKind
    billing_account_id: int | None
    currency: str
    payment_terms_days: int
    tax_rate: Decimal
    credit_limit: Decimal | None
    price_list_id: int | None
    credit_hold: bool
    credit_hold_reason: str | None
    credit_hold_since: datetime | None
    credit_hold_manual: bool
    tenant: str | None
    email: str | None
    phone: str | None
    is_active: bool
    created_at: datetime
    updated_at: datetime


class CreditHoldChange(BaseModel):
    hold: bool = Field(description="true: put on hold; false: release")
    reason: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _hold_needs_reason(self) -> CreditHoldChange:
        if self.hold and not self.reason.strip():
            raise ValueError("a hold needs a reason")
        return self


class ContactCreate(BaseModel):
    name: Name
    email: Email | None = None
    phone: Phone | None = None
    role: str | None = Field(default=None, max_length=100, examples=["accounts payable"])
    is_primary: bool = False


class ContactUpdate(BaseModel):
    name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    role: str | None = Field(default=None, max_length=100)
    is_primary: bool | None = None

    _not_null = field_validator("name", "is_primary", mode="before")(present)


class ContactPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    name: str
    email: str | None
    phone: str | None
    role: str | None
    is_primary: bool
    created_at: datetime


class LocationCreate(BaseModel):
    name: Name
    address: str = Field(default="", max_length=500)
    latitude: Latitude
    longitude: Longitude
    timezone: Timezone = "UTC"
    territory_id: RowId | None = None


class LocationUpdate(BaseModel):
    name: Name | None = None
    address: str | None = Field(default=None, max_length=500)
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    timezone: Timezone | None = None
    territory_id: RowId | None = None

    _not_null = field_validator("name", "address", "latitude", "longitude", "timezone", mode="before")(present)


class LocationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    name: str
    address: str
    latitude: float
    longitude: float
    timezone: str
    territory_id: int | None
    created_at: datetime
