"""Conditions inbox: open conditions raised by detection, most severe and newest first, filtered by severity,
category and asset; re-read every refresh period (new ones announced), with the actions on one condition below."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from dashboard import session
from dashboard.api_client import ApiClient, Json, Params
from dashboard.views import condition_actions

SEVERITIES = ("critical", "major", "warning")
CATEGORIES = ("equipment", "sensor")
INBOX_LIMIT = 500
INBOX = "inbox-conditions"  # the inbox of the last refresh, for the actions below it
COLUMNS = ["id", "asset", "failure_mode", "category", "severity", "status", "onset_at", "raised_at",
           "peak_score", "work_order_id", "snoozed_until", "acknowledged_by"]  # fmt: skip


def inbox_frame(conditions: Sequence[Json], asset_names: dict[int, str]) -> pd.DataFrame:
    rows = [{**c, "asset": asset_names.get(int(c["asset_id"]), str(c["asset_id"]))} for c in conditions]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for column in ("onset_at", "raised_at", "snoozed_until"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def new_ids(seen: set[int] | None, conditions: Sequence[Json]) -> list[int]:
    """Ids of the conditions not in the inbox at the previous refresh (none on the first read)."""
    if seen is None:
        return []
    return [int(c["id"]) for c in conditions if int(c["id"]) not in seen]


def announce_new(conditions: Sequence[Json], params: Params) -> None:
    """A toast for conditions that arrived since the previous refresh of this same filter."""
    slot = f"inbox-seen:{sorted((k, str(v)) for k, v in params.items())}"
    fresh = new_ids(st.session_state.get(slot), conditions)
    st.session_state[slot] = {int(c["id"]) for c in conditions}
    if fresh:
        st.toast(f"{len(fresh)} new condition(s): " + ", ".join(f"#{i}" for i in fresh[:10]), icon=":material/bolt:")


def inbox_section(api: ApiClient, params: Params) -> None:
    conditions = session.attempt(lambda: api.get_all("/conditions", params, max_items=INBOX_LIMIT))
    if conditions is None:
        return
    assets = session.remember("asset-list", 60, api.assets) if session.offered("/assets") else []
    names = {int(a["id"]): str(a["name"]) for a in assets or []}
    announce_new(conditions, params)
    st.session_state[INBOX] = (conditions, names)
    st.metric("Open conditions", len(conditions))
    st.caption(session.updated_stamp())
    st.dataframe(inbox_frame(conditions, names), hide_index=True)


def render() -> None:
    st.title("Conditions")
    if not session.require_route("/conditions", "Conditions"):
        return
    cols = st.columns(2)
    severity = cols[0].selectbox("Severity", ["any", *SEVERITIES])
    category = cols[1].selectbox("Category", ["any", *CATEGORIES])
    params: Params = {
        "open": True,
        "severity": None if severity == "any" else severity,
        "category": None if category == "any" else category,
    }

    @st.fragment(run_every=session.settings().refresh_seconds)
    def live_inbox() -> None:
        inbox_section(session.client(), params)

    st.session_state.pop(INBOX, None)
    live_inbox()
    if INBOX in st.session_state:
        conditions, names = st.session_state[INBOX]
        condition_actions.actions_section(session.client(), conditions, names)
