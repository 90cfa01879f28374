"""Conditions inbox: open conditions raised by detection, most severe and newest first, filtered by severity,
category and asset; re-read as new ones arrive."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from dashboard import session
from dashboard.api_client import ApiClient, Json, Params

SEVERITIES = ("critical", "major", "warning")
CATEGORIES = ("equipment", "sensor")
INBOX_LIMIT = 500
COLUMNS = ["id", "asset", "failure_mode", "category", "severity", "status", "onset_at", "raised_at",
           "peak_score", "work_order_id"]  # fmt: skip


def inbox_frame(conditions: Sequence[Json], asset_names: dict[int, str]) -> pd.DataFrame:
    rows = [{**c, "asset": asset_names.get(int(c["asset_id"]), str(c["asset_id"]))} for c in conditions]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for column in ("onset_at", "raised_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def inbox_section(api: ApiClient, params: Params) -> None:
    conditions = session.attempt(lambda: api.get_all("/conditions", params, max_items=INBOX_LIMIT))
    if conditions is None:
        return
    assets = session.remember("asset-list", 60, api.assets) if session.offered("/assets") else []
    names = {int(a["id"]): str(a["name"]) for a in assets or []}
    st.metric("Open conditions", len(conditions))
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

    live_inbox()
