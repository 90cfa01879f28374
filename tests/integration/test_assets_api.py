"""Assets, their hierarchy, linked devices and meter readings through HTTP."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal

import psycopg
import pytest
from fastapi.testclient import TestClient

from service_core.assets import service as assets_service
from service_core.auth.domain import Role
from service_core.exceptions import Conflict
from tests.factories import register_devices
from tests.masterdata_factories import make_account, make_asset, make_location, scalar
from tests.support.api import headers_for

pytestmark = pytest.mark.integration


def test_create_read_update_and_filter(api: TestClient, database_url: str, dispatcher):
    account = make_account(database_url)
    location = make_location(database_url, account.id)
    chiller = api.post("/assets/types", json={"code": "chiller", "name": "Chiller"}, headers=dispatcher).json()
    assert api.post("/assets/types", json={"code": "chiller", "name": "x"}, headers=dispatcher).status_code == 409
    new = {
        "account_id": account.id,
        "location_id": location.id,
        "asset_type_id": chiller["id"],
        "name": "Chiller A",
        "model": "CX-200",
        "serial_number": "SN-1",
        "install_date": "2022-05-01",
        "warranty_end": "2025-05-01",
        "criticality": "high",
    }
    created = api.post("/assets", json=new, headers=dispatcher)
    assert created.status_code == 201, created.text
    a = created.json()
    assert (a["level"], a["ownership"], a["status"], a["run_hours"], a["criticality"]) == (
        "asset",
        "customer",
        "active",
        "0.0",
        "high",
    )
    assert api.post("/assets", json={**new, "name": "Dup"}, headers=dispatcher).status_code == 409
    make_asset(database_url, account.id, name="Boiler", criticality="low", ownership="leased")
    other = make_asset(database_url, name="Elsewhere")

    def names(**params) -> list[str]:
        return [x["name"] for x in api.get("/assets", params=params, headers=dispatcher).json()["items"]]

    assert names(account_id=account.id) == ["Boiler", "Chiller A"]
    assert names(location_id=location.id) == ["Chiller A"]
    assert names(asset_type_id=chiller["id"]) == ["Chiller A"]
    assert names(criticality="low") == ["Boiler"]
    assert names(ownership="leased") == ["Boiler"]
    assert names(q="cx-2") == ["Chiller A"]
    assert names(q="sn-1") == ["Chiller A"]
    page = api.get("/assets", params={"limit": 1, "offset": 2}, headers=dispatcher).json()
    assert (page["total"], [x["name"] for x in page["items"]]) == (3, ["Elsewhere"])

    patched = api.patch(f"/assets/{a['id']}", json={"status": "inactive", "model": "CX-300"}, headers=dispatcher)
    assert (patched.json()["status"], patched.json()["model"]) == ("inactive", "CX-300")
    assert api.get(f"/assets/{a['id']}", headers=headers_for(database_url, Role.VIEWER)).json() == patched.json()
    wrong_location = api.patch(f"/assets/{other.id}", json={"location_id": location.id}, headers=dispatcher)
    assert wrong_location.status_code == 422 and "another account" in wrong_location.json()["error"]["message"]
    early = api.patch(f"/assets/{a['id']}", json={"warranty_end": "2020-01-01"}, headers=dispatcher)
    assert early.status_code == 422 and "warranty" in early.json()["error"]["message"]


def test_refusals(api: TestClient, database_url: str, dispatcher):
    assert api.get("/assets/999", headers=dispatcher).status_code == 404
    assert api.get("/assets/999/tree", headers=dispatcher).status_code == 404
    missing_account = api.post("/assets", json={"account_id": 999, "name": "x"}, headers=dispatcher)
    assert (
        missing_account.status_code == 422
        and "account 999 does not exist" in missing_account.json()["error"]["message"]
    )
    bad = api.post(
        "/assets", json={"account_id": 1, "name": "", "criticality": "extreme", "level": "room"}, headers=dispatcher
    )
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["error"]["fields"]} == {"name", "criticality", "level"}
    technician = headers_for(database_url, Role.TECHNICIAN)
    assert api.post("/assets", json={"account_id": 1, "name": "x"}, headers=technician).status_code == 403
    assert api.post("/assets/types", json={"code": "x", "name": "x"}, headers=technician).status_code == 403


def test_hierarchy_levels_children_tree_and_cycles(api: TestClient, database_url: str, dispatcher):
    account = make_account(database_url)
    site = make_asset(database_url, account.id, name="Site", level="site")
    pump = make_asset(database_url, account.id, name="Pump", parent_id=site.id)
    motor = make_asset(database_url, account.id, name="Motor", level="component", parent_id=pump.id)
    seal = make_asset(database_url, account.id, name="Seal", level="component", parent_id=pump.id)

    def create(**fields):
        return api.post("/assets", json={"account_id": account.id, "name": "X", **fields}, headers=dispatcher)

    assert create(level="component").json()["error"]["message"] == "parent_id: a component needs a parent asset"
    assert "not a site" in create(level="component", parent_id=site.id).json()["error"]["message"]
    assert "not a component" in create(level="asset", parent_id=motor.id).json()["error"]["message"]
    assert create(level="site", parent_id=site.id).json()["error"]["message"] == "parent_id: a site has no parent"
    foreign = create(parent_id=make_asset(database_url, level="site").id)
    assert foreign.status_code == 422 and "another account" in foreign.json()["error"]["message"]

    children = api.get(f"/assets/{pump.id}/children", headers=dispatcher).json()
    assert [c["name"] for c in children] == ["Motor", "Seal"]
    tree = api.get(f"/assets/{site.id}/tree", headers=dispatcher).json()
    assert tree["asset"]["name"] == "Site"
    assert [(n["asset"]["name"], [c["asset"]["name"] for c in n["children"]]) for n in tree["children"]] == [
        ("Pump", ["Motor", "Seal"])
    ]
    # the pump has components: it cannot become a component itself, nor a site's child of the wrong kind
    demote = api.patch(f"/assets/{pump.id}", json={"level": "component", "parent_id": None}, headers=dispatcher)
    assert demote.status_code == 422
    # a site cannot hang under its own descendant
    cycle = api.patch(f"/assets/{site.id}", json={"level": "asset", "parent_id": pump.id}, headers=dispatcher)
    assert cycle.status_code == 422
    assert cycle.json()["error"]["message"] == f"parent_id: asset {site.id} would be its own ancestor"
    self_parent = api.patch(f"/assets/{motor.id}", json={"parent_id": motor.id}, headers=dispatcher)
    assert self_parent.status_code == 422 and "own ancestor" in self_parent.json()["error"]["message"]
    moved = api.patch(f"/assets/{seal.id}", json={"level": "asset", "parent_id": site.id}, headers=dispatcher)
    assert moved.status_code == 200 and moved.json()["parent_id"] == site.id
    assert scalar(database_url, "SELECT count(*) FROM assets.assets WHERE parent_id = %s", (site.id,)) == 2


def test_devices_linked_to_an_asset(api: TestClient, database_url: str, dispatcher, tenant: str):
    asset = make_asset(database_url)
    devices = register_devices(database_url, tenant, ["p1", "p2", "p3"])
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "UPDATE fleet.devices SET asset_id = %s WHERE id = ANY(%s)", (asset.id, [d.id for d in devices[:2]])
        )
    linked = api.get(f"/assets/{asset.id}/devices", headers=dispatcher).json()
    assert [(d["device_key"], d["status"]) for d in linked] == [("p1", "unknown"), ("p2", "unknown")]
    assert api.get("/assets/999/devices", headers=dispatcher).status_code == 404


def test_meter_readings_never_go_down(api: TestClient, database_url: str):
    asset = make_asset(database_url)
    technician = headers_for(database_url, Role.TECHNICIAN)
    url = f"/assets/{asset.id}/meter-readings"
    first = api.post(url, json={"value": "100.5", "read_at": "2024-05-01T08:00:00Z"}, headers=technician)
    assert first.status_code == 201, first.text
    assert (first.json()["meter"], first.json()["source"], first.json()["value"]) == ("run_hours", "manual", "100.50")
    assert (
        api.post(url, json={"value": "120", "read_at": "2024-05-02T08:00:00Z"}, headers=technician).status_code == 201
    )
    lower = api.post(url, json={"value": "110", "read_at": "2024-05-03T08:00:00Z"}, headers=technician)
    assert lower.status_code == 409 and "cannot go down" in lower.json()["error"]["message"]
    backdated_high = api.post(url, json={"value": "130", "read_at": "2024-05-01T12:00:00Z"}, headers=technician)
    assert backdated_high.status_code == 409
    backdated = api.post(url, json={"value": "110", "read_at": "2024-05-01T12:00:00Z"}, headers=technician)
    assert backdated.status_code == 201
    assert api.get(f"/assets/{asset.id}", headers=technician).json()["run_hours"] == "120.0"
    same_time = api.post(url, json={"value": "120", "read_at": "2024-05-02T08:00:00Z"}, headers=technician)
    assert same_time.status_code == 409
    naive = api.post(url, json={"value": "1", "read_at": "2024-05-02T08:00:00"}, headers=technician)
    assert naive.status_code == 422 and naive.json()["error"]["fields"][0]["field"] == "read_at"
    negative = api.post(url, json={"value": "-1", "read_at": "2024-05-09T08:00:00Z"}, headers=technician)
    assert negative.status_code == 422
    page = api.get(url, params={"limit": 2}, headers=technician).json()
    assert (page["total"], [r["value"] for r in page["items"]]) == (3, ["120.00", "110.00"])
    viewer = headers_for(database_url, Role.VIEWER)
    assert api.post(url, json={"value": "200", "read_at": "2024-06-01T08:00:00Z"}, headers=viewer).status_code == 403
    assert (
        api.post(
            "/assets/999/meter-readings", json={"value": "1", "read_at": "2024-06-01T08:00:00Z"}, headers=technician
        ).status_code
        == 404
    )


def test_two_concurrent_readings_cannot_both_pass_the_check(database_url: str):
    asset = make_asset(database_url)
    at = datetime(2024, 5, 1, 8, tzinfo=UTC)
    first = psycopg.connect(database_url)
    assets_service.record_meter_reading(
        first, asset_id=asset.id, meter="run_hours", value=Decimal(100), read_at=at, source="manual"
    )
    outcome: list[object] = []

    def second_reader() -> None:
        with psycopg.connect(database_url) as conn:
            try:
                # a later but lower reading: it waits for the first transaction, then sees 100 and is refused
                assets_service.record_meter_reading(
                    conn,
                    asset_id=asset.id,
                    meter="run_hours",
                    value=Decimal(50),
                    read_at=at.replace(hour=9),
                    source="telemetry",
                )
                outcome.append("recorded")
            except Conflict as exc:
                outcome.append(exc)

    thread = threading.Thread(target=second_reader)
    thread.start()
    thread.join(timeout=0.5)
    assert thread.is_alive()  # blocked on the asset's row lock
    first.commit()
    first.close()
    thread.join(timeout=10)
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict)
    assert scalar(database_url, "SELECT run_hours FROM assets.assets WHERE id = %s", (asset.id,)) == Decimal("100.0")
