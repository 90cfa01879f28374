"""Billing schemas: invoices, their lines, credit notes and the periodic run."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

BusinessDate = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2999, 12, 31))]
Money = Annotated[Decimal, Field(max_digits=14, decimal_places=2)]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=3)]
UnitPrice = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
DiscountPct = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
ManualLineKind = Literal["product", "labour", "travel", "service"]
InvoiceKind = Literal["invoice", "credit_note"]
ShownStatus = Literal["draft", "discarded", "issued", "open", "partially_paid", "overdue", "paid", "credited"]


class InvoiceLineCreate(BaseModel):
    """A manual line on a draft invoice."""

    description: str = Field(min_length=1, max_length=300)
    kind: ManualLineKind = "service"
    quantity: Quantity
    unit_price: UnitPrice
    discount_pct: DiscountPct = Decimal(0)


class InvoiceCreate(BaseModel):
    """A manual draft invoice for an account (series INV)."""

    account_id: int = Field(ge=1, le=2**31 - 1)
    reason: str = Field(default="", max_length=500)
    lines: list[InvoiceLineCreate] = Field(default_factory=list, max_length=200)


class InvoiceIssue(BaseModel):
    issue_date: BusinessDate | None = Field(default=None, description="default: today (UTC)")


class CreditNoteLineIn(BaseModel):
    line_id: int = Field(ge=1, le=2**62)
    quantity: Quantity | None = Field(default=None, description="default: all that remains uncredited")


class CreditNoteCreate(BaseModel):
    reason: str = Field(min_length=1, max_length=500)
    lines: list[CreditNoteLineIn] | None = Field(
        default=None, max_length=200, description="omit to credit the whole remaining amount of the invoice"
    )
    issue_date: BusinessDate | None = None


class PeriodicRun(BaseModel):
    through: BusinessDate


class PeriodicRunResult(BaseModel):
    lease_invoice_ids: list[int]
    agreement_invoice_ids: list[int]
    skipped: list[str]


class InvoiceLinePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    position: int
    description: str
    kind: str
    quantity: Decimal
    unit_price: Decimal
    discount_pct: Decimal
    amount: Decimal
    tax_rate: Decimal
    tax_amount: Decimal
    covered: bool
    coverage_reason: str | None
    work_order_line_id: int | None
    credits_line_id: int | None
    lease_period_id: int | None = Field(default=None, description="the lease charge the line bills")


class InvoiceSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: InvoiceKind
    status: str
    shown_status: ShownStatus
    series: str
    number: int | None
    invoice_number: str | None
    account_id: int
    currency: str
    issue_date: date | None
    due_date: date | None
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal
    paid: Decimal
    credited: Decimal
    balance: Decimal
    work_order_id: int | None
    lease_id: int | None
    agreement_id: int | None
    period_start: date | None
    period_end: date | None
    credits_invoice_id: int | None
    reason: str
    created_at: datetime
    issued_at: datetime | None
    issued_by: str | None


class InvoicePublic(InvoiceSummary):
    lines: list[InvoiceLinePublic]
