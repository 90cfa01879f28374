"""Receivables schemas: aging, credit checks, dunning, disputes, promises to pay and the collections worklist."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

BusinessDate = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2999, 12, 31))]
PositiveMoney = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
InvoiceRef = Annotated[int, Field(ge=1, le=2**62)]


class AgingRow(BaseModel):
    account_id: int | None = Field(description="None on the totals row")
    current: Decimal
    days_1_30: Decimal
    days_31_60: Decimal
    days_61_90: Decimal
    days_90_plus: Decimal
    open_total: Decimal
    credit: Decimal
    net: Decimal


class AgingReport(BaseModel):
    as_of: date
    accounts: list[AgingRow]
    totals: AgingRow


class CreditStatus(BaseModel):
    account_id: int
    exposure: Decimal
    credit_limit: Decimal | None
    credit_hold: bool
    credit_hold_manual: bool
    reason: str


class CreditCheckRun(BaseModel):
    checked: int
    on_hold: list[int]
    released: list[int]


class DunningRun(BaseModel):
    as_of: BusinessDate


class DunningNoticePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    invoice_id: int
    level: int
    sent_at: datetime
    balance: Decimal
    fee_invoice_id: int | None


class DunningRunResult(BaseModel):
    as_of: date
    notices: list[DunningNoticePublic]
    promises_kept: list[int]
    promises_broken: list[int]


class DisputeCreate(BaseModel):
    invoice_id: InvoiceRef
    reason: str = Field(min_length=1, max_length=2000)


class DisputeResolve(BaseModel):
    resolution: str = Field(min_length=1, max_length=2000)


class DisputePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    invoice_id: int
    reason: str
    opened_at: datetime
    opened_by: str
    resolved_at: datetime | None
    resolution: str | None


class PromiseCreate(BaseModel):
    invoice_id: InvoiceRef
    promised_date: BusinessDate
    amount: PositiveMoney
    notes: str = Field(default="", max_length=2000)


class PromiseCancel(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class PromisePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    invoice_id: int
    promised_date: date
    amount: Decimal
    status: str
    notes: str
    created_by: str
    created_at: datetime


class WorklistRow(BaseModel):
    account_id: int
    account_name: str
    score: Decimal
    reason: str
    overdue_total: Decimal
    oldest_days_overdue: int
    dunning_level: int
    broken_promises: int
    credit_hold: bool
