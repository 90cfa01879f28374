"""Devices and telemetry through HTTP, against a real PostgreSQL (no mocks)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient

from service_core.auth.domain import Role
from tests.factories import insert_asset, register_devices, sample_fleet
from tests.support.api import api_client, headers_for

pytestmark = pytest.mark.integration


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    with api_client(database_url) as client:
        yield client


@pytest.fixture
def viewer(database_url: str) -> dict[str, str]:
    return headers_for(database_url, Role.VIEWER)


@pytest.fixture
def dispatcher(database_url: str) -> dict[str, str]:
    return headers_for(database_url, Role.DISPATCHER)


@pytest.fixture
def fleet(database_url: str, tenant: str):
    return sample_fleet(database_url, tenant)


def test_register_read_and_update_a_device(api: TestClient, dispatcher, viewer, database_url: str, tenant: str):
    device = {"tenant": tenant, "device_key": "pump-1", "device_type": "pump", "password": "mqtt-secret-1"}
    created = api.post("/devices", json=device, headers=dispatcher)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["tenant"], body["device_key"], body["status"], body["asset_id"]) == (tenant, "pump-1", "unknown", None)
    assert "password" not in body and "credentials_hash" not in body
    with psycopg.connect(database_url) as conn:  # committed before the answer was sent
        row = conn.execute("SELECT credentials_hash FROM fleet.devices WHERE id = %s", (body["id"],)).fetchone()
    assert row is not None and row[0].startswith("scrypt$")

    with psycopg.connect(database_url) as conn:
        insert_asset(conn, asset_id=5)
    again = api.post("/devices", json={**device, "device_type": "big-pump", "asset_id": 5}, headers=dispatcher)
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["device_type"], again.json()["asset_id"]) == (body["id"], "big-pump", 5)

    read = api.get(f"/devices/{body['id']}", headers=viewer)
    assert read.status_code == 200 and read.json() == again.json()


def test_unknown_device_is_404(api: TestClient, viewer):
    answer = api.get("/devices/424242", headers=viewer)
    assert answer.status_code == 404
    assert answer.json() == {"error": {"code": "not_found", "message": "device 424242 is not registered", "fields": []}}
    window = api.get(
        "/telemetry/window",
        headers=viewer,
        params={"device_id": 424242, "start": "2025-01-01T00:00:00Z", "end": "2025-01-02T00:00:00Z"},
    )
    assert window.status_code == 404


def test_device_validation_errors_name_each_field(api: TestClient, dispatcher):
    answer = api.post(
        "/devices", json={"tenant": "bad tenant!", "device_key": "ok", "password": "short"}, headers=dispatcher
    )
    assert answer.status_code == 422
    fields = {f["field"]: f for f in answer.json()["error"]["fields"]}
    assert set(fields) == {"tenant", "device_type", "password"}
    assert fields["device_type"]["type"] == "missing"
    assert "pattern" in fields["tenant"]["reason"]

    for bad_id in ("abc", "0", str(2**40)):
        assert api.get(f"/devices/{bad_id}", headers=dispatcher).status_code == 422


def test_values_the_database_refuses_are_422_not_500(api: TestClient, dispatcher, tenant: str):
    too_big = api.post(
        "/devices",
        json={"tenant": tenant, "device_key": "d", "device_type": "pump", "asset_id": 2**70},
        headers=dispatcher,
    )
    assert too_big.status_code == 422
    nul = api.post(
        "/devices", json={"tenant": tenant, "device_key": "d", "device_type": "pu\u0000mp"}, headers=dispatcher
    )
    assert nul.status_code == 422
    nul_meta = api.post(
        "/devices",
        json={"tenant": tenant, "device_key": "d", "device_type": "pump", "metadata": {"note": "a\u0000b"}},
        headers=dispatcher,
    )
    assert nul_meta.status_code == 422
    assert api.get("/devices", params={"tenant": tenant}, headers=dispatcher).json()["total"] == 0  # rolled back


def test_device_list_is_paginated_and_filtered_by_tenant(api: TestClient, viewer, database_url: str, tenant: str):
    register_devices(database_url, tenant, [f"d{i}" for i in range(5)])
    register_devices(database_url, tenant + "x", ["other"])
    page = api.get("/devices", params={"tenant": tenant, "limit": 2, "offset": 2}, headers=viewer).json()
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 2)
    assert [d["device_key"] for d in page["items"]] == ["d2", "d3"]
    last = api.get("/devices", params={"tenant": tenant, "limit": 2, "offset": 4}, headers=viewer).json()
    assert [d["device_key"] for d in last["items"]] == ["d4"]
    assert api.get("/devices", headers=viewer).json()["total"] == 6

    for bad in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"tenant": "no spaces"}):
        answer = api.get("/devices", params=bad, headers=viewer)
        assert answer.status_code == 422
        assert answer.json()["error"]["fields"][0]["field"] == next(iter(bad))


def test_latest_values_by_asset_and_by_devices(api: TestClient, viewer, fleet):
    by_asset = api.get("/telemetry/latest", params={"asset_id": 77}, headers=viewer)
    assert by_asset.status_code == 200
    last = fleet["start"] + timedelta(minutes=119)
    assert [(v["metric"], v["value"]) for v in by_asset.json()] == [("flow", 119.0), ("temp", 10.0)]
    assert all(datetime.fromisoformat(v["ts"]) == last for v in by_asset.json())

    ids = [d.id for d in fleet["pumps"]]
    both = api.get("/telemetry/latest", params={"device_id": ids}, headers=viewer).json()
    assert sorted((v["device_key"], v["metric"]) for v in both) == [("p1", "flow"), ("p1", "temp"), ("p2", "temp")]

    neither = api.get("/telemetry/latest", headers=viewer)
    assert neither.status_code == 422 and neither.json()["error"]["code"] == "invalid_input"


def test_window_raw_and_rolled_up(api: TestClient, viewer, fleet):
    p1, start = fleet["pumps"][0], fleet["start"]
    params = {
        "device_id": p1.id,
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
        "metric": "flow",
    }
    raw = api.get("/telemetry/window", params=params, headers=viewer)
    assert raw.status_code == 200, raw.text
    assert [p["mean"] for p in raw.json()] == [float(i) for i in range(60)]

    hourly = api.get(
        "/telemetry/window",
        headers=viewer,
        params={**params, "end": (start + timedelta(hours=2)).isoformat(), "resolution": "1h"},
    ).json()
    assert [(p["n"], p["mean"], p["min"], p["max"]) for p in hourly] == [(60, 29.5, 0, 59), (60, 89.5, 60, 119)]

    both_metrics = api.get(
        "/telemetry/window", headers=viewer, params={**params, "metric": ["flow", "temp"], "resolution": "1m"}
    ).json()
    assert len(both_metrics) == 120


def test_fleet_rollup(api: TestClient, viewer, fleet, tenant: str):
    start = fleet["start"]
    hour = {
        "tenant": tenant,
        "metric": "temp",
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
    }
    answer = api.get("/telemetry/fleet", headers=viewer, params=hour)
    assert answer.status_code == 200, answer.text
    assert [(p["device_type"], p["devices"], p["n"], p["mean"]) for p in answer.json()] == [
        ("chiller", 1, 60, 5.0),
        ("pump", 2, 120, 15.0),
    ]
    raw = api.get("/telemetry/fleet", headers=viewer, params={**hour, "resolution": "raw"})
    assert raw.status_code == 422 and "roll-ups" in raw.json()["error"]["message"]


def test_naive_and_inverted_times_are_refused(api: TestClient, viewer, fleet):
    p1 = fleet["pumps"][0]
    naive = api.get(
        "/telemetry/window",
        headers=viewer,
        params={"device_id": p1.id, "start": "2025-01-01T00:00:00", "end": "2025-01-02T00:00:00+00:00"},
    )
    assert naive.status_code == 422
    fields = naive.json()["error"]["fields"]
    assert [(f["field"], f["location"], f["type"]) for f in fields] == [("start", "query", "timezone_aware")]
    assert "timezone" in fields[0]["reason"]

    inverted = api.get(
        "/telemetry/window",
        headers=viewer,
        params={"device_id": p1.id, "start": "2025-01-02T00:00:00Z", "end": "2025-01-01T00:00:00Z"},
    )
    assert inverted.status_code == 422
    assert inverted.json()["error"] == {"code": "invalid_input", "message": "end must be after start", "fields": []}

    garbage = api.get(
        "/telemetry/fleet",
        headers=viewer,
        params={
            "tenant": "t",
            "metric": "temp; drop table",
            "start": "yesterday",
            "end": "2025-01-01T00:00:00Z",
            "resolution": "5m",
        },
    )
    assert garbage.status_code == 422
    assert {f["field"] for f in garbage.json()["error"]["fields"]} == {"metric", "start", "resolution"}
