"""Alarms' precision by failure mode (true alarms over judged ones, from the outcomes of their work orders) for the
chosen period, and its monthly trend.

The API counts the conditions raised since a moment (`/conditions/precision?since=`), so the counts of a month
[a, b) are those since a less those since b: exact, with one call per month boundary.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from dashboard import session
from dashboard.api_client import ApiClient, Json
from dashboard.views.periods import at_midnight, month_spans

COLUMNS = ["failure_mode", "category", "true_alarms", "false_alarms", "unjudged", "precision"]
ALL = "all modes"


def precision_of(true_alarms: int, false_alarms: int) -> float | None:
    judged = true_alarms + false_alarms
    return true_alarms / judged if judged else None


def counts_by_mode(rows: Sequence[Json]) -> dict[str, tuple[int, int]]:
    """Failure mode -> (true alarms, false alarms), summed over categories."""
    counts: dict[str, tuple[int, int]] = {}
    for row in rows:
        true_alarms, false_alarms = counts.get(str(row["failure_mode"]), (0, 0))
        counts[str(row["failure_mode"])] = (
            true_alarms + int(row["true_alarms"]),
            false_alarms + int(row["false_alarms"]),
        )
    return counts


def monthly_precision(since: Sequence[tuple[date, Sequence[Json]]], until: Sequence[Json]) -> pd.DataFrame:
    """Per month (rows) and failure mode (columns, and all modes): the precision of the alarms raised in that month;
    `since` holds the answer since each month's first day, oldest first, `until` the answer since the last's end."""
    answers = [counts_by_mode(rows) for _, rows in since] + [counts_by_mode(until)]
    modes = sorted({mode for answer in answers for mode in answer})
    table = []
    for (month, _), now, later in zip(since, answers, answers[1:], strict=False):
        judged = {m: tuple(a - b for a, b in zip(now.get(m, (0, 0)), later.get(m, (0, 0)), strict=True)) for m in modes}
        row: dict[str, object] = {"month": pd.Timestamp(month)}
        row[ALL] = precision_of(sum(t for t, _ in judged.values()), sum(f for _, f in judged.values()))
        row.update({m: precision_of(*judged[m]) for m in modes})
        table.append(row)
    return pd.DataFrame(table, columns=["month", ALL, *modes]).set_index("month")


def precision_section(api: ApiClient, start: date, end: date, months: int) -> None:
    st.subheader("Alarm precision")
    rows = session.attempt(lambda: api.precision(since=at_midnight(start)))
    if rows is None:
        return
    frame = pd.DataFrame(rows, columns=COLUMNS)
    true_alarms, false_alarms = int(frame["true_alarms"].sum()), int(frame["false_alarms"].sum())
    overall = precision_of(true_alarms, false_alarms)
    st.metric("Alarm precision", "-" if overall is None else f"{overall:.0%}",
              help=f"{true_alarms} true and {false_alarms} false alarms judged among the conditions raised since "
                   f"{start}; unjudged ones do not count")  # fmt: skip
    if frame.empty:
        st.caption("No condition was raised in this period.")
        return
    st.dataframe(frame, hide_index=True)
    spans = month_spans(end - timedelta(days=1), months)  # the last one ends at `end`
    answers = session.attempt(
        lambda: ([(a, api.precision(since=at_midnight(a))) for a, _ in spans], api.precision(since=at_midnight(end)))
    )
    if answers is None:
        return
    trend = monthly_precision(*answers)
    st.caption("Monthly precision of the alarms raised in each month")
    measured = trend.astype(float).dropna(how="all")
    if measured.empty:
        st.caption("No alarm of these months has been judged yet.")
    else:
        st.line_chart(measured)
        st.dataframe(trend.reset_index(), hide_index=True)
