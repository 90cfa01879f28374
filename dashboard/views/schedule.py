"""Schedule: the bookings of a day as a Gantt chart per technician, their routes on a map, the unscheduled backlog,
and the optimizer (preview, then apply) for dispatchers.  The day's bookings and the backlog are re-read every
refresh period (a fragment); the day picker and the optimizer's inputs and plan stay as the user left them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import session
from dashboard.api_client import ApiClient, Json
from dashboard.views import schedule_plan, schedule_routes
from dashboard.views.work_orders import sla_light

BOOKING_COLUMNS = ["technician", "work_order_id", "start", "end", "status", "assigned_by"]
BACKLOG_COLUMNS = ["id", "number", "priority", "summary", "asset_id", "estimated_minutes", "resolution_due_at", "SLA"]
PRIORITY_RANK = {"emergency": 0, "high": 1, "normal": 2, "low": 3}


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


def backlog_frame(orders: Sequence[Json], now: datetime) -> pd.DataFrame:
    """Unscheduled orders, most urgent first: by priority, then by resolution due (none last), then oldest id."""
    far = datetime.max.replace(tzinfo=UTC)

    def urgency(order: Json) -> tuple[int, datetime, int]:
        due = order.get("resolution_due_at")
        return PRIORITY_RANK.get(str(order["priority"]), 9), datetime.fromisoformat(due) if due else far, order["id"]

    rows = [{**o, "SLA": sla_light(o, None, now).text} for o in sorted(orders, key=urgency)]
    frame = pd.DataFrame(rows, columns=BACKLOG_COLUMNS)
    frame["resolution_due_at"] = pd.to_datetime(frame["resolution_due_at"], utc=True)
    return frame


def technician_names(api: ApiClient) -> dict[int, str]:
    if not session.offered("/resources"):
        return {}
    resources = session.remember("resources", 300, api.resources)
    return {int(r["id"]): str(r["name"]) for r in resources or []}


def schedule_section(api: ApiClient, day: date) -> None:
    bookings = session.attempt(lambda: api.get_all("/bookings", {"day": day}))
    if bookings is None:
        return
    names = technician_names(api)
    active = [b for b in bookings if b["status"] != "canceled"]
    frame = gantt_frame(active, names)
    st.metric("Bookings", len(frame))
    if frame.empty:
        st.caption("Nothing is booked on this day.")
        return
    st.altair_chart(gantt_chart(frame), width="stretch")
    st.dataframe(frame, hide_index=True)
    schedule_routes.routes_section(api, active, names)


def backlog_section(api: ApiClient) -> None:
    st.subheader("Unscheduled backlog")
    orders = session.attempt(lambda: api.work_orders({"status": "unscheduled"}))
    if orders is None:
        return
    st.metric("Unscheduled work orders", len(orders))
    if orders:
        st.dataframe(backlog_frame(orders, datetime.now(UTC)), hide_index=True)


def render() -> None:
    st.title("Schedule")
    if not session.require_route("/bookings", "Bookings"):
        return
    day = st.date_input("Day (UTC)", value=datetime.now(UTC).date())

    @st.fragment(run_every=session.settings().refresh_seconds)
    def live_day() -> None:
        api = session.client()
        st.caption(session.updated_stamp())
        schedule_section(api, day)
        if session.offered("/work-orders"):
            backlog_section(api)

    live_day()
    if session.offered("/schedule/optimize"):
        schedule_plan.optimizer_section(day)
