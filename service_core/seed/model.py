"""The demo company as plain data (frozen dataclasses): what `plan` builds and `loader` writes.

Rows refer to each other by keys (account numbers, asset and location keys, technician indexes), never by ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Sizes:
    accounts: int = 30
    assets: int = 300
    technicians: int = 12
    history_days: int = 120
    work_orders: int | None = None  # default: 2.5 per day of history

    @property
    def work_order_count(self) -> int:
        return self.work_orders if self.work_orders is not None else max(10, round(self.history_days * 2.5))

    def problems(self) -> list[str]:
        """What makes these sizes unusable, in plain words."""
        found = []
        if not 3 <= self.accounts <= 500:
            found.append("accounts must be between 3 and 500")
        if not 1 <= self.assets <= 5000:
            found.append("assets must be between 1 and 5000")
        if not 2 <= self.technicians <= 100:
            found.append("technicians must be between 2 and 100")
        if not 14 <= self.history_days <= 730:
            found.append("history days must be between 14 and 730")
        if not 0 <= self.work_order_count <= 10 * self.technicians * self.history_days:
            found.append("too many work orders for the technicians and days")
        return found


@dataclass(frozen=True, slots=True)
class ShiftPlan:
    weekday: int
    start: time
    end: time
    break_minutes: int


@dataclass(frozen=True, slots=True)
class TechnicianPlan:
    name: str
    email: str
    territory: int
    home: tuple[float, float]
    skills: tuple[tuple[str, int], ...]
    shifts: tuple[ShiftPlan, ...]
    time_off: tuple[tuple[datetime, datetime, str], ...]
    hourly_cost: Decimal
    hourly_bill_rate: Decimal


@dataclass(frozen=True, slots=True)
class ContactPlan:
    name: str
    email: str
    phone: str
    role: str
    is_primary: bool


@dataclass(frozen=True, slots=True)
class LocationPlan:
    key: int
    name: str
    address: str
    latitude: float
    longitude: float
    territory: int


@dataclass(frozen=True, slots=True)
class AccountPlan:
    number: str
    name: str
    kind: str  # service, billing, both
    payer: str | None  # the number of the account that pays, if not itself
    payment_terms_days: int
    tax_rate: Decimal
    credit_limit: Decimal | None
    premium: bool  # on the premium price list
    email: str
    phone: str
    contacts: tuple[ContactPlan, ...]
    locations: tuple[LocationPlan, ...]

    @property
    def pays(self) -> str:
        return self.payer or self.number


@dataclass(frozen=True, slots=True)
class AssetPlan:
    key: int
    account: str
    location: int | None
    parent: int | None
    level: str  # site, asset, component
    type_code: str | None
    name: str
    model: str
    serial: str | None
    install_date: date | None
    warranty_end: date | None
    criticality: str
    run_hours_at_start: Decimal  # at the start of the history
    hours_per_day: Decimal


@dataclass(frozen=True, slots=True)
class LeasePlan:
    number: str
    asset: int
    account: str  # the lessee, who pays
    start_date: date
    end_date: date
    period_months: int
    periodic_charge: Decimal
    deposit: Decimal
    buyout_price: Decimal | None


@dataclass(frozen=True, slots=True)
class PmPlanPlan:
    asset: int | None
    incident: str
    basis: str  # calendar, meter
    interval_days: int | None
    interval_run_hours: Decimal | None
    first_due_date: date | None


@dataclass(frozen=True, slots=True)
class AgreementPlan:
    number: str
    kind: str  # service, warranty
    account: str
    name: str
    start_date: date
    end_date: date
    assets: tuple[int, ...]
    covered_work_types: tuple[str, ...]
    covers_parts: bool
    discount_pct: Decimal
    periodic_fee: Decimal
    billing_period_months: int
    business_hours: bool
    pm_plans: tuple[PmPlanPlan, ...]


@dataclass(frozen=True, slots=True)
class BookingPlan:
    technician: int
    start: datetime
    end: datetime
    travel_minutes: int


@dataclass(frozen=True, slots=True)
class WorkOrderPlan:
    """One job and how far it got: fate is posted, partial (posted, with a follow-up), completed, in_progress,
    scheduled, unscheduled, canceled (before booking) or canceled_booked."""

    key: int
    account: str
    asset: int
    location: int | None
    incident: str
    priority: str | None
    summary: str
    created_at: datetime
    fate: str
    agreement: str | None
    booking: BookingPlan | None
    resolution: str | None
    labour_hours: Decimal
    travel_km: Decimal
    failed_task: bool


@dataclass(frozen=True, slots=True)
class Company:
    seed: int
    now: datetime
    sizes: Sizes
    territories: tuple[tuple[str, float, float], ...]
    technicians: tuple[TechnicianPlan, ...]
    accounts: tuple[AccountPlan, ...]
    assets: tuple[AssetPlan, ...]
    leases: tuple[LeasePlan, ...]
    agreements: tuple[AgreementPlan, ...]
    work_orders: tuple[WorkOrderPlan, ...]
    dispatcher_email: str
    finance_email: str

    def run_hours(self, asset: AssetPlan, at: datetime) -> Decimal:
        """The asset's run-hour meter at `at` (it runs `hours_per_day` every day from the history's start)."""
        days = Decimal((at - self.history_start).total_seconds()) / Decimal(86400)
        return (asset.run_hours_at_start + max(Decimal(0), days) * asset.hours_per_day).quantize(Decimal("0.1"))

    @property
    def history_start(self) -> datetime:
        return self.now - timedelta(days=self.sizes.history_days)
