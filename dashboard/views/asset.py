"""One asset: its record, health (when scored), devices and their newest values, its open conditions, telemetry
over a chosen range (downsampled by the API: raw, 1m or 1h roll-ups) with the anomaly score over the same range and
the asset's conditions shaded on both charts, work-order and service history, its lease and agreements.

What changes (health, devices and newest values, open conditions; the work orders) is drawn in fragments that
re-read the API every refresh period; the record, the range pickers and charts, and the contracts are not."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from dashboard import session
from dashboard.api_client import ApiClient, Json
from dashboard.ranges import DEFAULT_RANGE, MAX_POINTS, RANGE_KEYS, RANGES, resolution_for, resolution_width
from dashboard.views.asset_charts import condition_spans, score_chart, telemetry_chart
from dashboard.views.asset_reads import AssetReads, Read, start_conditions_in, start_reads, start_score_history
from dashboard.views.conditions import inbox_frame
from dashboard.views.fleet import load_fleet

CHOICE = "asset_page_choice"  # the asset and range last shown: a page switch drops the URL's query
SERVICE_DONE = ("completed", "posted")
OPEN_CONDITION_COLUMNS = ["id", "failure_mode", "category", "severity", "status", "onset_at", "raised_at",
                          "peak_score", "work_order_id", "snoozed_until", "acknowledged_by"]  # fmt: skip


def history_frame(work_orders: Sequence[Json]) -> pd.DataFrame:
    columns = ["number", "status", "priority", "work_type", "summary", "created_at", "completed_at", "resolution_code"]
    frame = pd.DataFrame(list(work_orders), columns=columns)
    for column in ("created_at", "completed_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    return frame


def _wanted() -> tuple[str | None, str]:
    """The asset id and range key asked for: the URL's query, else what this session showed last."""
    last_id, last_range = st.session_state.get(CHOICE, (None, DEFAULT_RANGE))
    asset_id = st.query_params.get("asset_id") or last_id
    range_key = st.query_params.get("range") or last_range
    return asset_id, range_key if range_key in RANGE_KEYS else DEFAULT_RANGE


def _choose_asset(api: ApiClient) -> tuple[int, int] | None:
    """The asset picked among the fleet (the fleet page's cached read model): its id and its account's."""
    fleet = session.attempt(lambda: load_fleet(api))
    if fleet is None:
        return None
    if fleet.frame.empty:
        st.info("The API lists no assets.")
        return None
    ids = fleet.frame["id"].astype(int).tolist()
    names = dict(zip(ids, fleet.frame["asset"], strict=True))
    accounts = dict(zip(ids, fleet.frame["account_id"].astype(int), strict=True))
    wanted, range_key = _wanted()
    ids.sort()
    index = ids.index(int(wanted)) if wanted and wanted.isdigit() and int(wanted) in names else 0
    chosen = st.selectbox("Asset", ids, index=index, format_func=lambda i: f"{i} - {names[i]}")
    st.query_params["asset_id"] = str(chosen)
    st.session_state[CHOICE] = (str(chosen), range_key)
    return int(chosen), int(accounts[chosen])


def _record(asset: Json) -> None:
    cols = st.columns(5)
    cols[0].metric("Criticality", str(asset.get("criticality", "")))
    cols[1].metric("Ownership", str(asset.get("ownership", "")))
    cols[2].metric("Status", str(asset.get("status", "")))
    cols[3].metric("Run hours", str(asset.get("run_hours", "")))
    cols[4].metric("Level", str(asset.get("level", "")))
    st.caption(f"Model {asset.get('model') or '-'}, serial {asset.get('serial_number') or '-'}")


def _health(reads: AssetReads) -> None:
    if reads.health is None:
        return
    st.subheader("Health")
    health = session.attempt(reads.health.fresh)
    if health is None:
        return
    if "unscored" in health:
        st.caption(f"Not scored: {health['unscored']}.")
        return
    refusal = health.get("not_scored")
    if refusal:
        st.warning(f"Not scored since {refusal['since']}: {refusal['reason']}. The score below is from "
                   f"{health['scored_at']}.")  # fmt: skip
    cols = st.columns(3)
    cols[0].metric("Health score", health["health_score"])
    rul = health.get("rul_hours")
    cols[1].metric("RUL (hours)", "not estimated" if rul is None else f"{float(rul):.0f}")
    low, high = health.get("rul_low_hours"), health.get("rul_high_hours")
    if rul is not None and low is not None and high is not None:
        cols[1].caption(f"RUL band {float(low):.0f}-{float(high):.0f} h")
    cols[2].metric("Open conditions", health.get("open_conditions", 0))
    if health.get("contributions"):
        st.dataframe(pd.DataFrame(health["contributions"]), hide_index=True)


def _devices(reads: AssetReads) -> None:
    """The asset's devices and their newest values (shown as tables)."""
    st.subheader("Devices and newest values")
    devices: list[Json] | None = session.attempt(reads.devices.fresh)
    latest: list[Json] | None = session.attempt(reads.latest.fresh)
    if devices is None or latest is None:
        return
    if not devices:
        st.caption("No device instruments this asset.")
        return
    st.dataframe(
        pd.DataFrame(devices, columns=["id", "device_key", "device_type", "status", "last_seen_at"]), hide_index=True
    )
    if latest:
        st.dataframe(pd.DataFrame(latest, columns=["device_key", "metric", "value", "ts"]), hide_index=True)


def _open_conditions(reads: AssetReads) -> None:
    if reads.open_conditions is None:
        return
    found = session.attempt(reads.open_conditions.fresh)
    if found is None:
        return
    st.subheader(f"Open conditions ({len(found)})")
    if found:
        st.dataframe(inbox_frame(found, {})[OPEN_CONDITION_COLUMNS], hide_index=True)


def _live_state(reads: AssetReads, asset_id: int) -> None:
    """Health, devices and newest values, and open conditions, re-read every refresh period."""

    @st.fragment(run_every=session.settings().refresh_seconds)
    def live_state() -> None:
        st.caption(session.updated_stamp())
        _health(reads)
        _devices(reads)
        _open_conditions(reads)

    live_state()


def _telemetry(api: ApiClient, reads: AssetReads, asset_id: int) -> None:
    """The range pickers and charts, from the page's own read of the devices (not refreshed: a refresh would redraw
    the charts of a long range, and the pickers stay as the user set them)."""
    devices: list[Json] = reads.devices.first_or_none() or []
    latest: list[Json] = reads.latest.first_or_none() or []
    if not devices:
        return
    st.subheader("Telemetry")
    cols = st.columns(3)
    keys = {int(d["id"]): str(d["device_key"]) for d in devices}
    device_id = cols[0].selectbox("Device", list(keys), format_func=lambda i: keys[i])
    _, range_key = _wanted()
    label = cols[1].selectbox("Range", list(RANGES), index=list(RANGES).index(RANGE_KEYS[range_key]))
    range_key = next(key for key, name in RANGE_KEYS.items() if name == label)
    st.query_params["range"] = range_key
    st.session_state[CHOICE] = (st.query_params.get("asset_id"), range_key)
    known = sorted({str(v["metric"]) for v in latest if v["device_id"] == device_id})
    chosen = cols[2].multiselect("Metrics", known, placeholder="all")
    span = RANGES[label]
    end = datetime.now(UTC)
    start = end - span
    history = start_score_history(api, asset_id, start, end)  # both read while the telemetry is
    conditions = start_conditions_in(api, asset_id, start, end)
    resolution = resolution_for(span)
    points = session.attempt(
        lambda: api.telemetry_window(
            device_id=device_id, start=start, end=end, resolution=resolution, metrics=chosen or None,
            max_points=MAX_POINTS,
        )
    )  # fmt: skip
    found = session.attempt(conditions.result) if conditions is not None else None
    spans = condition_spans(found or [], start, end)
    if points is not None:
        st.caption(f"{len(points)} points at resolution {resolution} over the last {label}")
        if len(points) > 1 and (span / resolution_width(resolution)) > MAX_POINTS:
            st.caption(f"At most {MAX_POINTS:,} points per metric: the API merged neighbouring buckets (exactly).")
        if not points:
            st.caption("No readings in this range.")
        else:
            metric = chosen[0] if len(chosen) == 1 else None
            st.altair_chart(telemetry_chart(points, spans, start=start, end=end, metric=metric), width="stretch")
    if history is not None:
        _scores(history, spans, start=start, end=end)
    if found is not None:
        _conditions_in_range(spans)


def _scores(history: Read, spans: pd.DataFrame, *, start: datetime, end: datetime) -> None:
    scored = session.attempt(history.result)
    if scored is None:
        return
    st.subheader("Anomaly score")
    if not scored:
        st.caption("No scores in this range: detection has not scored this asset's readings of it.")
        return
    worst = max(float(p["anomaly_score"]) for p in scored)
    lowest = min(int(p["health_score"]) for p in scored)
    summary = f"highest anomaly score {worst:.2f} (1 = the model's limit), lowest health {lowest}"
    st.caption(f"{len(scored)} buckets; {summary}")
    st.altair_chart(score_chart(scored, spans, start=start, end=end), width="stretch")


def _conditions_in_range(spans: pd.DataFrame) -> None:
    st.subheader(f"Conditions in this range ({len(spans)})")
    if not spans.empty:
        st.dataframe(spans, hide_index=True)


def _work_history(reads: AssetReads) -> None:
    if not session.require_route("/work-orders", "Work orders") or reads.work_orders is None:
        return
    work_orders = reads.work_orders

    @st.fragment(run_every=session.settings().refresh_seconds)
    def live_work() -> None:
        orders = session.attempt(work_orders.fresh)
        if orders is not None:
            st.caption(session.updated_stamp())
            _work_tables(orders)

    live_work()


def _work_tables(orders: list[Json]) -> None:
    st.subheader(f"Work orders ({len(orders)})")
    st.dataframe(history_frame(orders), hide_index=True)
    done = [wo for wo in orders if wo["status"] in SERVICE_DONE]
    st.subheader(f"Service history ({len(done)})")
    st.dataframe(history_frame(done), hide_index=True)


def _contracts(reads: AssetReads, asset_id: int) -> None:
    if reads.leases is not None:
        leases = session.attempt(reads.leases.result)
        if leases is not None:
            st.subheader(f"Leases ({len(leases)})")
            columns = ["number", "status", "start_date", "end_date", "periodic_charge", "period_months"]
            st.dataframe(pd.DataFrame(leases, columns=columns), hide_index=True)
    if reads.agreements is not None:
        found = session.attempt(reads.agreements.result)
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
    chosen = _choose_asset(api)
    if chosen is None:
        return
    asset_id, account_id = chosen
    reads = start_reads(api, asset_id, account_id)  # every read at once; each part waits for its own
    asset: Json | None = session.attempt(reads.asset.result)
    if asset is None:
        return
    st.header(str(asset["name"]))
    _record(asset)
    _live_state(reads, asset_id)
    _telemetry(api, reads, asset_id)
    _work_history(reads)
    _contracts(reads, asset_id)
