"""Incident types in and out of the API."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

WorkType = Literal["maintenance", "repair", "installation", "inspection", "sensor_check"]
Priority = Literal["emergency", "high", "normal", "low"]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


class SkillNeed(BaseModel):
    skill_id: Id
    min_proficiency: int = Field(default=1, ge=1, le=5)


class SuggestedItem(BaseModel):
    item_id: Id
    quantity: Decimal = Field(gt=0, max_digits=12, decimal_places=3)


class IncidentTypeIn(BaseModel):
    """The whole template: creating and replacing take the same body."""

    code: str = Field(pattern=r"^[a-z0-9_-]{1,64}$")
    name: str = Field(min_length=1, max_length=200)
    work_type: WorkType
    estimated_minutes: int = Field(default=60, ge=1, le=10080)
    default_priority: Priority = "normal"
    skills: list[SkillNeed] = Field(default_factory=list, max_length=20)
    tasks: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(default_factory=list, max_length=100)
    items: list[SuggestedItem] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _no_duplicates(self) -> IncidentTypeIn:
        if len({s.skill_id for s in self.skills}) != len(self.skills):
            raise ValueError("a skill is listed twice")
        if len({i.item_id for i in self.items}) != len(self.items):
            raise ValueError("an item is listed twice")
        return self


class IncidentTypePublic(IncidentTypeIn):
    id: int
