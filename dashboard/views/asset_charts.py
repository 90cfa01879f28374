"""The asset page's charts (pure: API items in, Altair charts out).  Telemetry draws as one line per metric (one
metric alone: its mean over the bucket's min-max band), the anomaly score as a line against the model's limit, and
the asset's conditions as shaded spans, coloured by severity, over both, on the same time axis."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import altair as alt
import pandas as pd

from dashboard.api_client import Json

SEVERITY_COLOURS = {"warning": "#f2c94c", "major": "#f2994a", "critical": "#eb5757"}
SPAN_COLUMNS = ["id", "failure_mode", "category", "severity", "status", "start", "end"]
OPEN_STATUSES = ("raised", "acknowledged", "snoozed")


def _time(value: object) -> pd.Timestamp:
    return pd.Timestamp(str(value)).tz_convert("UTC")


def condition_spans(conditions: Sequence[Json], start: datetime, end: datetime) -> pd.DataFrame:
    """The conditions that overlap [start, end), each from its onset to its clearing (an open one: to `end`),
    clipped to the range; oldest first."""
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    rows = []
    for c in conditions:
        onset = _time(c["onset_at"])
        closed = c.get("cleared_at") or c.get("resolved_at")
        until = hi if c["status"] in OPEN_STATUSES or not closed else _time(closed)
        if onset < hi and until > lo:
            rows.append([c["id"], c["failure_mode"], c["category"], c["severity"], c["status"], max(onset, lo),
                         min(until, hi)])  # fmt: skip
    return pd.DataFrame(rows, columns=SPAN_COLUMNS).sort_values("start", kind="stable").reset_index(drop=True)


def _axis(start: datetime, end: datetime) -> alt.X:
    return alt.X("ts:T", title="time", scale=alt.Scale(domain=[start.isoformat(), end.isoformat()]))


def _span_layer(spans: pd.DataFrame) -> alt.Chart:
    colours = alt.Scale(domain=list(SEVERITY_COLOURS), range=list(SEVERITY_COLOURS.values()))
    layer: alt.Chart = (
        alt.Chart(spans)
        .mark_rect(opacity=0.25)
        .encode(
            x="start:T",
            x2="end:T",
            color=alt.Color("severity:N", scale=colours, title="condition"),
            tooltip=["failure_mode:N", "category:N", "severity:N", "status:N", "start:T", "end:T"],
        )
    )
    return layer


def _frame(points: Sequence[Json], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(list(points), columns=columns)
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True, format="ISO8601")
    return frame


def telemetry_chart(
    points: Sequence[Json], spans: pd.DataFrame, *, start: datetime, end: datetime, metric: str | None = None
) -> alt.LayerChart:
    """Every metric's mean per bucket, or `metric` alone over its min-max band; conditions shaded behind."""
    if metric is not None:
        frame = _frame([p for p in points if p["metric"] == metric], ["ts", "mean", "min", "max"])
        base = alt.Chart(frame).encode(x=_axis(start, end))
        band = base.mark_area(opacity=0.25).encode(y=alt.Y("min:Q", title=metric), y2="max:Q")
        line = base.mark_line().encode(y="mean:Q", tooltip=["ts:T", "mean:Q", "min:Q", "max:Q"])
        layers = [band, line]
    else:
        frame = _frame(points, ["metric", "ts", "mean", "min", "max"])
        lines = alt.Chart(frame).mark_line().encode(
            x=_axis(start, end), y=alt.Y("mean:Q", title="value"), strokeDash=alt.StrokeDash("metric:N"),
            detail="metric:N", tooltip=["metric:N", "ts:T", "mean:Q", "min:Q", "max:Q"],
        )  # fmt: skip
        layers = [lines]
    return alt.LayerChart(layer=[_span_layer(spans), *layers])


def score_chart(history: Sequence[Json], spans: pd.DataFrame, *, start: datetime, end: datetime) -> alt.LayerChart:
    """The highest anomaly score per bucket (1 = the model's limit, dashed) and the lowest health in the tooltip."""
    frame = _frame(history, ["ts", "health_score", "anomaly_score"])
    line = alt.Chart(frame).mark_line(color="#2f80ed").encode(
        x=_axis(start, end), y=alt.Y("anomaly_score:Q", title="anomaly score (1 = limit)"),
        tooltip=["ts:T", "anomaly_score:Q", "health_score:Q"],
    )  # fmt: skip
    limit = alt.Chart(pd.DataFrame({"limit": [1.0]})).mark_rule(strokeDash=[4, 4], color="#828282").encode(y="limit:Q")
    return alt.LayerChart(layer=[_span_layer(spans), line, limit])
