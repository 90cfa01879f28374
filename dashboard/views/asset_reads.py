"""The asset page's independent API reads, started together on a small thread pool: the page waits for the slowest
of them instead of their sum.  Only API calls run in the threads (no Streamlit call); each read is a `Future`
whose `result` the page hands to `session.attempt`, so a refusal is shown exactly as a direct call's would be.
What changes (devices, newest values, health, open conditions, work orders) is a `LiveRead`: read with the others
for the page, then afresh each time its fragment's refresh timer draws that part again."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import streamlit as st

from dashboard import session
from dashboard.api_client import ApiClient, ApiError, Json
from dashboard.ranges import MAX_POINTS

Read = Future[Any]


@st.cache_resource
def _pool() -> ThreadPoolExecutor:
    """One pool for the dashboard process (reads are I/O bound)."""
    return ThreadPoolExecutor(max_workers=16, thread_name_prefix="asset-reads")


def asset_health(api: ApiClient, asset_id: int) -> Json:
    """The asset's health, or `{"unscored": why}` when detection has not scored it (the API's 404 says why: not
    yet, or its device samples too far from its model's interval)."""
    try:
        health: Json = api.get(f"/conditions/health/{asset_id}")
    except ApiError as exc:
        if exc.status != 404:
            raise
        return {"unscored": exc.message}
    return health


class LiveRead:
    """A read started with the page's others, and started again for each refresh of the fragment that shows it.

    A fragment's timer calls it again with the objects of the page's last full run, so the first `fresh` is the
    page's own read and every later one a new read of the API."""

    def __init__(self, start: Callable[[], Read]) -> None:
        self._start = start
        self.first: Read = start()
        self._taken = False

    def fresh(self) -> Any:
        """The page's read once, then a new read at each call (raises what the read raised)."""
        if not self._taken:
            self._taken = True
            return self.first.result()
        return self._start().result()

    def first_or_none(self) -> Any:
        """The page's read, or None when it failed (the part showing it has said why)."""
        return None if self.first.exception() is not None else self.first.result()


@dataclass(frozen=True)
class AssetReads:
    """Reads of one asset; None: the API does not offer that route (the page says so or leaves the part out)."""

    asset: Read
    devices: LiveRead
    latest: LiveRead
    health: LiveRead | None
    work_orders: LiveRead | None
    open_conditions: LiveRead | None
    leases: Read | None
    agreements: Read | None


def start_reads(api: ApiClient, asset_id: int, account_id: int) -> AssetReads:
    """Start every read the page makes of the asset (which routes exist is decided here, in the script thread)."""
    pool = _pool()

    def start(call: Callable[[], Any], *, when: bool = True) -> Read | None:
        return pool.submit(call) if when else None

    def live(call: Callable[[], Any], *, when: bool = True) -> LiveRead | None:
        return LiveRead(lambda: pool.submit(call)) if when else None

    if session.offered("/assets/{asset_id}/devices"):
        devices = LiveRead(lambda: pool.submit(api.get, f"/assets/{asset_id}/devices"))
    else:
        devices = LiveRead(lambda: pool.submit(lambda: [d for d in api.devices() if d.get("asset_id") == asset_id]))
    leases_path = session.first_offered("/leases", "/assets/leases")
    conditions_offered = session.offered("/conditions")
    return AssetReads(
        asset=pool.submit(api.asset, asset_id),
        devices=devices,
        latest=LiveRead(lambda: pool.submit(lambda: api.latest(asset_id=asset_id))),
        health=live(lambda: asset_health(api, asset_id), when=session.offered("/conditions/health/{asset_id}")),
        work_orders=live(lambda: api.work_orders({"asset_id": asset_id}), when=session.offered("/work-orders")),
        open_conditions=live(
            lambda: api.get_all("/conditions", {"asset_id": asset_id, "open": True}), when=conditions_offered
        ),
        leases=start(lambda: api.get_all(str(leases_path), {"asset_id": asset_id}), when=leases_path is not None),
        agreements=start(
            lambda: api.get_all("/agreements", {"account_id": account_id}), when=session.offered("/agreements")
        ),
    )


def start_score_history(api: ApiClient, asset_id: int, start: datetime, end: datetime) -> Read | None:
    """The asset's anomaly scores over [start, end), merged by the API to the chart's points; None without the route."""
    if not session.offered("/conditions/health/{asset_id}/history"):
        return None
    params: dict[str, str | int] = {"start": start.isoformat(), "end": end.isoformat(), "max_points": MAX_POINTS}
    return _pool().submit(api.get, f"/conditions/health/{asset_id}/history", params)


def start_conditions_in(api: ApiClient, asset_id: int, start: datetime, end: datetime) -> Read | None:
    """The asset's conditions whose span (onset to clearing, an open one to now) overlaps [start, end), as the API
    filters them (`since`/`until`); None without the route."""
    if not session.offered("/conditions"):
        return None
    params: dict[str, str | int] = {"asset_id": asset_id, "since": start.isoformat(), "until": end.isoformat()}
    return _pool().submit(api.get_all, "/conditions", params)
