"""HTTP routes of analytics: service quality, backlog, utilization, revenue and cost to serve, DSO."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from service_core.analytics import backlog, money, service_metrics, utilization
from service_core.analytics.schemas import (
    BacklogReport,
    DsoReport,
    MoneyGrouping,
    ProfitabilityReport,
    ServiceGrouping,
    ServiceReport,
    UtilizationReport,
)
from service_core.api.deps import ConnDep, CurrentUser, require_roles
from service_core.api.errors import ERROR_RESPONSES
from service_core.api.transactions import TransactionalRoute
from service_core.auth.domain import Principal, Role
from service_core.exceptions import InvalidInput

router = APIRouter(route_class=TransactionalRoute, prefix="/analytics", tags=["analytics"], responses=ERROR_RESPONSES)

# Money (revenue, cost and margin per account, DSO) and every technician's utilization are for the office: a
# technician sees the service figures and the backlog, not the books or colleagues' loads.
OfficeReader = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.DISPATCHER, Role.FINANCE, Role.VIEWER))]
MAX_PERIOD = timedelta(days=3 * 366)
Start = Annotated[datetime | None, Query(description="period start (aware); default 90 days before end")]
End = Annotated[datetime | None, Query(description="period end, exclusive (aware); default now")]
# Reports cover 2000-2999: period arithmetic on dates near year 1 or 9999 would leave Python's date range.
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)
StartDay = Annotated[date | None, Query(ge=EARLIEST, le=LATEST, description="first day; default 30 days before end")]
EndDay = Annotated[date | None, Query(ge=EARLIEST, le=LATEST, description="day after the last; default tomorrow (UTC)")]
AsOfDay = Annotated[date | None, Query(ge=EARLIEST, le=LATEST, description="last point; default today")]


def _in_range(*moments: datetime | None) -> None:
    if any(m is not None and not EARLIEST <= m.date() <= LATEST for m in moments):
        raise InvalidInput(f"times must lie between {EARLIEST} and {LATEST}")


def _period(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    _in_range(start, end)
    end = end or datetime.now(UTC)
    start = start or end - timedelta(days=90)
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("start and end need a time zone (e.g. 2026-01-01T00:00:00Z)")
    if not start < end or end - start > MAX_PERIOD:
        raise InvalidInput("start must be before end, and the period at most three years")
    return start, end


def _days(start: date | None, end: date | None) -> tuple[date, date]:
    end = end or datetime.now(UTC).date() + timedelta(days=1)
    start = start or end - timedelta(days=30)
    if not start < end or end - start > MAX_PERIOD:
        raise InvalidInput("start must be before end, and the period at most three years")
    return start, end


@router.get("/service", summary="MTTR, MTBF, first-time fix, repeat visits and SLA compliance, per group")
def read_service_metrics(
    conn: ConnDep,
    _: CurrentUser,
    start: Start = None,
    end: End = None,
    group_by: ServiceGrouping = ServiceGrouping.NONE,
    repeat_window_days: Annotated[int, Query(ge=1, le=365)] = 30,
) -> ServiceReport:
    begin, finish = _period(start, end)
    return service_metrics.service_report(
        conn, start=begin, end=finish, group_by=group_by, repeat_window_days=repeat_window_days
    )


@router.get("/backlog", summary="Open work orders and their age, by priority")
def read_backlog(conn: ConnDep, _: CurrentUser, as_of: Annotated[datetime | None, Query()] = None) -> BacklogReport:
    _in_range(as_of)
    moment = as_of or datetime.now(UTC)
    if moment.tzinfo is None:
        raise InvalidInput("as_of needs a time zone")
    return backlog.backlog_report(conn, as_of=moment)


@router.get("/utilization", summary="Technician utilization: job hours over available hours")
def read_utilization(conn: ConnDep, _: OfficeReader, start: StartDay = None, end: EndDay = None) -> UtilizationReport:
    if start is not None and end is not None and (end - start).days > 92:
        raise InvalidInput("utilization covers at most 92 days per request")
    begin, finish = _days(start, end)
    return utilization.utilization_report(conn, start=begin, end=finish)


@router.get("/profitability", summary="Revenue and cost to serve per account, asset or agreement")
def read_profitability(
    conn: ConnDep,
    _: OfficeReader,
    start: StartDay = None,
    end: EndDay = None,
    group_by: MoneyGrouping = MoneyGrouping.ACCOUNT,
) -> ProfitabilityReport:
    begin, finish = _days(start, end)
    return money.profitability_report(conn, start=begin, end=finish, group_by=group_by)


@router.get("/dso", summary="Days sales outstanding at month ends (a trend), or at one date")
def read_dso(
    conn: ConnDep,
    _: OfficeReader,
    as_of: AsOfDay = None,
    months: Annotated[int, Query(ge=1, le=36, description="points, one per month end")] = 1,
    days: Annotated[int, Query(ge=1, le=365, description="sales window")] = 90,
) -> DsoReport:
    last = as_of or datetime.now(UTC).date()
    return money.dso_report(conn, as_of_dates=money.month_ends(last, months), days=days)
