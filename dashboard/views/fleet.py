"""Fleet health: every asset with its account, site, devices, newest values, open work, open conditions, health and
RUL, filtered; a map of sites.

All of it is one API call, `GET /assets/fleet-health` (a read model computed by one SQL query), kept per login for
a little less than the refresh period (`st.cache_data`, keyed by the API, the token and the size asked for): a
filter change or a page switch re-reads nothing, the live refresh re-reads everything.  The table is built
column-wise by pandas, never row by row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboard import session
from dashboard.api_client import FLEET_LIMIT, ApiClient, Json
from dashboard.settings import DashboardSettings

FLEET_PATH = "/assets/fleet-health"
# read model field -> column shown, in the table's order
COLUMNS: dict[str, str] = {
    "id": "id",
    "name": "asset",
    "account": "account",
    "site": "site",
    "asset_type": "type",
    "criticality": "criticality",
    "ownership": "ownership",
    "status": "status",
    "devices": "devices",
    "worst_device_status": "device status",
    "last_seen_at": "last seen",
    "latest_values": "latest values",
    "open_work_orders": "open work orders",
    "open_conditions": "open conditions",
    "worst_severity": "worst severity",
    "health_score": "health",
    "rul_hours": "RUL (h)",
    "not_scored_reason": "not scored",
}
TEXT_COLUMNS = ("asset", "account", "site", "type", "not scored")
HIDDEN = ["account_id", "lat", "lon"]
# The fleet is held for a little less than one refresh period, so every live refresh reads it afresh.
CACHE_SECONDS = max(1, DashboardSettings().refresh_seconds - 1)


@dataclass(frozen=True)
class Fleet:
    frame: pd.DataFrame  # one row per asset: the columns of COLUMNS, and HIDDEN (not shown in the table)
    total: int  # assets in the fleet (the frame holds at most FLEET_LIMIT of them)


def latest_text(values: Mapping[str, float]) -> str:
    """`metric=value` of each metric's newest reading, sorted by metric."""
    return ", ".join(f"{metric}={float(values[metric]):g}" for metric in sorted(values))


def fleet_frame(items: Sequence[Json]) -> pd.DataFrame:
    """The read model's items as the table (and the site coordinates for the map), column by column."""
    raw = pd.DataFrame.from_records(list(items), columns=[*COLUMNS, "account_id", "latitude", "longitude"])
    frame = raw[list(COLUMNS)].rename(columns=COLUMNS)
    for column in TEXT_COLUMNS:
        frame[column] = frame[column].fillna("")
    frame["last seen"] = pd.to_datetime(frame["last seen"], utc=True, format="ISO8601")
    frame["latest values"] = frame["latest values"].map(latest_text, na_action="ignore").fillna("")
    frame["health"] = pd.to_numeric(frame["health"])
    frame["RUL (h)"] = pd.to_numeric(frame["RUL (h)"])
    frame["account_id"] = raw["account_id"]
    frame["lat"] = pd.to_numeric(raw["latitude"])
    frame["lon"] = pd.to_numeric(raw["longitude"])
    return frame


@st.cache_data(ttl=CACHE_SECONDS, max_entries=32, show_spinner=False)
def _read_fleet(api_url: str, token: str, timeout: float, limit: int) -> Fleet:
    answer = session.client_for(api_url, token, timeout).fleet_health(limit=limit)
    return Fleet(fleet_frame(answer["items"]), int(answer["total"]))


def load_fleet(api: ApiClient, *, limit: int = FLEET_LIMIT) -> Fleet:
    """The whole fleet (up to `limit` assets), read once per login and refresh period (errors are not kept)."""
    return _read_fleet(api.base_url, api.token or "", api.timeout, limit)


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


HEALTH_BANDS = ((40.0, "#d62728"), (70.0, "#ff9f1c"), (101.0, "#2ca02c"))  # below 40 red, below 70 amber, green
UNSCORED = "#9e9e9e"


def health_colour(worst: float) -> str:
    """The map colour of a site by the lowest health score among its assets (grey: none scored)."""
    if pd.isna(worst):
        return UNSCORED
    return next(colour for limit, colour in HEALTH_BANDS if worst < limit)


def site_points(frame: pd.DataFrame) -> pd.DataFrame:
    """Each located site of these assets once: its place, the worst health among its assets and that colour."""
    located = frame[frame["site"].ne("") & frame["lat"].notna() & frame["lon"].notna()]
    points = located.groupby(["site", "lat", "lon"], as_index=False, sort=True).agg(worst_health=("health", "min"))
    points["colour"] = points["worst_health"].map(health_colour)
    return points


# -- the page ----------------------------------------------------------------------------------------------------


def _filters(frame: pd.DataFrame) -> FleetFilter:
    def options(column: str) -> list[str]:
        if frame.empty:
            return []
        values = frame[column].dropna().astype(str).unique()
        return sorted(v for v in values if v)

    cols = st.columns(6)
    return FleetFilter(
        accounts=cols[0].multiselect("Account", options("account")),
        sites=cols[1].multiselect("Site", options("site")),
        types=cols[2].multiselect("Type", options("type")),
        criticalities=cols[3].multiselect("Criticality", options("criticality")),
        ownership=cols[4].multiselect("Owned / leased", options("ownership")),
        search=cols[5].text_input("Search"),
    )


def fleet_section(api: ApiClient) -> None:
    """Filters, the table and the map; the API is re-read at most once per refresh period."""
    fleet = session.attempt(lambda: load_fleet(api))
    if fleet is None:
        return
    frame = fleet.frame
    shown = filter_fleet(frame, _filters(frame))
    st.metric("Assets shown", f"{len(shown)} of {fleet.total}")
    if fleet.total > len(frame):
        st.caption(f"The table holds the first {len(frame):,} assets by name; narrow it with the filters.")
    st.caption(
        "Health and RUL come from detection; blank: the asset has not been scored yet. 'not scored' says why "
        "detection no longer scores an asset: its health is then as old as its last score."
    )
    st.dataframe(shown.drop(columns=HIDDEN), hide_index=True, width="stretch")
    points = site_points(shown)
    st.subheader("Sites")
    if points.empty:
        st.caption("No site of the shown assets has a location.")
    else:
        st.caption("Sites by the worst health of their assets: red below 40, amber below 70, green, grey not scored.")
        st.map(points, latitude="lat", longitude="lon", color="colour", size=400)


def render() -> None:
    st.title("Fleet health")
    if not session.require_route(FLEET_PATH, "Fleet health"):
        return

    @st.fragment(run_every=session.settings().refresh_seconds)
    def live() -> None:
        fleet_section(session.client())

    live()
