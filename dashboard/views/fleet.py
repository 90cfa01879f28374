"""Fleet health: every asset with its account, site, devices, latest values and open work, filtered; a map of sites.

Only what the API gives is shown: health scores and open conditions appear when the API offers the conditions
routes, and stay out of the table otherwise.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from dashboard import session
from dashboard.api_client import ApiClient, ApiError, Json

OPEN_STATUSES = ("unscheduled", "scheduled", "in_progress")
HEALTH_LIMIT = 50  # health scores are one call per asset: only for a filtered view this small
TYPE_KEYS = ("asset_type_code", "asset_type", "asset_type_name", "asset_type_id")


@dataclass(frozen=True)
class FleetData:
    assets: list[Json]
    accounts: dict[int, str]
    sites: dict[int, Json]
    devices: list[Json] = field(default_factory=list)
    latest: list[Json] = field(default_factory=list)
    open_work: dict[int, int] = field(default_factory=dict)
    open_conditions: dict[int, int] | None = None
    type_names: dict[int, str] = field(default_factory=dict)


def asset_type(asset: Json, type_names: dict[int, str]) -> str:
    """The asset type's name when the API lists types, else whatever the asset record carries."""
    type_id = asset.get("asset_type_id")
    if type_id is not None and int(type_id) in type_names:
        return type_names[int(type_id)]
    for key in TYPE_KEYS:
        if asset.get(key) is not None:
            return str(asset[key])
    return ""


def open_work_by_asset(work_orders: Iterable[Json]) -> dict[int, int]:
    counts = Counter(int(wo["asset_id"]) for wo in work_orders if wo.get("asset_id") is not None)
    return dict(counts)


def latest_text(values: Sequence[Json]) -> str:
    """`metric=value` of each metric's newest reading, sorted by metric."""
    return ", ".join(f"{v['metric']}={float(v['value']):g}" for v in sorted(values, key=lambda v: str(v["metric"])))


def fleet_frame(data: FleetData) -> pd.DataFrame:
    """One row per asset with the columns the page shows."""
    devices_of: dict[int, list[Json]] = {}
    for device in data.devices:
        if device.get("asset_id") is not None:
            devices_of.setdefault(int(device["asset_id"]), []).append(device)
    latest_of: dict[int, list[Json]] = {}
    for value in data.latest:
        latest_of.setdefault(int(value["device_id"]), []).append(value)
    rows = []
    for asset in data.assets:
        asset_id = int(asset["id"])
        devices = devices_of.get(asset_id, [])
        site = data.sites.get(int(asset["location_id"])) if asset.get("location_id") is not None else None
        values = [v for d in devices for v in latest_of.get(int(d["id"]), [])]
        seen = [str(d["last_seen_at"]) for d in devices if d.get("last_seen_at")]
        row = {
            "id": asset_id,
            "asset": asset.get("name", ""),
            "account": data.accounts.get(int(asset["account_id"]), str(asset["account_id"])),
            "site": site["name"] if site else "",
            "type": asset_type(asset, data.type_names),
            "criticality": asset.get("criticality", ""),
            "ownership": asset.get("ownership", ""),
            "status": asset.get("status", ""),
            "devices": len(devices),
            "device status": ", ".join(sorted({str(d["status"]) for d in devices})),
            "last seen": pd.to_datetime(max(seen), utc=True) if seen else pd.NaT,
            "latest values": latest_text(values),
            "open work orders": data.open_work.get(asset_id, 0),
        }
        if data.open_conditions is not None:
            row["open conditions"] = data.open_conditions.get(asset_id, 0)
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class FleetFilter:
    accounts: Sequence[str] = ()
    sites: Sequence[str] = ()
    types: Sequence[str] = ()
    criticalities: Sequence[str] = ()
    ownership: Sequence[str] = ()
    search: str = ""


def filter_fleet(frame: pd.DataFrame, f: FleetFilter) -> pd.DataFrame:
    """The rows that match every filter that is set; `search` matches asset, account or site, any case."""
    if frame.empty:
        return frame
    mask = pd.Series(True, index=frame.index)
    for column, chosen in (
        ("account", f.accounts),
        ("site", f.sites),
        ("type", f.types),
        ("criticality", f.criticalities),
        ("ownership", f.ownership),
    ):
        if chosen:
            mask &= frame[column].isin(list(chosen))
    text = f.search.strip().lower()
    if text:
        haystack = frame["asset"].str.lower() + " " + frame["account"].str.lower() + " " + frame["site"].str.lower()
        mask &= haystack.str.contains(text, regex=False)
    return frame[mask]


def site_points(sites: Iterable[Json], site_names: set[str] | None = None) -> pd.DataFrame:
    """Latitude and longitude of the sites, for the map (all of them, or those named)."""
    rows = [
        {"site": s["name"], "lat": float(s["latitude"]), "lon": float(s["longitude"])}
        for s in sites
        if site_names is None or s["name"] in site_names
    ]
    return pd.DataFrame(rows, columns=["site", "lat", "lon"])


# -- reading the API ---------------------------------------------------------------------------------------------


def _sites(api: ApiClient, account_ids: Iterable[int]) -> dict[int, Json]:
    return {int(loc["id"]): loc for account_id in sorted(set(account_ids)) for loc in api.locations(account_id)}


def _open_work(api: ApiClient) -> dict[int, int]:
    orders = [wo for status in OPEN_STATUSES for wo in api.work_orders({"status": status})]
    return open_work_by_asset(orders)


def _open_conditions(api: ApiClient) -> dict[int, int]:
    conditions = api.get_all("/conditions", {"open": True})
    return dict(Counter(int(c["asset_id"]) for c in conditions))


def load_fleet(api: ApiClient) -> FleetData:
    assets = api.assets()
    accounts = {int(a["id"]): str(a["name"]) for a in api.accounts()}
    sites = _sites(api, (int(a["account_id"]) for a in assets))
    devices = api.devices()
    device_ids = [int(d["id"]) for d in devices if d.get("asset_id") is not None]
    latest = [v for i in range(0, len(device_ids), 500) for v in api.latest(device_ids=device_ids[i : i + 500])]
    open_work = _open_work(api) if session.offered("/work-orders") else {}
    conditions = _open_conditions(api) if session.offered("/conditions") else None
    types: list[Json] = api.get("/assets/types") if session.offered("/assets/types") else []
    type_names = {int(t["id"]): str(t["name"]) for t in types}
    return FleetData(assets, accounts, sites, devices, latest, open_work, conditions, type_names)


def health_scores(api: ApiClient, asset_ids: Iterable[int]) -> dict[int, Json]:
    """Health of each asset that has been scored (404: not scored yet, left out)."""
    scores: dict[int, Json] = {}
    for asset_id in asset_ids:
        try:
            scores[asset_id] = api.get(f"/conditions/health/{asset_id}")
        except ApiError as exc:
            if exc.status != 404:
                raise
    return scores


# -- the page ----------------------------------------------------------------------------------------------------


def _filters(frame: pd.DataFrame) -> FleetFilter:
    def options(column: str) -> list[str]:
        return sorted({str(v) for v in frame[column] if v}) if not frame.empty else []

    cols = st.columns(6)
    return FleetFilter(
        accounts=cols[0].multiselect("Account", options("account")),
        sites=cols[1].multiselect("Site", options("site")),
        types=cols[2].multiselect("Type", options("type")),
        criticalities=cols[3].multiselect("Criticality", options("criticality")),
        ownership=cols[4].multiselect("Owned / leased", options("ownership")),
        search=cols[5].text_input("Search"),
    )


def _with_health(api: ApiClient, shown: pd.DataFrame) -> pd.DataFrame:
    if not session.offered("/conditions/health/{asset_id}") or shown.empty:
        return shown
    if len(shown) > HEALTH_LIMIT:
        st.caption(f"Health scores are read per asset: narrow the filter to {HEALTH_LIMIT} assets or fewer.")
        return shown
    ids = sorted(int(i) for i in shown["id"])
    refresh = session.settings().refresh_seconds
    scores = session.remember(f"health:{ids}", refresh - 1, lambda: health_scores(api, ids))
    if scores is None:
        return shown
    st.caption("Health and RUL come from detection; blank: the asset has not been scored yet.")
    shown = shown.copy()
    shown["health"] = [scores[i]["health_score"] if i in scores else None for i in shown["id"]]
    shown["RUL (h)"] = [scores[i].get("rul_hours") if i in scores else None for i in shown["id"]]
    return shown


def fleet_section(api: ApiClient) -> None:
    """Filters, the table and the map; the API is re-read at most once per refresh period."""
    refresh = session.settings().refresh_seconds
    data = session.remember("fleet", refresh - 1, lambda: load_fleet(api))
    if data is None:
        return
    frame = fleet_frame(data)
    shown = _with_health(api, filter_fleet(frame, _filters(frame)))
    st.metric("Assets shown", f"{len(shown)} of {len(frame)}")
    st.dataframe(shown, hide_index=True, width="stretch")
    site_names = set(shown["site"]) if not shown.empty else set()
    points = site_points(data.sites.values(), site_names)
    st.subheader("Sites")
    if points.empty:
        st.caption("No site of the shown assets has a location.")
    else:
        st.map(points, latitude="lat", longitude="lon")


def render() -> None:
    st.title("Fleet health")
    if not session.require_route("/assets", "Assets"):
        return

    @st.fragment(run_every=session.settings().refresh_seconds)
    def live() -> None:
        fleet_section(session.client())

    live()
