"""Territories, skills, resources, working hours, time off and availability through HTTP."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest
from fastapi.testclient import TestClient

from service_core.auth.domain import Role
from service_core.resources import service as resources_service
from tests.masterdata_factories import make_resource
from tests.support.api import headers_for, make_user

pytestmark = pytest.mark.integration


def test_territories_and_skills(api: TestClient, database_url: str, dispatcher):
    north = api.post("/resources/territories", json={"name": "North"}, headers=dispatcher)
    assert north.status_code == 201
    assert api.post("/resources/territories", json={"name": "North"}, headers=dispatcher).status_code == 409
    renamed = api.put(f"/resources/territories/{north.json()['id']}", json={"name": "Nord"}, headers=dispatcher)
    assert renamed.json()["name"] == "Nord"
    assert [t["name"] for t in api.get("/resources/territories", headers=dispatcher).json()] == ["Nord"]
    assert api.post("/resources/skills", json={"code": "hvac", "name": "HVAC"}, headers=dispatcher).status_code == 201
    assert api.post("/resources/skills", json={"code": "hvac", "name": "again"}, headers=dispatcher).status_code == 409
    bad = api.post("/resources/skills", json={"code": "HV AC", "name": "x"}, headers=dispatcher)
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "code"
    make_resource(database_url, territory_id=north.json()["id"])
    assert api.delete(f"/resources/territories/{north.json()['id']}", headers=dispatcher).status_code == 409
    assert api.delete("/resources/territories/999", headers=dispatcher).status_code == 404


def test_resource_crud_skills_filters_and_user_link(api: TestClient, database_url: str, dispatcher):
    user_id = make_user(database_url, Role.TECHNICIAN)
    hvac = api.post("/resources/skills", json={"code": "hvac", "name": "HVAC"}, headers=dispatcher).json()
    elec = api.post("/resources/skills", json={"code": "electrical", "name": "Electrical"}, headers=dispatcher).json()
    new = {
        "name": "Ada",
        "user_id": user_id,
        "home_latitude": 48.1,
        "home_longitude": 11.6,
        "timezone": "Europe/Berlin",
        "hourly_cost": "40.00",
        "hourly_bill_rate": "95.50",
    }
    created = api.post("/resources", json=new, headers=dispatcher)
    assert created.status_code == 201, created.text
    ada = created.json()
    assert (ada["kind"], ada["hourly_bill_rate"], ada["skills"]) == ("technician", "95.50", [])
    assert api.post("/resources", json={**new, "name": "Twin"}, headers=dispatcher).status_code == 409
    unknown_user = api.post("/resources", json={**new, "user_id": 9999}, headers=dispatcher)
    assert unknown_user.status_code == 422 and "user_id" in unknown_user.json()["error"]["message"]

    skills = [{"skill_id": hvac["id"], "proficiency": 5}, {"skill_id": elec["id"]}]
    put = api.put(f"/resources/{ada['id']}/skills", json=skills, headers=dispatcher)
    assert [(s["code"], s["proficiency"]) for s in put.json()] == [("electrical", 3), ("hvac", 5)]
    bad = api.put(
        f"/resources/{ada['id']}/skills", json=[{"skill_id": hvac["id"], "proficiency": 6}], headers=dispatcher
    )
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "0.proficiency"
    unknown = api.put(f"/resources/{ada['id']}/skills", json=[{"skill_id": 999}], headers=dispatcher)
    assert unknown.status_code == 422 and "no such skill 999" in unknown.json()["error"]["message"]

    make_resource(database_url, name="Crane", kind="equipment")
    names = lambda **p: [r["name"] for r in api.get("/resources", params=p, headers=dispatcher).json()["items"]]  # noqa: E731
    assert names() == ["Ada", "Crane"]
    assert names(skill_id=hvac["id"]) == ["Ada"]
    assert names(kind="equipment") == ["Crane"]
    assert names(q="ad") == ["Ada"]
    assert api.get("/resources", params={"limit": 1, "offset": 1}, headers=dispatcher).json()["total"] == 2

    patched = api.patch(f"/resources/{ada['id']}", json={"is_active": False, "hourly_cost": "41"}, headers=dispatcher)
    assert (patched.json()["is_active"], patched.json()["hourly_cost"]) == (False, "41.00")
    assert api.get("/resources/999", headers=dispatcher).status_code == 404
    with psycopg.connect(database_url) as conn:
        mine = resources_service.resource_for_user(conn, user_id=user_id)
        assert mine is not None and mine.id == ada["id"] and len(mine.skills) == 2
        assert resources_service.resource_for_user(conn, user_id=user_id + 1000) is None


def test_roles(api: TestClient, database_url: str):
    technician, viewer = headers_for(database_url, Role.TECHNICIAN), headers_for(database_url, Role.VIEWER)
    new = {"name": "X", "home_latitude": 0, "home_longitude": 0}
    assert api.post("/resources", json=new, headers=technician).status_code == 403
    assert api.post("/resources/skills", json={"code": "a", "name": "A"}, headers=viewer).status_code == 403
    assert api.get("/resources", headers=viewer).status_code == 200


def test_working_hours_are_replaced_and_overlaps_refused(api: TestClient, database_url: str, dispatcher):
    resource = make_resource(database_url)
    url = f"/resources/{resource.id}/working-hours"
    week = [
        {"weekday": 0, "start_time": "08:00", "end_time": "12:00", "break_minutes": 15},
        {"weekday": 0, "start_time": "13:00", "end_time": "17:00"},
        {"weekday": 1, "start_time": "08:00", "end_time": "16:00", "break_minutes": 30},
    ]
    assert len(api.put(url, json=week, headers=dispatcher).json()) == 3
    overlapping = [*week, {"weekday": 0, "start_time": "11:00", "end_time": "14:00"}]
    refused = api.put(url, json=overlapping, headers=dispatcher)
    assert refused.status_code == 422
    assert "Monday: 08:00-12:00 overlaps 11:00-14:00" in refused.json()["error"]["message"]
    backwards = api.put(url, json=[{"weekday": 2, "start_time": "17:00", "end_time": "08:00"}], headers=dispatcher)
    assert backwards.status_code == 422 and "end_time must be after" in backwards.json()["error"]["message"]
    long_break = api.put(
        url, json=[{"weekday": 2, "start_time": "08:00", "end_time": "09:00", "break_minutes": 60}], headers=dispatcher
    )
    assert long_break.status_code == 422
    stored = api.get(url, headers=dispatcher).json()
    assert [(s["weekday"], s["start_time"], s["break_minutes"]) for s in stored] == [
        (0, "08:00:00", 15),
        (0, "13:00:00", 0),
        (1, "08:00:00", 30),
    ]
    assert api.put(url, json=[], headers=dispatcher).json() == []
    assert api.put("/resources/999/working-hours", json=[], headers=dispatcher).status_code == 404


def test_time_off_and_availability_across_daylight_saving(api: TestClient, database_url: str, dispatcher):
    resource = make_resource(database_url, timezone="Europe/Berlin")
    api.put(
        f"/resources/{resource.id}/working-hours",
        json=[
            {"weekday": 6, "start_time": "00:00", "end_time": "06:00"},
            {"weekday": 6, "start_time": "08:00", "end_time": "16:00"},
        ],
        headers=dispatcher,
    )
    url = f"/resources/{resource.id}/time-off"
    backwards = api.post(
        url, json={"start_at": "2024-03-31T12:00:00Z", "end_at": "2024-03-31T10:00:00Z"}, headers=dispatcher
    )
    assert backwards.status_code == 422 and "end_at must be after start_at" in backwards.json()["error"]["message"]
    naive = api.post(url, json={"start_at": "2024-03-31T12:00:00", "end_at": "2024-03-31T13:00:00"}, headers=dispatcher)
    assert naive.status_code == 422
    off = api.post(
        url,
        json={"start_at": "2024-03-31T10:00:00Z", "end_at": "2024-03-31T12:00:00Z", "reason": "doctor"},
        headers=dispatcher,
    )
    assert off.status_code == 201 and off.json()["reason"] == "doctor"

    spans = api.get(f"/resources/{resource.id}/availability", params={"day": "2024-03-31"}, headers=dispatcher).json()
    assert spans == [
        {"start": "2024-03-30T23:00:00Z", "end": "2024-03-31T04:00:00Z"},
        {"start": "2024-03-31T06:00:00Z", "end": "2024-03-31T10:00:00Z"},
        {"start": "2024-03-31T12:00:00Z", "end": "2024-03-31T14:00:00Z"},
    ]
    with psycopg.connect(database_url) as conn:
        week_later = resources_service.availability(conn, resource_id=resource.id, day=date(2024, 4, 7))
    assert [(s.isoformat(), e.isoformat()) for s, e in week_later] == [
        ("2024-04-06T22:00:00+00:00", "2024-04-07T04:00:00+00:00"),
        ("2024-04-07T06:00:00+00:00", "2024-04-07T14:00:00+00:00"),
    ]
    assert [t["id"] for t in api.get(url, headers=dispatcher).json()] == [off.json()["id"]]
    assert api.delete(f"{url}/{off.json()['id']}", headers=dispatcher).status_code == 204
    assert api.delete(f"{url}/{off.json()['id']}", headers=dispatcher).status_code == 404
    assert (
        len(api.get(f"/resources/{resource.id}/availability", params={"day": "2024-03-31"}, headers=dispatcher).json())
        == 2
    )
