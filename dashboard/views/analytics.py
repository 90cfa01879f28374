"""Analytics: service quality (MTTR, MTBF, first-time fix, SLA compliance), backlog, technician utilization and
profitability, alarms' precision by failure mode, each for a chosen period, with monthly trends read from the API
month by month."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import streamlit as st

from dashboard import session
from dashboard.api_client import ApiClient, Json, Params
from dashboard.views.alarm_precision import precision_section
from dashboard.views.finance import money
from dashboard.views.periods import at_midnight, month_spans

PERIODS = {"30 days": 30, "90 days": 90, "180 days": 180, "365 days": 365}
TREND_MONTHS = 6
SERVICE_TREND = ("mttr_hours", "mtbf_hours", "first_time_fix_rate", "sla_compliance")
HEADLINE = (
    ("MTTR (h)", "mttr_hours", "{:.1f}"),
    ("MTBF (h)", "mtbf_hours", "{:.1f}"),
    ("First-time fix", "first_time_fix_rate", "{:.0%}"),
    ("SLA compliance", "sla_compliance", "{:.0%}"),
)


def shown(value: object, pattern: str) -> str:
    """A metric as the page shows it; "-" when there was nothing to measure (never a made-up 0)."""
    return "-" if value is None else pattern.format(float(str(value)))


def fleet_utilization(report: Json) -> float | None:
    """Hours on jobs (work and travel) over available hours, summed over every technician of the report."""
    available = sum(float(t["available_hours"]) for t in report["technicians"])
    on_jobs = sum(float(t["work_hours"]) + float(t["travel_hours"]) for t in report["technicians"])
    return on_jobs / available if available > 0 else None


def service_trend(reports: Sequence[tuple[date, Json]]) -> pd.DataFrame:
    """One row per month: the ungrouped service metrics of that month."""
    rows = []
    for month, report in reports:
        group = report["groups"][0] if report["groups"] else {}
        rows.append({"month": pd.Timestamp(month), **{k: group.get(k) for k in SERVICE_TREND}})
    return pd.DataFrame(rows, columns=["month", *SERVICE_TREND]).set_index("month")


def profit_trend(reports: Sequence[tuple[date, Json]]) -> pd.DataFrame:
    """One row per month: revenue, cost to serve and margin summed over every group."""
    rows = []
    for month, report in reports:
        groups = report["groups"]
        rows.append(
            {
                "month": pd.Timestamp(month),
                "revenue": sum(money(g["revenue"]) for g in groups),
                "cost_to_serve": sum(money(g["cost_to_serve"]) for g in groups),
                "margin": sum(money(g["margin"]) for g in groups),
            }
        )
    return pd.DataFrame(rows, columns=["month", "revenue", "cost_to_serve", "margin"]).set_index("month")


def service_section(api: ApiClient, start: date, end: date) -> None:
    st.subheader("Service")
    group_by = st.selectbox("Group by", ["none", "asset", "asset_type", "account"])
    period: Params = {"start": at_midnight(start), "end": at_midnight(end)}
    whole = session.attempt(lambda: api.analytics("service", period))
    if whole is not None:
        overall = whole["groups"][0] if whole["groups"] else {}
        for col, (label, key, pattern) in zip(st.columns(len(HEADLINE)), HEADLINE, strict=True):
            col.metric(label, shown(overall.get(key), pattern))
    grouped: Params = {**period, "group_by": group_by}
    report = whole if group_by == "none" else session.attempt(lambda: api.analytics("service", grouped))
    if report is not None:
        st.dataframe(pd.DataFrame(report["groups"]), hide_index=True)
    spans = month_spans(end - timedelta(days=1), TREND_MONTHS)
    monthly = session.attempt(
        lambda: [(a, api.analytics("service", {"start": at_midnight(a), "end": at_midnight(b)})) for a, b in spans]
    )
    if monthly is not None:
        trend = service_trend(monthly)
        _trend_chart("Monthly MTTR and MTBF (hours)", trend[["mttr_hours", "mtbf_hours"]])
        _trend_chart("Monthly first-time fix and SLA compliance", trend[["first_time_fix_rate", "sla_compliance"]])


def _trend_chart(title: str, frame: pd.DataFrame) -> None:
    """A line chart of the months that have a value; a note when none has (nothing completed to measure)."""
    st.caption(title)
    measured = frame.astype(float).dropna(how="all")
    if measured.empty:
        st.caption("Nothing to measure in these months.")
    else:
        st.line_chart(measured)


def backlog_section(api: ApiClient) -> None:
    st.subheader("Backlog")
    report = session.attempt(lambda: api.analytics("backlog"))
    if report is None:
        return
    st.metric("Open work orders", report["total_open"])
    frame = pd.DataFrame(report["by_priority"])
    if not frame.empty:
        st.bar_chart(frame.set_index("priority")["open_work_orders"], sort=False)
        st.dataframe(frame, hide_index=True)


def utilization_section(api: ApiClient, start: date, end: date) -> None:
    st.subheader("Technician utilization")
    start = max(start, end - timedelta(days=92))  # the API answers at most 92 days at once
    report = session.attempt(lambda: api.analytics("utilization", {"start": start, "end": end}))
    if report is None:
        return
    st.caption(f"{report['start']} to {report['end']} (end exclusive)")
    frame = pd.DataFrame(report["technicians"])
    if frame.empty:
        st.caption("No technicians.")
        return
    st.metric("Utilization, all technicians", shown(fleet_utilization(report), "{:.0%}"))
    st.bar_chart(frame.set_index("name")["utilization"])
    st.dataframe(frame, hide_index=True)
    spans = month_spans(end - timedelta(days=1), TREND_MONTHS)
    monthly = session.attempt(lambda: [(a, api.analytics("utilization", {"start": a, "end": b})) for a, b in spans])
    if monthly is not None:
        trend = pd.DataFrame(
            {"utilization": [fleet_utilization(r) for _, r in monthly]}, index=[pd.Timestamp(a) for a, _ in monthly]
        )
        _trend_chart("Monthly utilization, all technicians", trend)


def profitability_section(api: ApiClient, start: date, end: date) -> None:
    st.subheader("Profitability")
    group_by = st.selectbox("Per", ["account", "asset", "agreement"])
    report = session.attempt(lambda: api.analytics("profitability", {"start": start, "end": end, "group_by": group_by}))
    if report is not None:
        st.caption(report.get("currency_note", ""))
        st.dataframe(pd.DataFrame(report["groups"]), hide_index=True)
    spans = month_spans(end - timedelta(days=1), TREND_MONTHS)
    monthly = session.attempt(lambda: [(a, api.analytics("profitability", {"start": a, "end": b})) for a, b in spans])
    if monthly is not None:
        st.caption("Monthly trend")
        st.line_chart(profit_trend(monthly))


def render() -> None:
    st.title("Analytics")
    api = session.client()
    label = st.selectbox("Period", list(PERIODS), index=1)
    end = datetime.now(UTC).date() + timedelta(days=1)
    start = end - timedelta(days=PERIODS[label])
    service_section(api, start, end)
    backlog_section(api)
    utilization_section(api, start, end)
    profitability_section(api, start, end)
    if session.offered("/conditions/precision"):
        precision_section(api, start, end, TREND_MONTHS)
