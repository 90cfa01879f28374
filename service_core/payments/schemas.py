"""Payment schemas: recording (idempotent), allocations, refunds, reversals and account credit."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

BusinessDate = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2999, 12, 31))]
PositiveMoney = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
Method = Literal["bank_transfer", "card", "check", "cash", "direct_debit", "other"]
IdempotencyKey = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")]


class PaymentCreate(BaseModel):
    account_id: int = Field(ge=1, le=2**31 - 1)
    amount: PositiveMoney
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    received_on: BusinessDate
    method: Method = "bank_transfer"
    reference: str = Field(default="", max_length=200)
    idempotency_key: IdempotencyKey | None = Field(default=None, description="or the Idempotency-Key header")
    auto_allocate: bool = Field(default=False, description="apply to open invoices, oldest due first")


class AllocationIn(BaseModel):
    invoice_id: int = Field(ge=1, le=2**62)
    amount: PositiveMoney


class AllocationsCreate(BaseModel):
    """Either explicit allocations, or `auto: true` for oldest due first."""

    allocations: list[AllocationIn] = Field(default_factory=list, max_length=500)
    auto: bool = False

    @model_validator(mode="after")
    def one_way(self) -> AllocationsCreate:
        if self.auto == bool(self.allocations):
            raise ValueError("send either a list of allocations or auto: true")
        return self


class RefundCreate(BaseModel):
    amount: PositiveMoney
    refunded_on: BusinessDate | None = Field(default=None, description="default: today (UTC)")
    reason: str = Field(default="", max_length=500)


class PaymentReverse(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class AllocationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    invoice_id: int
    payment_id: int | None
    credit_note_id: int | None
    amount: Decimal
    allocated_at: datetime
    allocated_by: str
    reversed_at: datetime | None


class RefundPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    payment_id: int | None
    credit_note_id: int | None
    amount: Decimal
    refunded_on: date
    reason: str
    created_by: str
    created_at: datetime


class PaymentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    amount: Decimal
    currency: str
    received_on: date
    method: str
    reference: str
    idempotency_key: str | None
    status: str
    reversed_at: datetime | None
    reversal_reason: str | None
    created_by: str
    created_at: datetime
    allocated: Decimal
    refunded: Decimal
    unapplied: Decimal
    allocations: list[AllocationPublic]


class AccountCredit(BaseModel):
    """Money of an account not applied to any invoice: unapplied payments and credit notes."""

    account_id: int
    unapplied_payments: Decimal
    unapplied_credit_notes: Decimal
    total: Decimal
