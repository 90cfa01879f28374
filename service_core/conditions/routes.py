"""HTTP routes of conditions: the inbox, acknowledge, snooze, link or open work; alarm precision; asset health."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import AwareDatetime

from service_core.api.deps import ConnDep, CurrentUser, Dispatcher, PortalReader
from service_core.api.errors import ERROR_RESPONSES
from service_core.api.pagination import Limit, Offset, Page
from service_core.api.transactions import TransactionalRoute
from service_core.conditions import queries, rules
from service_core.conditions import service as conditions_service
from service_core.conditions.rules import RuleIn, RulePublic
from service_core.conditions.schemas import (
    AssetHealthPublic,
    Category,
    ConditionPublic,
    ConditionReport,
    FailureModePrecision,
    HealthPoint,
    LinkIn,
    ReportOutcome,
    Severity,
    SnoozeIn,
)
from service_core.exceptions import InvalidInput

router = APIRouter(route_class=TransactionalRoute, prefix="/conditions", tags=["conditions"], responses=ERROR_RESPONSES)

ConditionId = Annotated[int, Path(ge=1, le=2**62)]
RuleId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get(
    "",
    summary="Conditions, most severe and newest first; open=true gives the inbox; since/until: those whose span "
    "(onset to clearing, an open one to now) overlaps [since, until)",
)
def list_conditions(
    conn: ConnDep,
    _: PortalReader,
    *,
    status_filter: Annotated[
        str | None, Query(alias="status", pattern="^(raised|acknowledged|snoozed|cleared|resolved)$")
    ] = None,
    severity: Severity | None = None,
    category: Category | None = None,
    asset_id: Annotated[int | None, Query(ge=1)] = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
    since: Annotated[
        AwareDatetime | None, Query(description="with a timezone: those whose onset-to-clearing span ends after it")
    ] = None,
    until: Annotated[
        AwareDatetime | None, Query(description="with a timezone: those whose onset is before it (exclusive)")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ConditionPublic]:
    if since is not None and until is not None and until <= since:
        raise InvalidInput("until must be after since")
    items, total = queries.list_page(
        conn, status=status_filter, severity=severity, category=category, asset_id=asset_id, open_only=open_only,
        since=since, until=until, limit=limit, offset=offset,
    )  # fmt: skip
    return Page[ConditionPublic](items=items, total=total, limit=limit, offset=offset)


@router.get("/precision", summary="Share of judged alarms that were true, per failure mode")
def read_precision(
    conn: ConnDep, _: CurrentUser, since: Annotated[datetime | None, Query()] = None
) -> list[FailureModePrecision]:
    return queries.precision_by_failure_mode(conn, since=since)


@router.get("/health/{asset_id}", summary="An asset's health score, contributing signals and RUL")
def read_asset_health(conn: ConnDep, _: CurrentUser, asset_id: ConditionId) -> AssetHealthPublic:
    return queries.asset_health(conn, asset_id=asset_id)


@router.get(
    "/health/{asset_id}/history",
    summary="An asset's scores over [start, end): the worst per bucket (minutes up to a week, then hours)",
)
def read_health_history(
    conn: ConnDep,
    _: CurrentUser,
    asset_id: ConditionId,
    *,
    start: Annotated[AwareDatetime | None, Query(description="inclusive, with a timezone; default end - 24 h")] = None,
    end: Annotated[AwareDatetime | None, Query(description="exclusive, with a timezone; default now")] = None,
    max_points: Annotated[int, Query(ge=10, le=100_000, description="neighbouring buckets merged beyond it")] = 1_000,
) -> list[HealthPoint]:
    end = end or datetime.now(UTC)
    return queries.health_history(
        conn, asset_id=asset_id, start=start or end - timedelta(hours=24), end=end, max_points=max_points
    )


@router.get("/rules", summary="Rules that turn conditions into work orders")
def list_rules(conn: ConnDep, _: CurrentUser) -> list[RulePublic]:
    return rules.list_rules(conn)


@router.post("/rules", status_code=status.HTTP_201_CREATED)
def create_rule(conn: ConnDep, _: Dispatcher, rule_in: RuleIn) -> RulePublic:
    return rules.save_rule(conn, rule_in=rule_in)


@router.put("/rules/{rule_id}")
def replace_rule(conn: ConnDep, _: Dispatcher, rule_id: RuleId, rule_in: RuleIn) -> RulePublic:
    return rules.save_rule(conn, rule_in=rule_in, rule_id=rule_id)


@router.delete("/rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_rule(conn: ConnDep, _: Dispatcher, rule_id: RuleId) -> Response:
    rules.delete_rule(conn, rule_id=rule_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Report a condition (a detector or integration)")
def report_condition(conn: ConnDep, principal: Dispatcher, report_in: ConditionReport) -> ReportOutcome:
    return conditions_service.report(conn, report_in=report_in, actor=principal.actor)


@router.get("/{condition_id}")
def read_condition(conn: ConnDep, _: PortalReader, condition_id: ConditionId) -> ConditionPublic:
    return conditions_service.get(conn, condition_id=condition_id)


@router.post("/{condition_id}/acknowledge")
def acknowledge(conn: ConnDep, principal: Dispatcher, condition_id: ConditionId) -> ConditionPublic:
    return conditions_service.acknowledge(conn, condition_id=condition_id, actor=principal.actor)


@router.post("/{condition_id}/snooze")
def snooze(conn: ConnDep, _: Dispatcher, condition_id: ConditionId, snooze_in: SnoozeIn) -> ConditionPublic:
    return conditions_service.snooze(conn, condition_id=condition_id, until=snooze_in.until)


@router.post("/{condition_id}/link", summary="Attach to an existing open work order")
def link(conn: ConnDep, _: Dispatcher, condition_id: ConditionId, link_in: LinkIn) -> ConditionPublic:
    return conditions_service.link_work_order(conn, condition_id=condition_id, work_order_id=link_in.work_order_id)


@router.post("/{condition_id}/work-order", summary="Open work for the condition by the rules (or attach)")
def open_work(conn: ConnDep, principal: Dispatcher, condition_id: ConditionId) -> ReportOutcome:
    return conditions_service.open_work_order(conn, condition_id=condition_id, actor=principal.actor)
