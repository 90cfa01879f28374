"""The SLA targets a new work order gets, through the policies domain (business-hours calendars live there)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from service_core.policies import service as policies_service
from service_core.policies.clock import SlaPlan


@dataclass(frozen=True, slots=True)
class SlaDue:
    target_id: int | None
    response_due_at: datetime | None
    resolution_due_at: datetime | None


NO_SLA = SlaDue(None, None, None)


def sla_due_times(conn: psycopg.Connection, *, agreement_id: int | None, priority: str, start: datetime) -> SlaDue:
    """When the response and the resolution are due for work of `priority` opened at `start`."""
    plan = policies_service.sla_plan_for(conn, agreement_id=agreement_id, priority=priority)
    return NO_SLA if plan is None else _due(plan, start)


def due_times_of(conn: psycopg.Connection, *, plan_row: Sequence[Any], start: datetime) -> SlaDue:
    """The same, from a row of `policy.sla_target_for` read within the caller's own statement (all NULL: none)."""
    if plan_row[0] is None:
        return NO_SLA
    return _due(policies_service.sla_plan_from_row(conn, plan_row), start)


def _due(plan: SlaPlan, start: datetime) -> SlaDue:
    calendar = plan.business_calendar
    return SlaDue(
        plan.target_id,
        calendar.add_business_minutes(start, plan.response_minutes),
        calendar.add_business_minutes(start, plan.resolution_minutes),
    )
