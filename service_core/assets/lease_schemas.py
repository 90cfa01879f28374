"""Leases and their charges as the API takes and gives them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

LeaseStatus = Literal["draft", "active", "ended", "bought_out", "terminated"]
ChargeKind = Literal["rent", "deposit", "buyout", "termination_fee"]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]


class LeaseCreate(BaseModel):
    number: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
    asset_id: Annotated[int, Field(ge=1, le=2**63 - 1)]
    account_id: Annotated[int, Field(ge=1, le=2**31 - 1, description="the lessee, who pays")]
    start_date: date
    end_date: date = Field(description="exclusive: the first day no longer leased")
    period_months: Literal[1, 3, 6, 12] = 1
    periodic_charge: Money
    deposit: Money = Decimal("0")
    buyout_price: Money | None = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> LeaseCreate:
        if self.end_date <= self.start_date:
            raise ValueError("end_date must be after start_date")
        if self.end_date.year - self.start_date.year > 50:
            raise ValueError("a lease runs 50 years at most")
        return self


class LeasePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    asset_id: int
    account_id: int
    status: LeaseStatus
    start_date: date
    end_date: date
    period_months: int
    periodic_charge: Decimal
    deposit: Decimal
    buyout_price: Decimal | None
    ended_on: date | None
    end_reason: str | None
    created_at: datetime


class LeasePeriodPublic(BaseModel):
    """One charge of a lease: a rent period, the deposit, the buy-out price or a termination fee."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    lease_id: int
    lease_number: str
    account_id: int
    kind: ChargeKind
    period_start: date
    period_end: date = Field(description="exclusive")
    due_date: date
    amount: Decimal
    invoice_id: int | None


class LeaseBuyOut(BaseModel):
    on: date = Field(description="the day the customer buys the asset")


class LeaseTermination(BaseModel):
    on: date = Field(description="the day the lease ends early")
    fee: Money | None = Field(default=None, description="an early-termination fee charged on that day")
    reason: str = Field(default="", max_length=300)
