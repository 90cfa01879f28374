"""The schedule page under Streamlit's AppTest against the real API over the schedule tests' field-service day
(tests/schedule_factories.py: Monday 2030-01-07, Ana, Ben and Cleo, orders n1..n8, s1, s2, hold, nowhere): the
day's routes on a map at the orders' service locations, the unscheduled backlog, and the optimizer's preview
(nothing written) and apply (the plan booked), with the API's refusal shown when there is nothing to plan."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import psycopg
import pytest
from streamlit.testing.v1 import AppTest

from service_core.auth.domain import Role
from service_core.db.connection import scratch_database
from tests import schedule_factories as sf
from tests.support.dashboard import ApiEnv, api_process, by_label, headers_of, logged_in, page, texts, user

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FAST = 1.0  # optimizer seconds


@dataclass(frozen=True)
class Env(ApiEnv):
    day: sf.ScheduleDay


@pytest.fixture(scope="module")
def env(pg_admin_url: str, template_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    log = tmp_path_factory.mktemp("dashboard-schedule-api") / "api.log"
    with (
        scratch_database(pg_admin_url, f"ap_dash_{uuid.uuid4().hex[:10]}", template=template_db) as url,
        pytest.MonkeyPatch.context() as patch,
    ):
        day = sf.seed_day(url)
        with api_process(url, log) as api_url:
            patch.setenv("ASSETPULSE_API_URL", api_url)
            yield Env(api_url, url, headers_of(api_url, *user(url, Role.ADMIN)), day)


def schedule_page(env: Env, role: Role) -> AppTest:
    at = page(logged_in(env, role), "schedule")
    by_label(at.date_input, "Day (UTC)").set_value(sf.DAY).run()
    assert not at.exception, at.exception
    assert not at.error, texts(at.error)
    return at


def frame_with(at: AppTest, column: str) -> Any:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def active_bookings(url: str) -> dict[int, tuple[int, int]]:
    """Booking id -> (work order, resource) of the active bookings."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT id, work_order_id, resource_id FROM work.bookings WHERE status <> 'canceled'")
        return {r[0]: (r[1], r[2]) for r in rows}


def test_routes_map_the_days_bookings_at_their_service_locations(env: Env) -> None:
    at = schedule_page(env, Role.VIEWER)
    bookings = env.get("/bookings", day=sf.DAY.isoformat())["items"]
    assert by_label(at.metric, "Bookings").value == str(len(bookings)) == "2"
    stops = frame_with(at, "latitude")
    locations = {loc["id"]: loc for loc in env.get(f"/accounts/{env.day.account}/locations")}
    resources = {r["id"]: r for r in env.get("/resources")["items"]}
    expected = sorted(bookings, key=lambda b: (b["resource_id"], b["start_at"]))
    assert stops["work_order_id"].tolist() == [b["work_order_id"] for b in expected]
    for (_, row), booking in zip(stops.iterrows(), expected, strict=True):
        order = env.get(f"/work-orders/{booking['work_order_id']}")
        site = locations[order["location_id"]]
        assert (row["latitude"], row["longitude"]) == (site["latitude"], site["longitude"])
        assert (row["number"], row["technician"], row["stop"]) == (
            order["number"], resources[booking["resource_id"]]["name"], 1)  # fmt: skip

    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    paths = {p["technician"]: p["path"] for p in deck["layers"][0]["data"]}
    assert set(paths) == set(stops["technician"])
    for name, path in paths.items():
        home = next(r for r in resources.values() if r["name"] == name)
        row = stops[stops["technician"] == name].iloc[0]
        assert path == [[home["home_longitude"], home["home_latitude"]], [row["longitude"], row["latitude"]],
                        [home["home_longitude"], home["home_latitude"]]]  # fmt: skip


def test_backlog_lists_the_unscheduled_orders_most_urgent_first(env: Env) -> None:
    at = schedule_page(env, Role.VIEWER)
    unscheduled = env.get("/work-orders", status="unscheduled", limit=500)
    assert by_label(at.metric, "Unscheduled work orders").value == str(unscheduled["total"])
    backlog = frame_with(at, "SLA")
    assert sorted(backlog["id"]) == sorted(wo["id"] for wo in unscheduled["items"])
    orders = env.day.orders
    assert backlog["id"].iloc[0] == orders["n2"]  # the only high-priority order
    assert backlog["id"].iloc[-1] == orders["n3"]  # the only low-priority one
    assert backlog.set_index("id").loc[orders["n2"], "SLA"].startswith("resolution due in ")  # 2030-01-07 14:00
    assert backlog.set_index("id").loc[orders["n1"], "SLA"] == "no SLA clock running"


def test_a_viewer_cannot_run_the_optimizer(env: Env) -> None:
    at = schedule_page(env, Role.VIEWER)
    assert by_label(at.button, "Run the optimizer (preview)").disabled
    assert any("Your role (viewer) reads the schedule" in c for c in texts(at.caption))


def test_preview_shows_the_plan_and_writes_nothing_then_apply_books_it(env: Env) -> None:
    before = active_bookings(env.db_url)
    at = schedule_page(env, Role.DISPATCHER)
    territories = env.get("/resources/territories")
    assert by_label(at.selectbox, "Territory").options == ["all", *(t["name"] for t in territories)]
    by_label(at.number_input, "Time limit (s)").set_value(FAST).run()
    by_label(at.button, "Run the optimizer (preview)").click().run()
    assert not at.exception and not at.error, texts(at.error)
    assert active_bookings(env.db_url) == before  # a preview writes nothing

    plan = env.post("/schedule/optimize", {"day": sf.DAY.isoformat(), "mode": "preview", "time_limit_seconds": FAST})
    orders = env.day.orders
    planned = {k for k in orders if k not in ("hold", "nowhere")}
    assert plan["totals"]["scheduled"] == len(planned)
    assert by_label(at.metric, "Planned").value == str(plan["totals"]["scheduled"])
    assert by_label(at.metric, "Not planned").value == str(plan["totals"]["unscheduled"]) == "2"
    assert texts(at.success)[0].startswith(f"Preview of {sf.DAY}: {len(planned)} planned, 2 unscheduled, ")
    not_planned = frame_with(at, "reason").set_index("work_order_id")["reason"].to_dict()
    assert not_planned == {orders["hold"]: "credit_hold", orders["nowhere"]: "no_location"}
    stops = frame_with(at, "sla_margin_minutes")
    numbers = {env.get(f"/work-orders/{orders[k]}")["number"] for k in planned}
    assert set(stops["number"]) == numbers
    late = sum(1 for m in stops["sla_margin_minutes"].dropna() if m < 0)
    assert by_label(at.metric, "Late stops").value == str(late)

    by_label(at.button, "Apply this plan").click().run()
    assert not at.exception and not at.error, texts(at.error)
    after = active_bookings(env.db_url)
    created = set(after) - set(before)
    canceled = set(before) - set(after)
    unchanged = set(before) & set(after) - {env.day.locked_booking}  # the API counts movable bookings only
    assert {order for order, _ in after.values()} == {orders[k] for k in planned}  # every planned order booked
    assert texts(at.success) == [
        f"Plan of {sf.DAY} applied: {len(created)} bookings created, {len(canceled)} canceled, "
        f"{len(unchanged)} unchanged"
    ]
    day_bookings = env.get("/bookings", day=sf.DAY.isoformat())["items"]
    assert by_label(at.metric, "Bookings").value == str(len([b for b in day_bookings if b["status"] != "canceled"]))
    assert by_label(at.metric, "Bookings").value == str(len(planned))  # the Gantt drawn after the apply


def test_the_apis_refusal_is_shown_when_nobody_works_that_day(env: Env) -> None:
    sunday = sf.DAY - timedelta(days=1)
    at = schedule_page(env, Role.DISPATCHER)
    by_label(at.date_input, "Day (UTC)").set_value(sunday).run()
    by_label(at.button, "Run the optimizer (preview)").click().run()
    refused = httpx.post(f"{env.api_url}/schedule/optimize", headers=env.headers, timeout=60,
                         json={"day": sunday.isoformat(), "mode": "preview"})  # fmt: skip
    assert refused.status_code == 409
    assert texts(at.error) == [f"The API refused this (409): {refused.json()['error']['message']}"]
    assert "Planned" not in [m.label for m in at.metric]
