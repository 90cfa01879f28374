"""Incident types (templates of work) through HTTP over a real PostgreSQL."""

from __future__ import annotations

import psycopg
import pytest

from service_core.auth.domain import Role
from tests.factories import insert_asset
from tests.support.api import api_client, headers_for

pytestmark = pytest.mark.integration


def test_templates_are_created_replaced_used_and_protected(database_url: str):
    with psycopg.connect(database_url) as conn:
        skill = conn.execute(
            "INSERT INTO resources.skills (code, name) VALUES ('hvac', 'HVAC') RETURNING id"
        ).fetchone()
        asset_id = insert_asset(conn)
        account = conn.execute("SELECT account_id FROM assets.assets WHERE id = %s", (asset_id,)).fetchone()
    assert skill is not None and account is not None
    body = {
        "code": "filter-change", "name": "Filter change", "work_type": "maintenance", "estimated_minutes": 45,
        "skills": [{"skill_id": skill[0], "min_proficiency": 2}], "tasks": ["Open the unit", "Swap the filter"],
    }  # fmt: skip
    with api_client(database_url) as api:
        dispatcher, viewer = headers_for(database_url, Role.DISPATCHER), headers_for(database_url, Role.VIEWER)
        assert api.post("/incident-types", json=body, headers=viewer).status_code == 403
        created = api.post("/incident-types", json=body, headers=dispatcher)
        assert created.status_code == 201, created.text
        template = created.json()
        assert template["tasks"] == ["Open the unit", "Swap the filter"] and template["default_priority"] == "normal"
        assert api.post("/incident-types", json=body, headers=dispatcher).status_code == 409
        unknown_skill = api.post(
            "/incident-types", json={**body, "code": "other", "skills": [{"skill_id": 999}]}, headers=dispatcher
        )
        assert unknown_skill.status_code == 422 and "does not exist" in unknown_skill.json()["error"]["message"]
        twice = api.post(
            "/incident-types", json={**body, "code": "x", "skills": body["skills"] * 2}, headers=dispatcher
        )
        assert twice.status_code == 422

        replaced = api.put(
            f"/incident-types/{template['id']}", json={**body, "tasks": ["Swap the filter"]}, headers=dispatcher
        )
        assert replaced.status_code == 200 and replaced.json()["tasks"] == ["Swap the filter"]
        assert [t["code"] for t in api.get("/incident-types", headers=viewer).json()] == ["filter-change"]
        assert api.get("/incident-types", params={"work_type": "repair"}, headers=viewer).json() == []

        order = api.post(
            "/work-orders",
            json={
                "account_id": account[0],
                "asset_id": asset_id,
                "incident_type_id": template["id"],
                "summary": "Filters",
            },
            headers=dispatcher,
        )
        assert order.status_code == 201 and order.json()["estimated_minutes"] == 45
        in_use = api.delete(f"/incident-types/{template['id']}", headers=dispatcher)
        assert in_use.status_code == 409 and "replace it instead" in in_use.json()["error"]["message"]
        assert api.get("/incident-types/424242", headers=viewer).status_code == 404
