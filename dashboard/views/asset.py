"""One asset: its record, health (when scored), devices and their newest values, telemetry over a chosen range
(downsampled by the API: raw, 1m or 1h roll-ups), work-order and service history, its lease and agreements."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import session
from dashboard.api_client import ApiClient, Json
from dashboard.views.fleet import health_scores

RANGES: dict[str, timedelta] = {
    "1 hour": timedelta(hours=1),
    "6 hours": timedelta(hours=6),
    "24 hours": timedelta(hours=24),
    "7 days": timedelta(days=7),
    "30 days": timedelta(days=30),
    "90 days": timedelta(days=90),
    "1 year": timedelta(days=365),
}
RAW_UP_TO = timedelta(hours=2)  # a 1 Hz sensor: at most 7,200 raw points
MINUTES_UP_TO = timedelta(days=7)  # at most 10,080 one-minute buckets; beyond: hours (a year is 8,760)
SERVICE_DONE = ("completed", "posted")


def resolution_for(span: timedelta) -> str:
    """The coarsest detail that still draws the range well: raw, `1m` or `1h` roll-ups (a few thousand points)."""
    if span <= RAW_UP_TO:
        return "raw"
    if span <= MINUTES_UP_TO:
        return "1m"
    return "1h"


def telemetry_frame(points: Sequence[Json]) -> pd.DataFrame:
    """Mean per bucket, one column per metric, indexed by time (what the line chart draws)."""
    if not points:
        return pd.DataFrame()
    frame = pd.DataFrame(points)
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame.pivot_table(index="ts", columns="metric", values="mean", aggfunc="mean").sort_index()


def history_frame(work_orders: Sequence[Json]) -> pd.DataFrame:
    columns = ["number", "status", "priority", "work_type", "summary", "created_at", "completed_at", "resolution_code"]
    frame = pd.DataFrame(list(work_orders), columns=columns)
    for column in ("created_at", "completed_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def _choose_asset(api: ApiClient) -> Json | None:
    assets = session.remember("asset-list", 60, api.assets)
    if not assets:
        st.info("The API lists no assets.")
        return None
    by_id = {int(a["id"]): a for a in assets}
    wanted = st.query_params.get("asset_id")
    ids = sorted(by_id)
    index = ids.index(int(wanted)) if wanted and wanted.isdigit() and int(wanted) in by_id else 0
    chosen = st.selectbox("Asset", ids, index=index, format_func=lambda i: f"{i} - {by_id[i]['name']}")
    st.query_params["asset_id"] = str(chosen)
    return by_id[chosen]


def _record(asset: Json) -> None:
    cols = st.columns(5)
    cols[0].metric("Criticality", str(asset.get("criticality", "")))
    cols[1].metric("Ownership", str(asset.get("ownership", "")))
    cols[2].metric("Status", str(asset.get("status", "")))
    cols[3].metric("Run hours", str(asset.get("run_hours", "")))
    cols[4].metric("Level", str(asset.get("level", "")))
    st.caption(f"Model {asset.get('model') or '-'}, serial {asset.get('serial_number') or '-'}")


def _health(api: ApiClient, asset_id: int) -> None:
    if not session.offered("/conditions/health/{asset_id}"):
        return
    st.subheader("Health")
    scores = session.attempt(lambda: health_scores(api, [asset_id]))
    if scores is None:
        return
    if asset_id not in scores:
        st.caption("Not scored yet: detection has not rated this asset.")
        return
    health = scores[asset_id]
    cols = st.columns(3)
    cols[0].metric("Health score", health["health_score"])
    rul = health.get("rul_hours")
    cols[1].metric("RUL (hours)", "not estimated" if rul is None else f"{float(rul):.0f}")
    cols[2].metric("Open conditions", health.get("open_conditions", 0))
    if health.get("contributions"):
        st.dataframe(pd.DataFrame(health["contributions"]), hide_index=True)


def _devices(api: ApiClient, asset_id: int) -> tuple[list[Json], list[Json]]:
    """The asset's devices and their newest values (shown as tables)."""
    st.subheader("Devices and newest values")
    if session.offered("/assets/{asset_id}/devices"):
        devices: list[Json] | None = session.attempt(lambda: api.get(f"/assets/{asset_id}/devices"))
    else:
        devices = session.attempt(lambda: [d for d in api.devices() if d.get("asset_id") == asset_id])
    latest = session.attempt(lambda: api.latest(asset_id=asset_id))
    if devices is None or latest is None:
        return [], []
    if not devices:
        st.caption("No device instruments this asset.")
        return [], []
    st.dataframe(
        pd.DataFrame(devices, columns=["id", "device_key", "device_type", "status", "last_seen_at"]), hide_index=True
    )
    if latest:
        st.dataframe(pd.DataFrame(latest, columns=["device_key", "metric", "value", "ts"]), hide_index=True)
    return devices, latest


def band_chart(points: Sequence[Json], metric: str) -> alt.LayerChart:
    """One metric: its mean per bucket as a line over the bucket's min-max band."""
    frame = pd.DataFrame([p for p in points if p["metric"] == metric], columns=["ts", "mean", "min", "max"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    base = alt.Chart(frame).encode(x=alt.X("ts:T", title="time"))
    band = base.mark_area(opacity=0.25).encode(y=alt.Y("min:Q", title=metric), y2="max:Q")
    line = base.mark_line().encode(y="mean:Q", tooltip=["ts:T", "mean:Q", "min:Q", "max:Q"])
    layered: alt.LayerChart = band + line
    return layered


def _telemetry(api: ApiClient, devices: list[Json], latest: list[Json]) -> None:
    if not devices:
        return
    st.subheader("Telemetry")
    cols = st.columns(3)
    keys = {int(d["id"]): str(d["device_key"]) for d in devices}
    device_id = cols[0].selectbox("Device", list(keys), format_func=lambda i: keys[i])
    label = cols[1].selectbox("Range", list(RANGES), index=2)
    known = sorted({str(v["metric"]) for v in latest if v["device_id"] == device_id})
    chosen = cols[2].multiselect("Metrics", known, placeholder="all")
    span = RANGES[label]
    end = datetime.now(UTC)
    resolution = resolution_for(span)
    points = session.attempt(
        lambda: api.telemetry_window(
            device_id=device_id, start=end - span, end=end, resolution=resolution, metrics=chosen or None
        )
    )
    if points is None:
        return
    st.caption(f"{len(points)} points at resolution {resolution} over the last {label}")
    if not points:
        st.caption("No readings in this range.")
    elif len(chosen) == 1:
        st.altair_chart(band_chart(points, chosen[0]), width="stretch")
    else:
        st.line_chart(telemetry_frame(points))


def _work_history(api: ApiClient, asset_id: int) -> None:
    if not session.require_route("/work-orders", "Work orders"):
        return
    orders = session.attempt(lambda: api.work_orders({"asset_id": asset_id}))
    if orders is None:
        return
    st.subheader(f"Work orders ({len(orders)})")
    st.dataframe(history_frame(orders), hide_index=True)
    done = [wo for wo in orders if wo["status"] in SERVICE_DONE]
    st.subheader(f"Service history ({len(done)})")
    st.dataframe(history_frame(done), hide_index=True)


def _contracts(api: ApiClient, asset: Json) -> None:
    asset_id = int(asset["id"])
    leases_path = session.first_offered("/leases", "/assets/leases")
    if leases_path is not None:
        leases = session.attempt(lambda: api.get_all(leases_path, {"asset_id": asset_id}))
        if leases is not None:
            st.subheader(f"Leases ({len(leases)})")
            columns = ["number", "status", "start_date", "end_date", "periodic_charge", "period_months"]
            st.dataframe(pd.DataFrame(leases, columns=columns), hide_index=True)
    if session.offered("/agreements"):
        found = session.attempt(lambda: api.get_all("/agreements", {"account_id": int(asset["account_id"])}))
        if found is not None:
            covering = [a for a in found if a.get("covers_all_assets") or asset_id in a.get("asset_ids", [])]
            st.subheader(f"Agreements covering it ({len(covering)})")
            columns = ["number", "name", "status", "start_date", "end_date", "periodic_fee"]
            st.dataframe(pd.DataFrame(covering, columns=columns), hide_index=True)


def render() -> None:
    st.title("Asset")
    if not session.require_route("/assets", "Assets"):
        return
    api = session.client()
    asset = _choose_asset(api)
    if asset is None:
        return
    st.header(str(asset["name"]))
    _record(asset)
    _health(api, int(asset["id"]))
    devices, latest = _devices(api, int(asset["id"]))
    _telemetry(api, devices, latest)
    _work_history(api, int(asset["id"]))
    _contracts(api, asset)
