"""Schedule: the bookings of a day as a Gantt chart per technician."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import session
from dashboard.api_client import ApiClient, Json

BOOKING_COLUMNS = ["technician", "work_order_id", "start", "end", "status", "assigned_by"]


def gantt_frame(bookings: Sequence[Json], names: dict[int, str]) -> pd.DataFrame:
    rows = [
        {
            "technician": names.get(int(b["resource_id"]), f"resource {b['resource_id']}"),
            "work_order_id": b["work_order_id"],
            "start": pd.Timestamp(b["start_at"]),
            "end": pd.Timestamp(b["end_at"]),
            "status": b["status"],
            "assigned_by": b.get("assigned_by", ""),
        }
        for b in bookings
    ]
    return pd.DataFrame(rows, columns=BOOKING_COLUMNS)


def gantt_chart(frame: pd.DataFrame) -> alt.Chart:
    chart: alt.Chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("start:T", title="time (UTC)"),
            x2="end:T",
            y=alt.Y("technician:N", title=None),
            color="status:N",
            tooltip=["technician", "work_order_id", "status", "start", "end"],
        )
    )
    return chart


def schedule_section(api: ApiClient) -> None:
    if not session.require_route("/bookings", "Bookings"):
        return
    day = st.date_input("Day (UTC)", value=datetime.now(UTC).date())
    bookings = session.attempt(lambda: api.get_all("/bookings", {"day": day}))
    if bookings is None:
        return
    names: dict[int, str] = {}
    if session.offered("/resources"):
        resources = session.remember("resources", 300, api.resources)
        names = {int(r["id"]): str(r["name"]) for r in resources or []}
    frame = gantt_frame([b for b in bookings if b["status"] != "canceled"], names)
    st.metric("Bookings", len(frame))
    if frame.empty:
        st.caption("Nothing is booked on this day.")
        return
    st.altair_chart(gantt_chart(frame), width="stretch")
    st.dataframe(frame, hide_index=True)


def render() -> None:
    st.title("Schedule")
    schedule_section(session.client())
