"""Conditions in and out of the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import orjson
from pydantic import AwareDatetime, BaseModel, Field, field_validator

Severity = Literal["warning", "major", "critical"]
Category = Literal["equipment", "sensor"]


class ConditionReport(BaseModel):
    """What a detector reports: an episode crossed the raising threshold for long enough."""

    asset_id: int = Field(ge=1)
    device_id: int | None = Field(default=None, ge=1)
    failure_mode: str = Field(pattern=r"^[a-z0-9_]{1,64}$")
    category: Category
    severity: Severity
    onset_at: AwareDatetime
    at: AwareDatetime
    score: float = Field(allow_inf_nan=False)
    evidence: dict[str, Any] = Field(default_factory=dict)

    @field_validator("evidence")
    @classmethod
    def _storable_as_json(cls, evidence: dict[str, Any]) -> dict[str, Any]:
        try:
            orjson.dumps(evidence)
        except orjson.JSONEncodeError as exc:  # e.g. an integer beyond 64 bits
            raise ValueError(f"evidence cannot be stored as JSON: {exc}") from exc
        return evidence


class ConditionPublic(BaseModel):
    id: int
    asset_id: int
    device_id: int | None
    failure_mode: str
    category: str
    severity: str
    status: str
    onset_at: datetime
    raised_at: datetime
    last_evidence_at: datetime
    peak_score: float
    evidence: dict[str, Any]
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    snoozed_until: datetime | None
    cleared_at: datetime | None
    resolved_at: datetime | None
    work_order_id: int | None
    outcome: str | None


class ReportOutcome(BaseModel):
    """What reporting did: a new condition or more evidence on the open one, and the work it led to."""

    condition: ConditionPublic
    created: bool
    work: Literal["attach", "follow_up", "open", "none", "already_linked"]
    work_order_id: int | None


class SnoozeIn(BaseModel):
    until: AwareDatetime


class LinkIn(BaseModel):
    work_order_id: int = Field(ge=1)


class FailureModePrecision(BaseModel):
    failure_mode: str
    category: str
    true_alarms: int
    false_alarms: int
    unjudged: int
    precision: float | None


class HealthPoint(BaseModel):
    """An asset's scores over one bucket of reading time: the lowest health and the highest anomaly score."""

    ts: datetime
    health_score: int
    anomaly_score: float


class NotScoredPublic(BaseModel):
    """Why the detector does not score the asset now (see detection.not_scored): its health score, if any, dates
    from `scored_at` and does not move until this is mended."""

    reason: str
    since: datetime
    model_version: str
    sampling_interval_s: float
    trained_interval_s: float


class AssetHealthPublic(BaseModel):
    asset_id: int
    scored_at: datetime
    health_score: int
    anomaly_score: float
    contributions: list[dict[str, Any]]
    rul_hours: float | None
    rul_low_hours: float | None
    rul_high_hours: float | None
    model_version: str | None
    open_conditions: int
    not_scored: NotScoredPublic | None = None  # set while the detector refuses to score the asset
