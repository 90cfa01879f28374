"""The conditions inbox acting through the real API (a uvicorn process over a seeded PostgreSQL) under Streamlit's
AppTest: acknowledge, snooze, link and open work change the condition as the API then reports it; refusals show
the API's reason; the inbox and the work-order board refresh with an "updated at" stamp and announce what changed;
and the analytics page shows alarm precision by failure mode and its monthly trend as the API counts them.

Each test acts on conditions of its own (reported by the test), so the tests share one database and API process.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.views.periods import at_midnight, month_spans
from service_core.auth.domain import Role
from service_core.db.connection import scratch_database
from tests.support.dashboard import (
    ApiEnv,
    Seed,
    api_process,
    app,
    by_label,
    headers_of,
    log_in,
    logged_in,
    page,
    seed_fleet,
    texts,
    user,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@dataclass(frozen=True)
class Env(ApiEnv):
    seed: Seed


@pytest.fixture(scope="module")
def env(pg_admin_url: str, template_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    log = tmp_path_factory.mktemp("dashboard-conditions-api") / "api.log"
    with (
        scratch_database(pg_admin_url, f"ap_dash_{uuid.uuid4().hex[:10]}", template=template_db) as url,
        pytest.MonkeyPatch.context() as patch,
    ):
        seed = seed_fleet(url)
        with api_process(url, log) as api_url:
            patch.setenv("ASSETPULSE_API_URL", api_url)
            yield Env(api_url, url, headers_of(api_url, *user(url, Role.ADMIN)), seed)


def report(env: ApiEnv, asset_id: int, severity: str = "major", category: str = "equipment") -> dict[str, Any]:
    """A new open condition (a failure mode of its own) on the asset, reported as a detector would."""
    now = datetime.now(UTC)
    body = {"asset_id": asset_id, "failure_mode": f"mode_{uuid.uuid4().hex[:8]}", "category": category,
            "severity": severity, "onset_at": (now - timedelta(hours=1)).isoformat(), "at": now.isoformat(),
            "score": 3.5}  # fmt: skip
    outcome: dict[str, Any] = env.post("/conditions", body)
    return dict(outcome["condition"])


@contextlib.contextmanager
def rules_paused(env: ApiEnv) -> Iterator[None]:
    """Every work rule inactive (through the API) for the block, then as it was."""
    rules = env.get("/conditions/rules")

    def put(rule: dict[str, Any], active: bool) -> None:
        body = {k: v for k, v in rule.items() if k != "id"} | {"is_active": active}
        answer = httpx.put(f"{env.api_url}/conditions/rules/{rule['id']}", json=body, headers=env.headers, timeout=30)
        assert answer.status_code == 200, answer.text

    for rule in rules:
        put(rule, False)
    try:
        yield
    finally:
        for rule in rules:
            put(rule, rule["is_active"])


def conditions_page(env: ApiEnv, role: Role, condition_id: int) -> AppTest:
    at = page(logged_in(env, role), "conditions")
    by_label(at.selectbox, "Condition").set_value(condition_id).run()
    assert not at.exception, at.exception
    return at


def click(at: AppTest, label: str) -> AppTest:
    by_label(at.button, label).click().run()
    assert not at.exception, at.exception
    return at


def refusal(env: ApiEnv, path: str, headers: dict[str, str]) -> httpx.Response:
    answer = httpx.post(f"{env.api_url}{path}", headers=headers, json={}, timeout=30)
    assert answer.is_client_error, answer.text
    return answer


def inbox_row(at: AppTest, condition_id: int) -> Any:
    table = at.dataframe[0].value.set_index("id")
    return table.loc[condition_id]


# -- actions -----------------------------------------------------------------------------------------------------


def test_acknowledge_changes_the_status_and_a_second_one_shows_the_apis_refusal(env: Env) -> None:
    condition = report(env, env.seed.asset_ids[1])
    at = conditions_page(env, Role.DISPATCHER, condition["id"])
    assert inbox_row(at, condition["id"])["status"] == "raised"

    click(at, "Acknowledge")
    after = env.get(f"/conditions/{condition['id']}")
    assert after["status"] == "acknowledged" and after["acknowledged_by"].startswith("user:")
    assert texts(at.success) == [f"Condition #{condition['id']} acknowledged by {after['acknowledged_by']}"]
    assert inbox_row(at, condition["id"])["status"] == "acknowledged"  # the inbox drawn after the action

    click(at, "Acknowledge")  # an acknowledged condition cannot be acknowledged again: the API says why
    refused = refusal(env, f"/conditions/{condition['id']}/acknowledge", env.headers)
    assert refused.status_code == 409
    assert texts(at.error) == [f"The API refused this (409): {refused.json()['error']['message']}"]
    assert env.get(f"/conditions/{condition['id']}")["acknowledged_at"] == after["acknowledged_at"]


def test_snooze_for_the_chosen_duration(env: Env) -> None:
    condition = report(env, env.seed.asset_ids[1], severity="warning", category="sensor")
    at = conditions_page(env, Role.ADMIN, condition["id"])
    by_label(at.selectbox, "Snooze for").set_value("4 hours").run()
    before = datetime.now(UTC)
    click(at, "Snooze")
    after = env.get(f"/conditions/{condition['id']}")
    assert after["status"] == "snoozed"
    until = datetime.fromisoformat(after["snoozed_until"])
    assert before + timedelta(hours=4) <= until <= datetime.now(UTC) + timedelta(hours=4)
    assert texts(at.success) == [f"Condition #{condition['id']} snoozed until {after['snoozed_until']}"]
    assert inbox_row(at, condition["id"])["status"] == "snoozed"


def test_link_offers_the_assets_open_work_orders_and_links_the_chosen_one(env: Env) -> None:
    asset_id = env.seed.asset_ids[0]
    condition = report(env, asset_id)
    at = conditions_page(env, Role.DISPATCHER, condition["id"])
    open_orders = [wo for wo in env.get("/work-orders", asset_id=asset_id)["items"]
                   if wo["status"] in ("unscheduled", "scheduled", "in_progress")]  # fmt: skip
    choice = by_label(at.selectbox, "Open work order of the asset")
    assert choice.options == [f"{wo['number']} - {wo['status']} - {wo['summary']}" for wo in open_orders]
    assert env.seed.work_order_ids[1] in [wo["id"] for wo in open_orders]
    target = env.get(f"/work-orders/{env.seed.work_order_ids[1]}")  # the seed's scheduled order, not the new one
    assert condition["work_order_id"] != target["id"]  # reporting opened work of its own

    choice.set_value(target["id"]).run()
    click(at, "Link")
    assert env.get(f"/conditions/{condition['id']}")["work_order_id"] == target["id"]
    assert texts(at.success) == [f"Condition #{condition['id']} linked to work order {target['id']}"]
    assert inbox_row(at, condition["id"])["work_order_id"] == target["id"]
    assert f"Work order: {target['id']}" in texts(at.caption)


def test_open_work_order_by_the_rules(env: Env) -> None:
    asset_id = env.seed.asset_ids[2]
    with rules_paused(env):  # reported while no rule asks for work: the condition has none
        condition = report(env, asset_id, severity="critical")
    assert condition["work_order_id"] is None
    at = conditions_page(env, Role.DISPATCHER, condition["id"])
    click(at, "Open work order")
    after = env.get(f"/conditions/{condition['id']}")
    assert after["work_order_id"] is not None
    order = env.get(f"/work-orders/{after['work_order_id']}")
    assert (order["asset_id"], order["condition_id"], order["source"]) == (asset_id, condition["id"], "iot_condition")
    assert texts(at.success) == [f"Condition #{condition['id']}: opened work order {order['id']}"]

    click(at, "Open work order")  # once linked, it stays with its work order
    assert texts(at.success) == [f"Condition #{condition['id']}: already linked to work order {order['id']}"]
    assert env.get(f"/conditions/{condition['id']}")["work_order_id"] == order["id"]


def test_a_viewer_gets_no_live_actions_and_a_withdrawn_role_sees_the_apis_refusal(env: Env) -> None:
    condition = report(env, env.seed.asset_ids[1])
    viewer = conditions_page(env, Role.VIEWER, condition["id"])
    for label in ("Acknowledge", "Snooze", "Link", "Open work order"):
        assert by_label(viewer.button, label).disabled, label
    assert any("Your role (viewer) reads the inbox" in c for c in texts(viewer.caption))

    email, password = user(env.db_url, Role.DISPATCHER)
    at = page(log_in(app(), email, password), "conditions")
    by_label(at.selectbox, "Condition").set_value(condition["id"]).run()
    with psycopg.connect(env.db_url) as conn:  # the dispatcher is made a viewer while the page is open
        conn.execute("UPDATE auth.users SET role = 'viewer' WHERE email = %s", (email,))
    click(at, "Acknowledge")
    refused = refusal(env, f"/conditions/{condition['id']}/acknowledge", headers_of(env.api_url, email, password))
    assert refused.status_code == 403
    assert texts(at.warning) == [f"Your role may not do this: {refused.json()['error']['message']}"]
    assert env.get(f"/conditions/{condition['id']}")["status"] == "raised"


# -- live refresh ------------------------------------------------------------------------------------------------


def test_the_inbox_refreshes_with_a_stamp_and_announces_new_conditions(env: Env) -> None:
    at = page(logged_in(env), "conditions")
    assert any(c.startswith("Updated at ") and c.endswith("UTC; refreshes every 30 s") for c in texts(at.caption))
    shown = by_label(at.metric, "Open conditions").value
    assert shown == str(env.get("/conditions", open=True)["total"])

    condition = report(env, env.seed.asset_ids[0], severity="critical")
    at.run()  # what the fragment's timer does every refresh period
    assert by_label(at.metric, "Open conditions").value == str(env.get("/conditions", open=True)["total"])
    assert int(by_label(at.metric, "Open conditions").value) == int(shown) + 1
    assert condition["id"] in at.dataframe[0].value["id"].tolist()
    assert texts(at.toast) == [f"1 new condition(s): #{condition['id']}"]
    at.run()
    assert texts(at.toast) == []  # announced once


def test_the_work_order_board_refreshes_and_announces_status_changes(env: Env) -> None:
    at = page(logged_in(env), "work_orders")
    assert any(c.startswith("Updated at ") for c in texts(at.caption))
    seed = env.seed
    order = env.get(f"/work-orders/{seed.work_order_ids[0]}")
    assert order["status"] == "unscheduled"
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    env.post(f"/work-orders/{order['id']}/bookings", {"resource_id": seed.resource_id, "start_at": start.isoformat(),
                                                     "end_at": (start + timedelta(hours=1)).isoformat()})  # fmt: skip
    assert env.get(f"/work-orders/{order['id']}")["status"] == "scheduled"
    at.run()
    assert texts(at.toast) == [f"{order['number']}: unscheduled -> scheduled"]
    total = env.get("/work-orders", status="scheduled")["total"]
    assert f"scheduled ({total})" in texts(at.subheader)


# -- analytics: alarm precision ----------------------------------------------------------------------------------


def judged(conn: psycopg.Connection, asset_id: int, mode: str, raised_at: datetime, outcome: str | None) -> None:
    """A resolved condition whose work order judged it (as closing the work order would record)."""
    conn.execute(
        "INSERT INTO detection.conditions (asset_id, failure_mode, category, severity, status, onset_at, raised_at,"
        " last_evidence_at, peak_score, evidence, resolved_at, outcome)"
        " VALUES (%s, %s, 'equipment', 'major', 'resolved', %s, %s, %s, 3.0, '{}', %s, %s)",
        (asset_id, mode, raised_at, raised_at, raised_at, raised_at + timedelta(hours=5), outcome),
    )


def test_analytics_shows_alarm_precision_by_failure_mode_and_its_monthly_trend(env: Env) -> None:
    asset_id = env.seed.asset_ids[2]
    today = datetime.now(UTC).date()
    spans = month_spans(today, 6)
    this_month, last_month = at_midnight(spans[-1][0]), at_midnight(spans[-2][0])
    with psycopg.connect(env.db_url) as conn:  # valve_leak: 2 true and 1 false last month, 1 false this month
        for outcome in ("true_alarm", "true_alarm", "false_alarm"):
            judged(conn, asset_id, "valve_leak", last_month + timedelta(days=3), outcome)
        judged(conn, asset_id, "valve_leak", this_month, "false_alarm")
        judged(conn, asset_id, "belt_slip", this_month, "true_alarm")
        judged(conn, asset_id, "belt_slip", this_month, None)

    at = page(logged_in(env, Role.VIEWER), "analytics")
    tomorrow = today + timedelta(days=1)
    since = at_midnight(tomorrow - timedelta(days=90))  # the page's default period
    answer = env.get("/conditions/precision", since=since.isoformat())
    table = next(d.value for d in at.dataframe if "true_alarms" in d.value.columns).set_index("failure_mode")
    assert sorted(table.index) == sorted(r["failure_mode"] for r in answer)
    for row in answer:
        shown = table.loc[row["failure_mode"]]
        assert (shown["true_alarms"], shown["false_alarms"], shown["unjudged"]) == (
            row["true_alarms"], row["false_alarms"], row["unjudged"])  # fmt: skip
    assert table.loc["valve_leak", "precision"] == pytest.approx(2 / 4)
    assert table.loc["belt_slip", "precision"] == pytest.approx(1.0)
    judged_true = sum(r["true_alarms"] for r in answer)
    judged_all = judged_true + sum(r["false_alarms"] for r in answer)
    assert by_label(at.metric, "Alarm precision").value == f"{judged_true / judged_all:.0%}"

    trend = next(d.value for d in at.dataframe if "all modes" in d.value.columns).set_index("month")
    assert len(trend) == 6
    last, current = trend.iloc[-2], trend.iloc[-1]
    assert last["valve_leak"] == pytest.approx(2 / 3) and current["valve_leak"] == pytest.approx(0.0)
    assert current["belt_slip"] == pytest.approx(1.0) and last["belt_slip"] != last["belt_slip"]  # NaN: none judged
    assert current["all modes"] == pytest.approx(1 / 2) and last["all modes"] == pytest.approx(2 / 3)
    assert trend.iloc[:-2].isna().all().all()  # nothing judged before
