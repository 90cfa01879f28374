"""What the analytics API answers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel


class ServiceGrouping(StrEnum):
    NONE = "none"
    ASSET = "asset"
    ASSET_TYPE = "asset_type"
    ACCOUNT = "account"


class MoneyGrouping(StrEnum):
    ACCOUNT = "account"
    ASSET = "asset"
    AGREEMENT = "agreement"


class ServiceMetrics(BaseModel):
    """Reliability and service quality of one group over a period; None where there is nothing to measure."""

    group_key: str | None
    group_name: str | None
    work_orders_completed: int
    corrective_completed: int
    mttr_hours: float | None
    mtbf_hours: float | None
    mtbf_intervals: int
    first_time_fix_rate: float | None
    repeat_visit_rate: float | None
    sla_measured: int
    sla_compliance: float | None


class ServiceReport(BaseModel):
    start: datetime
    end: datetime
    group_by: ServiceGrouping
    repeat_window_days: int
    groups: list[ServiceMetrics]


class BacklogBucket(BaseModel):
    priority: str
    open_work_orders: int
    mean_age_hours: float | None
    p50_age_hours: float | None
    p90_age_hours: float | None
    max_age_hours: float | None


class BacklogReport(BaseModel):
    as_of: datetime
    total_open: int
    by_priority: list[BacklogBucket]


class TechnicianUtilization(BaseModel):
    resource_id: int
    name: str
    available_hours: float
    work_hours: float
    travel_hours: float
    utilization: float | None


class UtilizationReport(BaseModel):
    start: date
    end: date
    technicians: list[TechnicianUtilization]


class Profitability(BaseModel):
    group_key: str | None
    group_name: str | None
    revenue: Decimal
    labour_cost: Decimal
    parts_cost: Decimal
    cost_to_serve: Decimal
    margin: Decimal


class ProfitabilityReport(BaseModel):
    start: date
    end: date
    group_by: MoneyGrouping
    currency_note: str
    groups: list[Profitability]


class DsoPoint(BaseModel):
    as_of: date
    receivables: Decimal
    credit_sales: Decimal
    days: int
    dso: Decimal | None


class DsoReport(BaseModel):
    points: list[DsoPoint]
