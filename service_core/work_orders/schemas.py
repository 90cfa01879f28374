"""Work-order schemas: what comes in (`*Create`, `*Update`, actions) and what goes out (`*Public`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from service_core.api.fields import present
from service_core.api.pagination import MAX_LIMIT, Page

Priority = Literal["emergency", "high", "normal", "low"]
WorkType = Literal["maintenance", "repair", "installation", "inspection", "sensor_check"]
Source = Literal["manual", "agreement", "iot_condition", "follow_up"]
Status = Literal["unscheduled", "scheduled", "in_progress", "completed", "posted", "canceled"]
ResolutionCode = Literal["fixed", "fault_confirmed", "no_fault_found", "partial", "not_fixed"]
LineKind = Literal["product", "labour", "travel", "service"]
LineStatus = Literal["estimated", "used"]
TaskResult = Literal["pass", "fail", "not_applicable"]
TimeKind = Literal["work", "travel", "break"]

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
BigId = Annotated[int, Field(ge=1, le=2**63 - 1)]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=3)]
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
Version = Annotated[int | None, Field(default=None, ge=1, description="the version you read; a stale one is 409")]


class RequiredSkill(BaseModel):
    skill_id: Id
    min_proficiency: int = Field(default=1, ge=1, le=5)


class WorkOrderCreate(BaseModel):
    account_id: Id
    asset_id: BigId | None = None
    location_id: Id | None = None
    incident_type_id: Id | None = None
    work_type: WorkType | None = Field(default=None, description="default: the incident type's, else 'repair'")
    priority: Priority | None = Field(default=None, description="default: the incident type's, else 'normal'")
    source: Source = "manual"
    summary: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=10_000)
    agreement_id: Id | None = None
    pm_plan_id: Id | None = None
    pm_due_date: date | None = None
    parent_id: BigId | None = None
    condition_id: BigId | None = None
    estimated_minutes: int | None = Field(default=None, ge=1, le=10080)
    window_start: AwareDatetime | None = None
    window_end: AwareDatetime | None = None
    required_skills: list[RequiredSkill] = Field(default_factory=list, max_length=50)
    preferred_resource_ids: list[Id] = Field(default_factory=list, max_length=50)
    excluded_resource_ids: list[Id] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _consistent(self) -> WorkOrderCreate:
        if self.window_start and self.window_end and self.window_end <= self.window_start:
            raise ValueError("window_end must be after window_start")
        if set(self.preferred_resource_ids) & set(self.excluded_resource_ids):
            raise ValueError("a resource cannot be both preferred and excluded")
        if len({s.skill_id for s in self.required_skills}) != len(self.required_skills):
            raise ValueError("a skill is listed twice in required_skills")
        return self


class WorkOrderPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    account_id: int
    billing_account_id: int
    location_id: int | None
    asset_id: int | None
    incident_type_id: int | None
    work_type: str
    priority: str
    source: str
    status: str
    summary: str
    description: str
    agreement_id: int | None
    pm_plan_id: int | None
    pm_due_date: date | None
    parent_id: int | None
    condition_id: int | None
    estimated_minutes: int
    window_start: datetime | None
    window_end: datetime | None
    sla_target_id: int | None
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    responded_at: datetime | None
    completed_at: datetime | None
    posted_at: datetime | None
    posted_by: int | None
    posted_by_actor: str | None = Field(
        description="who posted it, as `created_by` names callers: `user:7` or `api_key:3`"
    )
    canceled_at: datetime | None
    cancel_reason: str | None
    resolution_code: str | None
    resolution_notes: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int


class WorkOrderPage(Page[WorkOrderPublic]):
    """A page of work orders; `total` is exact only when `total_is_exact` (else: at least that many)."""

    total_is_exact: bool


class WorkOrderUpdate(BaseModel):
    summary: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=10_000)
    estimated_minutes: int | None = Field(default=None, ge=1, le=10080)
    window_start: AwareDatetime | None = None
    window_end: AwareDatetime | None = None
    version: Version = None

    _not_null = field_validator("summary", "description", "estimated_minutes", mode="before")(present)


class PriorityChange(BaseModel):
    priority: Priority
    version: Version = None


class WorkOrderCancel(BaseModel):
    reason: str = Field(min_length=1, max_length=500)
    version: Version = None


class WorkOrderComplete(BaseModel):
    resolution_code: ResolutionCode
    resolution_notes: str = Field(default="", max_length=10_000)
    version: Version = None


class WorkOrderPost(BaseModel):
    force: bool = False
    reason: str | None = Field(default=None, min_length=1, max_length=500, description="required with force")
    version: Version = None

    @model_validator(mode="after")
    def _reason_with_force(self) -> WorkOrderPost:
        if self.force and not self.reason:
            raise ValueError("force=true needs a reason")
        return self


class CompletionPublic(BaseModel):
    work_order: WorkOrderPublic
    follow_up: WorkOrderPublic | None = None


class LineCreate(BaseModel):
    kind: LineKind
    item_id: Id | None = None
    description: str = Field(min_length=1, max_length=300)
    line_status: LineStatus = "used"
    quantity: Quantity
    quantity_to_bill: Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=3)] | None = Field(
        default=None, description="default: quantity; more than quantity needs a dispatcher"
    )
    unit_price: Money | None = Field(default=None, description="empty: billing prices it")
    resource_id: Id | None = None


class LineUpdate(BaseModel):
    line_status: LineStatus | None = None
    quantity: Quantity | None = None
    quantity_to_bill: Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=3)] | None = None
    unit_price: Money | None = Field(default=None, description="null: billing prices it")

    _not_null = field_validator("line_status", "quantity", mode="before")(present)


class LinePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    work_order_id: int
    item_id: int | None
    kind: str
    description: str
    line_status: str
    quantity: Decimal
    quantity_to_bill: Decimal
    unit_price: Decimal | None
    unit_cost: Decimal
    resource_id: int | None
    created_at: datetime


class TaskRecord(BaseModel):
    result: TaskResult
    notes: str = Field(default="", max_length=2000)


class TaskCreate(BaseModel):
    description: str = Field(min_length=1, max_length=500)


class TaskPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    work_order_id: int
    position: int
    description: str
    result: str
    notes: str
    done_at: datetime | None
    done_by: int | None


class TimeEntryCreate(BaseModel):
    kind: TimeKind = "work"
    started_at: AwareDatetime
    ended_at: AwareDatetime
    booking_id: BigId | None = None
    resource_id: Id | None = Field(default=None, description="a technician records their own time: leave empty")
    notes: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _ordered(self) -> TimeEntryCreate:
        if self.ended_at <= self.started_at:
            raise ValueError("ended_at must be after started_at")
        return self


class TimeEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    work_order_id: int
    booking_id: int | None
    resource_id: int
    kind: str
    started_at: datetime
    ended_at: datetime
    notes: str


class AttachmentCreate(BaseModel):
    url: str = Field(pattern=r"^https?://\S+$", max_length=2000)
    title: str = Field(default="", max_length=200)


class AttachmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    work_order_id: int
    url: str
    title: str
    added_by: str
    added_at: datetime


class TimeTotal(BaseModel):
    resource_id: int
    kind: str
    minutes: int


class ChecklistSummary(BaseModel):
    total: int
    passed: int
    failed: int
    not_applicable: int
    pending: int


class ReviewPublic(BaseModel):
    work_order: WorkOrderPublic
    used_lines: list[LinePublic]
    time_totals: list[TimeTotal]
    checklist: ChecklistSummary
    missing: list[str]
    ready_to_post: bool


class WorkOrderListQuery(BaseModel):
    """Filters of `GET /work-orders` (every one optional), and the page wanted."""

    status: Status | None = None
    priority: Priority | None = None
    account_id: Id | None = None
    asset_id: BigId | None = None
    source: Source | None = None
    created_from: AwareDatetime | None = None
    created_to: AwareDatetime | None = None
    search: str | None = Field(default=None, min_length=1, max_length=100, description="summary text or number")
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0, le=10_000_000)
