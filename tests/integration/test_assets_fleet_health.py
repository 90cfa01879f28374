"""GET /assets/fleet-health: one read model per asset, equal to what the single-purpose routes answer."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from service_core.auth.domain import Role
from tests.support.api import api_client, headers_for
from tests.support.dashboard import seed_fleet

pytestmark = pytest.mark.integration

REFUSED = "sampling every 1 s, model chiller/equipment/v1 trained on 30 s readings: retrain"


def _report(api: Any, headers: dict[str, str], asset_id: int, mode: str, severity: str) -> None:
    body = {"asset_id": asset_id, "failure_mode": mode, "category": "equipment", "severity": severity,
            "onset_at": "2026-01-01T00:00:00Z", "at": "2026-01-01T00:05:00Z", "score": 3.0}  # fmt: skip
    answer = api.post("/conditions", json=body, headers=headers)
    assert answer.status_code in (200, 201), answer.text


def test_fleet_health_gives_each_asset_its_devices_values_work_conditions_and_health(database_url: str) -> None:
    seed = seed_fleet(database_url)
    intake, booster, chiller = seed.asset_ids
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE fleet.devices SET status = 'offline' WHERE id = %s", (seed.device_ids[0],))
        conn.execute(  # the detector stopped scoring the chiller: its score of 62 is old
            "INSERT INTO detection.not_scored (asset_id, device_id, model_version, reason, sampling_interval_s,"
            " trained_interval_s, since) VALUES (%s, %s, 'chiller/equipment/v1', %s, 1, 30, now())",
            (chiller, seed.device_ids[1], REFUSED),
        )
    headers = headers_for(database_url, Role.VIEWER)
    with api_client(database_url) as api:
        _report(api, headers_for(database_url, Role.DISPATCHER), booster, "bearing_wear", "major")
        _report(api, headers_for(database_url, Role.DISPATCHER), booster, "seal_leak", "warning")
        answer = api.get("/assets/fleet-health", headers=headers)
        assert answer.status_code == 200, answer.text
        fleet = answer.json()
        latest = api.get("/telemetry/latest", params={"asset_id": intake}, headers=headers).json()
        chiller_health = api.get(f"/conditions/health/{chiller}", headers=headers).json()

    assert (fleet["total"], fleet["limit"]) == (3, 1000)
    by_id = {row["id"]: row for row in fleet["items"]}
    assert [row["name"] for row in fleet["items"]] == ["Booster pump", "Chiller 7", "Intake pump"]  # by name
    pump = by_id[intake]
    assert (pump["account"], pump["site"], pump["criticality"], pump["ownership"]) == (
        "Northwind Water", "Northwind Water plant", "critical", "leased",
    )  # fmt: skip
    assert (pump["latitude"], pump["longitude"]) == (52.37, 4.90)
    assert (pump["devices"], pump["worst_device_status"]) == (1, "offline")
    assert pump["latest_values"] == {v["metric"]: v["value"] for v in latest}
    assert pump["last_seen_at"] is not None
    assert pump["open_work_orders"] == 2  # unscheduled + scheduled; the chiller's completed one is not open
    assert (pump["open_conditions"], pump["worst_severity"], pump["health_score"]) == (0, None, None)
    assert by_id[chiller]["open_work_orders"] == 1
    assert (by_id[chiller]["health_score"], by_id[chiller]["rul_hours"]) == (62, 410.5)
    assert (by_id[chiller]["not_scored_reason"], pump["not_scored_reason"]) == (REFUSED, None)
    assert chiller_health["health_score"] == 62
    assert chiller_health["not_scored"]["reason"] == REFUSED
    assert (
        chiller_health["not_scored"]["sampling_interval_s"],
        chiller_health["not_scored"]["trained_interval_s"],
    ) == (1.0, 30.0)
    assert (by_id[booster]["open_conditions"], by_id[booster]["worst_severity"]) == (2, "major")
    assert (by_id[booster]["devices"], by_id[booster]["worst_device_status"], by_id[booster]["latest_values"]) == (
        0, None, {},
    )  # fmt: skip


def test_fleet_health_filters_search_and_limit(database_url: str) -> None:
    seed = seed_fleet(database_url)
    north, south = seed.account_ids
    headers = headers_for(database_url, Role.TECHNICIAN)
    with api_client(database_url) as api:

        def ids(**params: object) -> tuple[list[int], int]:
            answer = api.get("/assets/fleet-health", params=params, headers=headers)
            assert answer.status_code == 200, answer.text
            return sorted(row["id"] for row in answer.json()["items"]), answer.json()["total"]

        intake, booster, chiller = seed.asset_ids
        assert ids(account_id=north) == ([intake, booster], 2)
        assert ids(account_id=south, criticality="high") == ([chiller], 1)
        assert ids(ownership="leased") == ([intake], 1)
        assert ids(q="southport") == ([chiller], 1)  # the account's name
        assert ids(q="plant") == ([intake, booster, chiller], 3)  # the site's name
        assert ids(q="100%") == ([], 0)  # % is a character, not a wildcard
        assert ids(limit=1) == ([booster], 3)  # the first by name, and how many match
        for bad in ({"limit": 20_001}, {"limit": 0}, {"criticality": "huge"}, {"q": ""}):
            answer = api.get("/assets/fleet-health", params=bad, headers=headers)
            assert answer.status_code == 422, (bad, answer.text)
        assert api.get("/assets/fleet-health").status_code == 401
