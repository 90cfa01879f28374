"""Agreements, their fee periods and preventive-maintenance plans as the API takes and gives them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from service_core.api.fields import present

WorkType = Literal["maintenance", "repair", "installation", "inspection", "sensor_check"]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
BigId = Annotated[int, Field(ge=1, le=2**63 - 1)]
Number = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$", examples=["AGR-7"])]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
Rate = Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)]
Fee = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
BillingMonths = Literal[1, 3, 6, 12]


class AgreementCreate(BaseModel):
    number: Number
    kind: Literal["service", "warranty"] = "service"
    account_id: Id
    name: str = Field(min_length=1, max_length=200)
    start_date: date
    end_date: date = Field(description="the last day covered")
    covers_all_assets: bool = False
    asset_ids: list[BigId] = Field(default_factory=list, max_length=1000, description="covered assets")
    covered_work_types: list[WorkType] = Field(default_factory=list, max_length=5)
    covers_labour: bool = True
    covers_parts: bool = False
    covers_travel: bool = True
    discount_pct: Percent = Decimal(0)
    labour_rate: Rate | None = None
    price_list_id: Id | None = None
    calendar_id: Id | None = None
    periodic_fee: Fee = Decimal(0)
    billing_period_months: BillingMonths = 1

    @model_validator(mode="after")
    def _consistent(self) -> AgreementCreate:
        if self.end_date <= self.start_date:
            raise ValueError("end_date must be after start_date")
        if len(set(self.asset_ids)) != len(self.asset_ids):
            raise ValueError("an asset is listed twice")
        if len(set(self.covered_work_types)) != len(self.covered_work_types):
            raise ValueError("a work type is listed twice")
        return self


class AgreementUpdate(BaseModel):
    """Changes to a draft agreement (the terms of an active one are fixed; only its name may change)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    start_date: date | None = None
    end_date: date | None = None
    covers_all_assets: bool | None = None
    covered_work_types: list[WorkType] | None = Field(default=None, max_length=5)
    covers_labour: bool | None = None
    covers_parts: bool | None = None
    covers_travel: bool | None = None
    discount_pct: Percent | None = None
    labour_rate: Rate | None = None
    price_list_id: Id | None = None
    calendar_id: Id | None = None
    periodic_fee: Fee | None = None
    billing_period_months: BillingMonths | None = None

    _not_null = field_validator(
        "name",
        "start_date",
        "end_date",
        "covers_all_assets",
        "covered_work_types",
        "covers_labour",
        "covers_parts",
        "covers_travel",
        "discount_pct",
        "periodic_fee",
        "billing_period_months",
        mode="before",
    )(present)


class AgreementPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    kind: str
    account_id: int
    name: str
    status: str
    start_date: date
    end_date: date
    covers_all_assets: bool
    asset_ids: list[int]
    covered_work_types: list[str]
    covers_labour: bool
    covers_parts: bool
    covers_travel: bool
    discount_pct: Decimal
    labour_rate: Decimal | None
    price_list_id: int | None
    calendar_id: int | None
    periodic_fee: Decimal
    billing_period_months: int
    created_at: datetime


class AgreementAction(BaseModel):
    on: date | None = Field(default=None, description="the day it takes effect (default today)")


class FeePeriodPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    agreement_id: int
    agreement_number: str
    account_id: int
    period_start: date
    period_end: date = Field(description="exclusive")
    due_date: date
    amount: Decimal
    invoice_id: int | None


class PmPlanCreate(BaseModel):
    asset_id: BigId | None = Field(default=None, description="None: every asset the agreement covers")
    incident_type_id: Id
    basis: Literal["calendar", "meter"]
    interval_days: int | None = Field(default=None, ge=1, le=3660)
    interval_run_hours: Annotated[Decimal, Field(gt=0, max_digits=10, decimal_places=1)] | None = None
    lead_days: int = Field(default=7, ge=0, le=365)
    first_due_date: date | None = Field(default=None, description="calendar basis; default: the agreement's start")
    is_active: bool = True

    @model_validator(mode="after")
    def _basis_fields(self) -> PmPlanCreate:
        if self.basis == "calendar" and (self.interval_days is None or self.interval_run_hours is not None):
            raise ValueError("a calendar plan needs interval_days and no interval_run_hours")
        if self.basis == "meter" and (self.interval_run_hours is None or self.interval_days is not None):
            raise ValueError("a meter plan needs interval_run_hours and no interval_days")
        return self


class PmPlanUpdate(BaseModel):
    interval_days: int | None = Field(default=None, ge=1, le=3660)
    interval_run_hours: Annotated[Decimal, Field(gt=0, max_digits=10, decimal_places=1)] | None = None
    lead_days: int | None = Field(default=None, ge=0, le=365)
    first_due_date: date | None = None
    is_active: bool | None = None

    _not_null = field_validator("lead_days", "is_active", mode="before")(present)


class PmPlanPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    agreement_id: int
    asset_id: int | None
    incident_type_id: int
    basis: str
    interval_days: int | None
    interval_run_hours: Decimal | None
    lead_days: int
    first_due_date: date | None
    is_active: bool


class PmGenerate(BaseModel):
    today: date | None = Field(default=None, description="default: today")


class PmGenerated(BaseModel):
    work_order_ids: list[int]
