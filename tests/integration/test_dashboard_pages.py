"""Every dashboard page under Streamlit's AppTest, against the real API (a uvicorn process) over a seeded
PostgreSQL: log in through the page, then check that what the page shows equals what the API answers.

The dashboard only reads, so one seeded database and one API process serve the whole module.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pandas as pd
import psycopg
import pytest

from dashboard.ranges import MAX_POINTS
from service_core.auth.domain import Role
from service_core.db.connection import scratch_database
from tests.support.dashboard import (
    ApiEnv,
    Seed,
    api_process,
    app,
    by_label,
    chart_layers,
    chart_text,
    headers_of,
    log_in,
    logged_in,
    page,
    report_conditions,
    seed_fleet,
    texts,
    user,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OPEN = ("unscheduled", "scheduled", "in_progress")


@dataclass(frozen=True)
class Env(ApiEnv):
    seed: Seed


@pytest.fixture(scope="module")
def env(pg_admin_url: str, template_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    log = tmp_path_factory.mktemp("dashboard-api") / "api.log"
    with (
        scratch_database(pg_admin_url, f"ap_dash_{uuid.uuid4().hex[:10]}", template=template_db) as url,
        pytest.MonkeyPatch.context() as patch,
    ):
        seed = seed_fleet(url)
        with api_process(url, log) as api_url:
            patch.setenv("ASSETPULSE_API_URL", api_url)
            headers = headers_of(api_url, *user(url, Role.ADMIN))
            report_conditions(api_url, headers, seed.asset_ids[1])
            yield Env(api_url, url, headers, seed)


def money(value: object) -> float:
    return float(Decimal(str(value)))


# -- login and roles ---------------------------------------------------------------------------------------------


def test_login_refused_shows_the_apis_reason_and_an_ended_session_returns_to_login(env: Env) -> None:
    email, password = user(env.db_url, Role.VIEWER)
    refused = httpx.post(f"{env.api_url}/auth/token", data={"username": email, "password": "wrong password 1"})
    assert refused.status_code == 401
    at = log_in(app(), email, "wrong password 1")
    assert texts(at.error) == [f"Login failed: {refused.json()['error']['message']}"]
    assert not at.exception

    at = log_in(at, email, password)
    assert at.session_state["role"] == "viewer"
    page(at, "finance")  # a viewer reads finance

    with psycopg.connect(env.db_url) as conn:  # the login is withdrawn: the next API call answers 401
        conn.execute("UPDATE auth.users SET is_active = false WHERE email = %s", (email,))
    at.switch_page("screens/work_orders.py").run()  # the board is read afresh on every run
    assert not at.exception
    assert "token" not in at.session_state
    assert len(at.text_input) == 2  # the login form again, saying why
    assert texts(at.warning) == [
        "Your session ended (the user of this token is unknown or inactive); please log in again."
    ]


def test_a_technician_does_not_get_the_finance_page_and_sees_the_apis_refusals(env: Env) -> None:
    email, password = user(env.db_url, Role.TECHNICIAN)
    at = log_in(app(), email, password)
    with pytest.raises(ValueError, match="finance"):
        at.switch_page("screens/finance.py")
    at.switch_page("screens/work_orders.py").run()
    assert not at.exception
    token = httpx.post(f"{env.api_url}/auth/token", data={"username": email, "password": password}).json()
    first = at.selectbox[0].value
    refused = httpx.get(
        f"{env.api_url}/work-orders/{first}/bookings",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert refused.status_code == 403
    assert texts(at.warning) == [f"Your role may not see this: {refused.json()['error']['message']}"]
    assert not at.error


# -- fleet and asset ---------------------------------------------------------------------------------------------


def test_fleet_page_shows_the_apis_assets_devices_values_and_open_work(env: Env) -> None:
    at = page(logged_in(env), "fleet")
    table = at.dataframe[0].value.set_index("id")
    assets = env.get("/assets", limit=500)
    assert sorted(table.index) == sorted(a["id"] for a in assets["items"])
    assert by_label(at.metric, "Assets shown").value == f"{assets['total']} of {assets['total']}"
    for asset in assets["items"]:
        row = table.loc[asset["id"]]
        assert (row["asset"], row["criticality"], row["ownership"]) == (
            asset["name"],
            asset["criticality"],
            asset["ownership"],
        )
        open_work = sum(env.get("/work-orders", asset_id=asset["id"], status=s)["total"] for s in OPEN)
        assert row["open work orders"] == open_work
        devices = env.get(f"/assets/{asset['id']}/devices")
        assert row["devices"] == len(devices)
        for value in env.get("/telemetry/latest", asset_id=asset["id"]):
            assert f"{value['metric']}={value['value']:g}" in row["latest values"]
        assert row["open conditions"] == env.get("/conditions", asset_id=asset["id"], open=True)["total"]
        health = httpx.get(f"{env.api_url}/conditions/health/{asset['id']}", headers=env.headers)
        if health.status_code == 404:  # not scored yet: blank, never a made-up number
            assert pd_na(row["health"])
            assert pd_na(row["RUL (h)"])
        else:
            assert (row["health"], row["RUL (h)"]) == (health.json()["health_score"], health.json()["rul_hours"])
    assert table["health"].notna().sum() == 1  # only the chiller was scored
    assert table.loc[env.seed.asset_ids[0], "open work orders"] == 2  # the seed's two open orders on it

    # the map: a point per site, coloured by the worst health the API gives its assets
    drawn = json.loads(at.get("deck_gl_json_chart")[0].proto.json)["layers"][0]["data"]
    worst: dict[tuple[float, float], int | None] = {}
    for asset in assets["items"]:
        location = env.get(f"/accounts/{asset['account_id']}/locations/{asset['location_id']}")
        health = httpx.get(f"{env.api_url}/conditions/health/{asset['id']}", headers=env.headers)
        score = health.json()["health_score"] if health.status_code == 200 else None
        place = (location["latitude"], location["longitude"])
        known = [s for s in (worst.get(place), score) if s is not None]
        worst[place] = min(known) if known else None
    colours = {None: [158, 158, 158, 255], 62: [255, 159, 28, 255]}  # not scored: grey; 62: amber (below 70)
    assert sorted(((p["lat"], p["lon"]), p["colour"]) for p in drawn) == sorted(
        (place, colours[score]) for place, score in worst.items()
    )
    assert len(drawn) == 2

    by_label(at.multiselect, "Criticality").set_value(["critical"]).run()
    critical = env.get("/assets", criticality="critical")
    assert sorted(at.dataframe[0].value["id"]) == sorted(a["id"] for a in critical["items"])
    by_label(at.multiselect, "Criticality").set_value([]).run()
    by_label(at.text_input, "Search").input("chiller").run()
    found = env.get("/assets", q="chiller")
    assert sorted(at.dataframe[0].value["id"]) == sorted(a["id"] for a in found["items"])


def test_asset_page_charts_the_apis_telemetry_at_the_resolution_the_range_needs(env: Env) -> None:
    asset_id = env.seed.asset_ids[0]
    at = logged_in(env)
    at.query_params["asset_id"] = str(asset_id)
    page(at, "asset")
    asset = env.get(f"/assets/{asset_id}")
    assert texts(at.header) == [asset["name"]]
    assert by_label(at.metric, "Criticality").value == asset["criticality"]

    assert f"Not scored: asset {asset_id} has not been scored yet." in texts(at.caption)

    device_id = env.seed.device_ids[0]
    for label, span, resolution in (("24 hours", timedelta(hours=24), "1m"), ("1 hour", timedelta(hours=1), "raw")):
        by_label(at.selectbox, "Range").set_value(label).run()
        end = datetime.now(UTC)
        points = env.get(
            "/telemetry/window",
            device_id=device_id,
            start=(end - span).isoformat(),
            end=end.isoformat(),
            resolution=resolution,
            max_points=MAX_POINTS,  # as the page asks: the API merges buckets beyond it
        )
        assert f"{len(points)} points at resolution {resolution} over the last {label}" in texts(at.caption)
    assert len([c for c in texts(at.caption) if "points at resolution 1m" in c]) == 0
    by_label(at.multiselect, "Metrics").set_value(["flow"]).run()  # one metric: asked of the API alone
    end = datetime.now(UTC)
    flow = env.get("/telemetry/window", device_id=device_id, start=(end - timedelta(hours=1)).isoformat(),
                   end=end.isoformat(), resolution="raw", metric="flow", max_points=MAX_POINTS)  # fmt: skip
    assert {p["metric"] for p in flow} == {"flow"}
    assert f"{len(flow)} points at resolution raw over the last 1 hour" in texts(at.caption)

    orders = env.get("/work-orders", asset_id=asset_id)
    assert f"Work orders ({orders['total']})" in texts(at.subheader)
    done = [wo for wo in orders["items"] if wo["status"] in ("completed", "posted")]
    assert f"Service history ({len(done)})" in texts(at.subheader)
    leases = env.get("/assets/leases", asset_id=asset_id)
    assert f"Leases ({leases['total']})" in texts(at.subheader)


def test_asset_page_lists_the_apis_open_conditions_of_the_asset_with_a_refresh_stamp(env: Env) -> None:
    asset_id = env.seed.asset_ids[1]  # the booster pump: the two conditions reported through the API
    at = logged_in(env)
    at.query_params["asset_id"] = str(asset_id)
    page(at, "asset")
    found = env.get("/conditions", asset_id=asset_id, open=True)
    assert found["total"] == 2
    assert f"Open conditions ({found['total']})" in texts(at.subheader)
    table = next(d.value for d in at.dataframe if "failure_mode" in d.value.columns and "peak_score" in d.value.columns)
    assert table["id"].tolist() == [c["id"] for c in found["items"]]
    assert table["status"].tolist() == [c["status"] for c in found["items"]]
    stamps = [c for c in texts(at.caption) if c.startswith("Updated at ")]
    assert len(stamps) == 2  # the live parts: health, devices and conditions; the work orders


def test_asset_page_shows_the_apis_health_rul_and_its_band(env: Env) -> None:
    asset_id = env.seed.asset_ids[2]  # the chiller: the one scored asset
    at = logged_in(env)
    at.query_params["asset_id"] = str(asset_id)
    page(at, "asset")
    health = env.get(f"/conditions/health/{asset_id}")
    assert by_label(at.metric, "Health score").value == str(health["health_score"])
    assert by_label(at.metric, "RUL (hours)").value == f"{health['rul_hours']:.0f}"
    band = f"RUL band {health['rul_low_hours']:.0f}-{health['rul_high_hours']:.0f} h"
    assert band == "RUL band 302-518 h"
    assert band in texts(at.caption)
    assert not at.exception


def test_asset_page_and_fleet_table_say_when_detection_no_longer_scores_an_asset(env: Env) -> None:
    asset_id, device_id = env.seed.asset_ids[2], env.seed.device_ids[1]  # the chiller and its device
    reason = "sampling every 1 s, model pump/equipment/v1 trained on 30 s readings: retrain"
    with psycopg.connect(env.db_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO detection.not_scored (asset_id, device_id, model_version, reason, sampling_interval_s,"
            " trained_interval_s, since) VALUES (%s, %s, 'pump/equipment/v1', %s, 1, 30, now())",
            (asset_id, device_id, reason),
        )
    try:
        at = logged_in(env)
        at.query_params["asset_id"] = str(asset_id)
        page(at, "asset")
        health = env.get(f"/conditions/health/{asset_id}")
        warning = f"Not scored since {health['not_scored']['since']}: {reason}. The score below is from "
        assert texts(at.warning) == [warning + f"{health['scored_at']}."]
        assert by_label(at.metric, "Health score").value == str(health["health_score"])  # the old score, said so

        at = page(logged_in(env), "fleet")
        table = at.dataframe[0].value.set_index("id")
        assert table.loc[asset_id, "not scored"] == reason
        assert set(table.drop(index=asset_id)["not scored"]) == {""}
    finally:
        with psycopg.connect(env.db_url, autocommit=True) as conn:
            conn.execute("DELETE FROM detection.not_scored WHERE asset_id = %s", (asset_id,))


def test_asset_page_marks_the_apis_scores_and_conditions_on_its_charts(env: Env) -> None:
    asset_id = env.seed.asset_ids[0]  # the intake pump: two hours of scores and a cleared condition in them
    at = logged_in(env)
    at.query_params["asset_id"] = str(asset_id)
    at.query_params["range"] = "24h"
    page(at, "asset")
    end = datetime.now(UTC)
    history = env.get(f"/conditions/health/{asset_id}/history", start=(end - timedelta(hours=24)).isoformat(),
                      end=end.isoformat(), max_points=MAX_POINTS)  # fmt: skip
    assert len(history) in (60, 61)  # 24 h of minutes is over MAX_POINTS: two-minute buckets, worst of each
    worst = max(p["anomaly_score"] for p in history)
    lowest = min(p["health_score"] for p in history)
    summary = f"highest anomaly score {worst:.2f} (1 = the model's limit), lowest health {lowest}"
    assert summary == "highest anomaly score 2.40 (1 = the model's limit), lowest health 35"
    assert f"{len(history)} buckets; {summary}" in texts(at.caption)

    condition = env.get("/conditions", asset_id=asset_id)["items"]
    assert [c["status"] for c in condition] == ["cleared"]
    in_range = env.get("/conditions", asset_id=asset_id, since=(end - timedelta(hours=24)).isoformat(),
                       until=end.isoformat())["items"]  # fmt: skip
    assert in_range == condition  # what the page reads for the charts: the conditions overlapping the range
    telemetry, scores = (chart_layers(chart) for chart in at.get("vega_lite_chart"))
    assert [mark for mark, _ in telemetry] == ["rect", "line"] and [m for m, _ in scores] == ["rect", "line", "rule"]
    for layers in (telemetry, scores):
        spans = layers[0][1]
        assert spans["failure_mode"].tolist() == ["cavitation"] and spans["status"].tolist() == ["cleared"]
        assert spans["start"].tolist() == [pd.Timestamp(condition[0]["onset_at"])]
        assert spans["end"].tolist() == [pd.Timestamp(condition[0]["cleared_at"])]
    drawn = scores[1][1]
    assert drawn["anomaly_score"].tolist() == pytest.approx([p["anomaly_score"] for p in history])
    assert drawn["ts"].tolist() == [pd.Timestamp(p["ts"]) for p in history]
    assert "Conditions in this range (1)" in texts(at.subheader)
    assert not at.exception


# -- work orders -------------------------------------------------------------------------------------------------


def test_work_order_board_counts_and_sla_colours_follow_the_api(env: Env) -> None:
    at = page(logged_in(env), "work_orders")
    for status in ("unscheduled", "scheduled", "in_progress", "completed"):
        total = env.get("/work-orders", status=status)["total"]
        assert f"{status.replace('_', ' ')} ({total})" in texts(at.subheader)

    markdown = texts(at.markdown)
    expected = {"emergency": ":red[", "normal": ":orange[", "high": ":green["}
    for order_id in env.seed.work_order_ids[:3]:
        order = env.get(f"/work-orders/{order_id}")
        clock = env.get(f"/policies/sla/work-orders/{order_id}")
        card = markdown[markdown.index(f"**{order['number']}** - {order['summary']}") + 1]
        assert card.startswith(expected[order["priority"]]), card
        if order["priority"] == "emergency":
            assert clock["response"]["breached"] and "breached" in card

    first = env.get("/work-orders", status="unscheduled")["items"][0]  # the board's first card
    assert by_label(at.selectbox, "Work order").value == first["id"]
    assert by_label(at.metric, "Status").value == first["status"]
    assert by_label(at.metric, "Account").value == env.get(f"/accounts/{first['account_id']}")["name"]
    review = env.get(f"/work-orders/{first['id']}/review")
    assert any(f"ready to post: **{'yes' if review['ready_to_post'] else 'no'}**" in m for m in markdown)
    tasks = env.get(f"/work-orders/{first['id']}/tasks")
    assert f"**Tasks** ({len(tasks)})" in markdown


# -- finance, analytics, schedule --------------------------------------------------------------------------------


def test_finance_page_equals_the_apis_invoices_aging_dso_and_holds(env: Env) -> None:
    at = page(logged_in(env, Role.FINANCE), "finance")
    invoices = env.get("/invoices", limit=500)
    assert by_label(at.metric, "Invoices").value == str(invoices["total"])
    assert by_label(at.metric, "Billed").value == f"{sum(money(i['total']) for i in invoices['items']):,.2f}"
    assert by_label(at.metric, "Open balance").value == f"{sum(money(i['balance']) for i in invoices['items']):,.2f}"

    aging = env.get("/receivables/aging")["totals"]
    shown = at.dataframe[2].value.set_index("bucket")["amount"].to_dict()
    keys = ("current", "days_1_30", "days_31_60", "days_61_90", "days_90_plus")
    assert shown == dict(
        zip(("current", "1-30", "31-60", "61-90", "90+"), (money(aging[k]) for k in keys), strict=True)
    )
    assert money(aging["days_61_90"]) == 1200.0 or money(aging["days_31_60"]) == 1200.0  # the 75-day-old invoice

    dso = env.get("/analytics/dso", months=12)["points"]
    frame = at.dataframe[3].value
    assert len(frame) == 12
    assert [None if pd_na(v) else v for v in frame["DSO"]] == [
        None if p["dso"] is None else money(p["dso"]) for p in dso
    ]

    payments = env.get("/payments", limit=500)
    assert payments["total"] == 2  # the seed's two
    assert by_label(at.metric, "Payments").value == str(payments["total"])
    names = {a["id"]: a["name"] for a in env.get("/accounts", limit=500)["items"]}
    shown_payments = at.dataframe[1].value
    assert shown_payments.to_dict("records") == [
        {"received_on": p["received_on"], "account": names[p["account_id"]], "amount": p["amount"],
         "allocated": p["allocated"], "unapplied": p["unapplied"], "method": p["method"],
         "reference": p["reference"], "status": p["status"]}
        for p in payments["items"]
    ]  # fmt: skip
    assert sorted((p["reference"], money(p["allocated"]), money(p["unapplied"])) for p in payments["items"]) == [
        ("NW-1", 0.0, 50.0), ("SP-1", 100.0, 0.0)]  # fmt: skip

    worklist = env.get("/receivables/worklist")
    assert len(at.dataframe[4].value) == worklist["total"]
    holds = env.get("/accounts", credit_hold=True)
    assert by_label(at.metric, "Accounts on hold").value == str(holds["total"])
    assert len([c for c in texts(at.caption) if c.startswith("Updated at ")]) == 3  # billing, aging, collections


def pd_na(value: object) -> bool:
    return value is None or value != value  # NaN is not equal to itself


def test_analytics_page_equals_the_apis_reports(env: Env) -> None:
    at = page(logged_in(env), "analytics")
    backlog = env.get("/analytics/backlog")
    assert by_label(at.metric, "Open work orders").value == str(backlog["total_open"])
    frames = [d.value for d in at.dataframe]
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)  # the page's default period: 90 days to tomorrow
    start, end = (f"{day.isoformat()}T00:00:00Z" for day in (tomorrow - timedelta(days=90), tomorrow))
    service = env.get("/analytics/service", start=start, end=end)
    assert frames[0]["work_orders_completed"].tolist() == [g["work_orders_completed"] for g in service["groups"]]
    by_priority = frames[1].set_index("priority")["open_work_orders"].to_dict()
    assert by_priority == {b["priority"]: b["open_work_orders"] for b in backlog["by_priority"]}
    technicians = env.get("/analytics/utilization", start=str(datetime.now(UTC).date() - timedelta(days=89)))
    assert sorted(frames[2]["name"]) == sorted(t["name"] for t in technicians["technicians"])

    overall = service["groups"][0]  # the seed's three repairs: 6, 12 and 4 hours, one over its 10-hour target
    assert (overall["mttr_hours"], overall["sla_compliance"]) == (pytest.approx(22 / 3), pytest.approx(2 / 3))
    assert by_label(at.metric, "MTTR (h)").value == f"{overall['mttr_hours']:.1f}" == "7.3"
    assert by_label(at.metric, "MTBF (h)").value == f"{overall['mtbf_hours']:.1f}"
    assert by_label(at.metric, "First-time fix").value == f"{overall['first_time_fix_rate']:.0%}"
    assert by_label(at.metric, "SLA compliance").value == f"{overall['sla_compliance']:.0%}" == "67%"
    on_jobs = sum(t["work_hours"] + t["travel_hours"] for t in technicians["technicians"])
    available = sum(t["available_hours"] for t in technicians["technicians"])
    assert on_jobs >= 4  # the two repairs of the last 90 days
    assert by_label(at.metric, "Utilization, all technicians").value == f"{on_jobs / available:.0%}"

    trends = [chart_text(c) for c in at.get("vega_lite_chart")]  # every chart's data, as text
    assert any("mttr_hours" in t and "mtbf_hours" in t for t in trends)  # MTBF has its monthly trend
    assert sum("utilization" in t for t in trends) == 2  # per technician, and its monthly trend
    assert {"Monthly MTTR and MTBF (hours)", "Monthly utilization, all technicians"} <= set(texts(at.caption))
    assert "Nothing to measure in these months." not in texts(at.caption)


def test_schedule_page_shows_the_days_bookings_per_technician(env: Env) -> None:
    at = page(logged_in(env), "schedule")
    bookings = env.get("/bookings", day=str(datetime.now(UTC).date()))
    active = [b for b in bookings["items"] if b["status"] != "canceled"]
    assert by_label(at.metric, "Bookings").value == str(len(active))
    table = at.dataframe[0].value
    assert table["technician"].tolist() == ["Tess Tech"] * len(active)
    assert table["work_order_id"].tolist() == [b["work_order_id"] for b in active]
    assert len([c for c in texts(at.caption) if c.startswith("Updated at ")]) == 1  # the day and backlog: live


def test_conditions_inbox_lists_the_apis_open_conditions_and_filters_them(env: Env) -> None:
    at = page(logged_in(env), "conditions")
    inbox = env.get("/conditions", open=True)
    assert inbox["total"] == 2
    assert by_label(at.metric, "Open conditions").value == "2"
    table = at.dataframe[0].value
    assert table["id"].tolist() == [c["id"] for c in inbox["items"]]  # the API's order: most severe first
    assert set(table["asset"]) == {env.get(f"/assets/{env.seed.asset_ids[1]}")["name"]}
    by_label(at.selectbox, "Category").set_value("sensor").run()
    sensor = env.get("/conditions", open=True, category="sensor")
    assert at.dataframe[0].value["failure_mode"].tolist() == [c["failure_mode"] for c in sensor["items"]]
    assert by_label(at.metric, "Open conditions").value == str(sensor["total"])


def test_every_page_reads_an_empty_database_without_an_error(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with api_process(database_url, tmp_path / "api.log") as api_url:
        monkeypatch.setenv("ASSETPULSE_API_URL", api_url)
        at = log_in(app(), *user(database_url, Role.ADMIN))
        for name in ("fleet", "asset", "work_orders", "finance", "analytics", "schedule", "conditions"):
            page(at, name)  # no exception, no error box
        assert "The API lists no assets." in texts(page(at, "asset").info)
        assert by_label(page(at, "finance").metric, "Invoices").value == "0"
