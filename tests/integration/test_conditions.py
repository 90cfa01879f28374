"""Conditions against a real PostgreSQL: raised once, work opened once, attached, followed up, resolved by closed
work; the inbox through HTTP."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from service_core.auth.domain import Role
from service_core.conditions import service as conditions
from service_core.conditions.handlers import resolve_conditions_of_posted_work
from service_core.conditions.schemas import ConditionReport
from service_core.events import WorkOrderPosted
from tests.factories import insert_asset, rows, scalar
from tests.support.api import api_client, headers_for

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)


def condition_report(
    asset_id: int,
    *,
    mode: str = "bearing_wear",
    category: str = "equipment",
    severity: str = "major",
    at: datetime = NOW,
    score: float = 3.0,
) -> ConditionReport:
    return ConditionReport(
        asset_id=asset_id,
        failure_mode=mode,
        category=category,  # type: ignore[arg-type]
        severity=severity,  # type: ignore[arg-type]
        onset_at=at - timedelta(minutes=5),
        at=at,
        score=score,
        evidence={"contributions": [{"signal": "vibration", "share": 0.7}, {"signal": "temp", "share": 0.2}]},
    )


@pytest.fixture
def asset_id(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        return insert_asset(conn, name="Feed pump 3")


def report(url: str, report_in: ConditionReport):
    with psycopg.connect(url) as conn:
        return conditions.report(conn, report_in=report_in)


def test_a_new_condition_opens_one_work_order_by_the_rules(database_url: str, asset_id: int):
    first = report(database_url, condition_report(asset_id))
    assert first.created and first.work == "open" and first.work_order_id is not None
    wo = rows(
        database_url,
        "SELECT source, work_type, priority, condition_id, asset_id, description FROM work.work_orders WHERE id = %s",
        (first.work_order_id,),
    )[0]
    assert wo[:5] == ("iot_condition", "repair", "high", first.condition.id, asset_id)
    assert "vibration (70%)" in str(wo[5])

    again = report(
        database_url, condition_report(asset_id, severity="critical", score=5.0, at=NOW + timedelta(minutes=1))
    )
    assert not again.created and again.work == "already_linked"
    assert again.condition.id == first.condition.id
    assert (again.condition.severity, again.condition.peak_score) == ("critical", 5.0)
    assert scalar(database_url, "SELECT count(*) FROM work.work_orders") == 1


def test_sensor_faults_open_a_sensor_check_not_a_repair(database_url: str, asset_id: int):
    outcome = report(database_url, condition_report(asset_id, mode="stuck", category="sensor", severity="warning"))
    assert outcome.work == "open"
    assert scalar(database_url, "SELECT work_type FROM work.work_orders WHERE id = %s", (outcome.work_order_id,)) == (
        "sensor_check"
    )


def test_concurrent_detectors_raise_one_condition_and_one_work_order(database_url: str, asset_id: int):
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def detector(i: int) -> None:
        try:
            with psycopg.connect(database_url) as conn:
                barrier.wait()
                conditions.report(conn, report_in=condition_report(asset_id, at=NOW + timedelta(seconds=i)))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=detector, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert scalar(database_url, "SELECT count(*) FROM detection.conditions") == 1
    assert scalar(database_url, "SELECT count(*) FROM work.work_orders") == 1


def test_a_recurring_condition_attaches_to_open_work_then_follows_up_closed_work(database_url: str, asset_id: int):
    first = report(database_url, condition_report(asset_id))
    with psycopg.connect(database_url) as conn:
        conditions.clear(conn, asset_id=asset_id, failure_mode="bearing_wear", at=NOW + timedelta(minutes=10))
    second = report(database_url, condition_report(asset_id, at=NOW + timedelta(minutes=20)))
    assert second.created and second.work == "attach" and second.work_order_id == first.work_order_id

    with psycopg.connect(database_url) as conn:  # the job is done and posted with the fault confirmed
        conn.execute(
            "UPDATE work.work_orders SET status = 'completed', completed_at = %s, resolution_code = 'fault_confirmed' "
            "WHERE id = %s",
            (NOW + timedelta(hours=1), first.work_order_id),
        )
        conn.execute(
            "UPDATE work.work_orders SET status = 'posted', posted_at = now() WHERE id = %s", (first.work_order_id,)
        )
        resolve_conditions_of_posted_work(conn, WorkOrderPosted(work_order_id=first.work_order_id, actor="user:1"))
    resolved = rows(database_url, "SELECT status, outcome FROM detection.conditions ORDER BY id")
    assert resolved == [("resolved", "true_alarm"), ("resolved", "true_alarm")]

    third = report(database_url, condition_report(asset_id, at=NOW + timedelta(days=2)))
    assert third.created and third.work == "follow_up"
    assert scalar(database_url, "SELECT parent_id FROM work.work_orders WHERE id = %s", (third.work_order_id,)) == (
        first.work_order_id
    )


def test_the_inbox_through_http(database_url: str, asset_id: int):
    outcome = report(database_url, condition_report(asset_id))
    cid = outcome.condition.id
    with api_client(database_url) as api:
        dispatcher, viewer = headers_for(database_url, Role.DISPATCHER), headers_for(database_url, Role.VIEWER)
        inbox = api.get("/conditions", params={"open": True}, headers=viewer)
        assert inbox.status_code == 200 and inbox.json()["total"] == 1
        assert inbox.json()["items"][0]["work_order_id"] == outcome.work_order_id

        assert api.post(f"/conditions/{cid}/acknowledge", headers=viewer).status_code == 403
        ack = api.post(f"/conditions/{cid}/acknowledge", headers=dispatcher)
        assert ack.status_code == 200 and ack.json()["status"] == "acknowledged"
        assert ack.json()["acknowledged_by"].startswith("user:")

        past = api.post(f"/conditions/{cid}/snooze", json={"until": "2020-01-01T00:00:00Z"}, headers=dispatcher)
        assert past.status_code == 422
        naive = api.post(f"/conditions/{cid}/snooze", json={"until": "2099-01-01T00:00:00"}, headers=dispatcher)
        assert naive.status_code == 422
        snoozed = api.post(f"/conditions/{cid}/snooze", json={"until": "2099-01-01T00:00:00Z"}, headers=dispatcher)
        assert snoozed.status_code == 200 and snoozed.json()["status"] == "snoozed"

        with psycopg.connect(database_url) as conn:
            conditions.clear(conn, asset_id=asset_id, failure_mode="bearing_wear", at=NOW)
        refused = api.post(f"/conditions/{cid}/acknowledge", headers=dispatcher)
        assert refused.status_code == 409 and "cleared" in refused.json()["error"]["message"]
        assert api.get("/conditions/999999", headers=viewer).status_code == 404

        precision = api.get("/conditions/precision", headers=viewer).json()
        assert precision == [
            {
                "failure_mode": "bearing_wear",
                "category": "equipment",
                "true_alarms": 0,
                "false_alarms": 0,
                "unjudged": 1,
                "precision": None,
            }
        ]


def test_rules_decide_the_work_and_are_maintained_through_http(database_url: str, asset_id: int):
    with api_client(database_url) as api:
        dispatcher, viewer = headers_for(database_url, Role.DISPATCHER), headers_for(database_url, Role.VIEWER)
        assert len(api.get("/conditions/rules", headers=viewer).json()) == 3  # the seeded defaults
        rule = {
            "failure_mode": "bearing_wear",
            "category": "equipment",
            "work_type": "maintenance",
            "priority": "low",
            "raise_priority_if_critical_asset": False,
        }
        assert api.post("/conditions/rules", json=rule, headers=viewer).status_code == 403
        created = api.post("/conditions/rules", json=rule, headers=dispatcher)
        assert created.status_code == 201, created.text
        bad = api.post("/conditions/rules", json={**rule, "incident_type_id": 4242}, headers=dispatcher)
        assert bad.status_code == 422 and "4242" in bad.json()["error"]["message"]
        assert api.put("/conditions/rules/9999", json=rule, headers=dispatcher).status_code == 404

        outcome = report(database_url, condition_report(asset_id))  # the specific rule beats the '*' defaults
        wo = rows(
            database_url, "SELECT work_type, priority FROM work.work_orders WHERE id = %s", (outcome.work_order_id,)
        )
        assert wo == [("maintenance", "low")]
        assert api.delete(f"/conditions/rules/{created.json()['id']}", headers=dispatcher).status_code == 204
        assert len(api.get("/conditions/rules", headers=viewer).json()) == 3


def test_an_assets_score_history_through_http_worst_per_bucket(database_url: str, asset_id: int):
    start = datetime(2026, 3, 2, tzinfo=UTC)
    minutes = [(start + timedelta(minutes=m), 90 - m % 50, 0.1 + (m % 7) / 10) for m in range(24 * 60)]
    with psycopg.connect(database_url) as conn:
        conn.cursor().executemany(
            "INSERT INTO detection.health_history (asset_id, resolution, bucket, health_score, anomaly_score) "
            "VALUES (%s, '1m', %s, %s, %s)",
            [(asset_id, *m) for m in minutes],
        )
        conn.execute(
            "INSERT INTO detection.health_history (asset_id, resolution, bucket, health_score, anomaly_score) "
            "VALUES (%s, '1h', %s, 12, 5.5)",
            (asset_id, start),
        )
    with api_client(database_url) as api:
        viewer = headers_for(database_url, Role.VIEWER)
        path = f"/conditions/health/{asset_id}/history"
        window = {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}
        exact = api.get(path, params=window, headers=viewer)
        assert exact.status_code == 200, exact.text
        assert [p["health_score"] for p in exact.json()] == [h for _, h, _ in minutes[:120]]

        merged = api.get(path, params={**window, "max_points": 10}, headers=viewer).json()
        assert len(merged) == 8  # 15-minute buckets: the smallest nice width that fits 2 h into 10 points
        first = minutes[:15]
        assert merged[0] == {
            "ts": start.isoformat().replace("+00:00", "Z"),
            "health_score": min(h for _, h, _ in first),
            "anomaly_score": pytest.approx(max(s for _, _, s in first)),
        }

        week = {"start": start.isoformat(), "end": (start + timedelta(days=8)).isoformat()}
        hourly = api.get(path, params=week, headers=viewer).json()  # over a week: the hourly history
        assert [(p["health_score"], p["anomaly_score"]) for p in hourly] == [(12, 5.5)]

        backwards = api.get(path, params={"start": window["end"], "end": window["start"]}, headers=viewer)
        assert backwards.status_code == 422 and "end must be after start" in backwards.text
        naive = api.get(path, params={"start": "2026-03-02T00:00:00"}, headers=viewer)
        assert naive.status_code == 422
        assert api.get("/conditions/health/999999/history", headers=viewer).status_code == 404
        assert api.get(path, headers=viewer).json() == []  # the last 24 h by default: nothing scored then


def _condition(conn: psycopg.Connection, asset_id: int, mode: str, status: str, onset: datetime,
               cleared: datetime | None = None, resolved: datetime | None = None) -> int:  # fmt: skip
    row = conn.execute(
        "INSERT INTO detection.conditions (asset_id, failure_mode, category, severity, status, onset_at, raised_at,"
        " last_evidence_at, peak_score, evidence, cleared_at, resolved_at)"
        " VALUES (%s, %s, 'equipment', 'major', %s, %s, %s, %s, 3.0, '{}', %s, %s) RETURNING id",
        (asset_id, mode, status, onset, onset, cleared or resolved or onset, cleared, resolved),
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_the_list_keeps_the_conditions_whose_span_overlaps_since_until(database_url: str, asset_id: int):
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    hours = [t0 + timedelta(hours=h) for h in range(7)]
    with psycopg.connect(database_url) as conn:
        before = _condition(
            conn, asset_id, "before", "cleared", t0 - timedelta(hours=3), cleared=t0 - timedelta(hours=1)
        )
        cleared = _condition(conn, asset_id, "cleared", "cleared", hours[1], cleared=hours[2])
        resolved = _condition(conn, asset_id, "resolved", "resolved", hours[3], resolved=hours[5])  # never cleared
        still_open = _condition(conn, asset_id, "open", "raised", hours[6])
        other_asset = _condition(conn, insert_asset(conn, name="Other pump"), "cleared", "cleared", hours[1],
                                 cleared=hours[2])  # fmt: skip
    with api_client(database_url) as api:
        viewer = headers_for(database_url, Role.VIEWER)

        def ids(**params: object) -> list[int]:
            answer = api.get("/conditions", params={"asset_id": asset_id, **params}, headers=viewer)
            assert answer.status_code == 200, answer.text
            assert answer.json()["total"] == len(answer.json()["items"])
            return sorted(c["id"] for c in answer.json()["items"])

        def at(moment: datetime) -> str:
            return moment.isoformat()

        assert ids() == sorted([before, cleared, resolved, still_open])
        assert ids(since=at(t0), until=at(hours[4])) == sorted([cleared, resolved])
        assert ids(since=at(hours[2])) == sorted([resolved, still_open])  # ended at `since`: not in it
        assert ids(until=at(hours[1])) == [before]  # onset at `until`: not in it (exclusive)
        assert ids(since=at(hours[5]), until=at(hours[6])) == []  # between the resolution and the next onset
        assert ids(since=at(datetime.now(UTC) - timedelta(minutes=1))) == [still_open]  # open: runs to now
        assert ids(since=at(datetime.now(UTC) + timedelta(days=1))) == []
        everyone = api.get("/conditions", params={"since": at(t0), "until": at(hours[4])}, headers=viewer).json()
        assert sorted(c["id"] for c in everyone["items"]) == sorted([cleared, resolved, other_asset])

        for since, until in ((hours[2], hours[2]), (hours[3], hours[2])):
            refused = api.get("/conditions", params={"since": at(since), "until": at(until)}, headers=viewer)
            assert refused.status_code == 422 and "until must be after since" in refused.text
        naive = api.get("/conditions", params={"since": "2026-03-02T00:00:00"}, headers=viewer)
        assert naive.status_code == 422
