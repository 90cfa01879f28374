"""The day's routes on a map: each technician's booked stops in start order, from home and back, at the service
locations of the work orders (the order's own location, else its asset's site)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import pydeck as pdk
import streamlit as st

from dashboard import session
from dashboard.api_client import ApiClient, Json

STOP_COLUMNS = ["technician", "stop", "work_order_id", "number", "start", "latitude", "longitude"]
PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Place:
    latitude: float
    longitude: float


def _site_of(api: ApiClient, order: Json) -> Place | None:
    """Where the order is done: its own location, else its asset's; None when neither is known."""
    location_id, account_ids = order.get("location_id"), [int(order["account_id"])]
    if location_id is None and order.get("asset_id") is not None:
        asset = api.asset(int(order["asset_id"]))
        location_id = asset.get("location_id")
        account_ids.append(int(asset["account_id"]))
    if location_id is None:
        return None
    for account_id in dict.fromkeys(account_ids):
        for location in _locations(api, account_id):
            if int(location["id"]) == int(location_id):
                return Place(float(location["latitude"]), float(location["longitude"]))
    return None


def _locations(api: ApiClient, account_id: int) -> list[Json]:
    return session.remember(f"locations:{account_id}", 300, lambda: api.locations(account_id)) or []


def route_stops(api: ApiClient, bookings: Sequence[Json], names: dict[int, str]) -> pd.DataFrame:
    """One row per booking with a known place: the technician, the stop's number in their day, order and place."""
    rows = []
    order_of: dict[int, Json] = {}
    for booking in sorted(bookings, key=lambda b: (int(b["resource_id"]), b["start_at"])):
        work_order_id = int(booking["work_order_id"])
        order = order_of.setdefault(work_order_id, api.work_order(work_order_id))
        place = _site_of(api, order)
        if place is None:
            continue
        resource_id = int(booking["resource_id"])
        rows.append({"technician": names.get(resource_id, f"resource {resource_id}"), "resource_id": resource_id,
                     "work_order_id": work_order_id, "number": order["number"],
                     "start": pd.Timestamp(booking["start_at"]), "latitude": place.latitude,
                     "longitude": place.longitude})  # fmt: skip
    frame = pd.DataFrame(rows, columns=[*STOP_COLUMNS, "resource_id"])
    frame["stop"] = frame.groupby("resource_id").cumcount() + 1
    return frame


def paths(stops: pd.DataFrame, homes: dict[int, Place]) -> list[dict[str, object]]:
    """Each technician's path: home (when known), the stops in order, home again; with a colour each."""
    found: list[dict[str, object]] = []
    for index, (resource_id, rows) in enumerate(stops.groupby("resource_id", sort=True)):
        points = [[float(lon), float(lat)] for lat, lon in zip(rows["latitude"], rows["longitude"], strict=True)]
        home = homes.get(int(str(resource_id)))
        if home is not None:
            points = [[home.longitude, home.latitude], *points, [home.longitude, home.latitude]]
        found.append({"technician": str(rows["technician"].iloc[0]), "path": points,
                      "color": list(PALETTE[index % len(PALETTE)])})  # fmt: skip
    return found


def routes_deck(stops: pd.DataFrame, routes: list[dict[str, object]]) -> pdk.Deck:
    view = pdk.ViewState(latitude=float(stops["latitude"].mean()), longitude=float(stops["longitude"].mean()), zoom=9)
    layers = [
        pdk.Layer("PathLayer", routes, get_path="path", get_color="color", width_min_pixels=3, pickable=True),
        pdk.Layer("ScatterplotLayer", stops.drop(columns=["start"]), get_position=["longitude", "latitude"],
                  get_fill_color=[20, 20, 20], radius_min_pixels=5, pickable=True),
    ]  # fmt: skip
    return pdk.Deck(layers=layers, initial_view_state=view, tooltip={"text": "{technician}"})


def homes_of(api: ApiClient) -> dict[int, Place]:
    if not session.offered("/resources"):
        return {}
    resources = session.remember("resources", 300, api.resources) or []
    return {int(r["id"]): Place(float(r["home_latitude"]), float(r["home_longitude"])) for r in resources}


def routes_section(api: ApiClient, bookings: Sequence[Json], names: dict[int, str]) -> None:
    st.subheader("Routes")
    stops = session.attempt(lambda: route_stops(api, bookings, names))
    if stops is None:
        return
    if stops.empty:
        st.caption("No booking of this day has a service location with coordinates.")
        return
    missing = len(bookings) - len(stops)
    if missing:
        st.caption(f"{missing} booking(s) without a known service location are not drawn.")
    st.pydeck_chart(routes_deck(stops, paths(stops, homes_of(api))))
    st.dataframe(stops.drop(columns=["resource_id"]), hide_index=True)
