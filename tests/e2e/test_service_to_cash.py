"""The service-to-cash loop through HTTP, against the API running as its own process over a real PostgreSQL:
account and asset -> work order -> booking -> the technician's work -> posting -> invoice -> partial payment ->
aging and dunning -> final payment -> analytics."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from service_core.auth.domain import Role
from tests.support.api import PASSWORD, bearer, make_user
from tests.support.api_process import api_process

pytestmark = pytest.mark.e2e


def login(client: httpx.Client, email: str) -> dict[str, str]:
    answer = client.post("/auth/token", data={"username": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


def test_the_whole_loop_from_work_order_to_cash(database_url: str):
    admin = bearer(make_user(database_url, Role.ADMIN))
    today = datetime.now(UTC).date()
    with api_process(database_url) as base_url, httpx.Client(base_url=base_url, timeout=30) as api:
        # people: a dispatcher, a technician and a finance clerk, created by the admin, logging in for real
        people = {}
        for role in ("dispatcher", "technician", "finance", "viewer"):
            email = f"{role}-{uuid.uuid4().hex[:6]}@example.com"
            user = ok(api.post("/users", json={"email": email, "password": PASSWORD, "role": role}, headers=admin), 201)
            people[role] = (user["id"], login(api, email))
        dispatcher, technician, finance, viewer = (
            people[r][1] for r in ("dispatcher", "technician", "finance", "viewer")
        )

        # master data
        skill = ok(api.post("/resources/skills", json={"code": "pumps", "name": "Pumps"}, headers=admin), 201)
        labour = ok(
            api.post(
                "/catalog/items",
                json={
                    "sku": "LAB-STD",
                    "name": "Labour",
                    "kind": "labour",
                    "unit": "hour",
                    "unit_cost": "40.00",
                    "unit_price": "90.00",
                },
                headers=admin,
            ),
            201,
        )
        seal = ok(
            api.post(
                "/catalog/items",
                json={
                    "sku": "SEAL-1",
                    "name": "Shaft seal",
                    "kind": "product",
                    "unit_cost": "30.00",
                    "unit_price": "55.00",
                },
                headers=admin,
            ),
            201,
        )
        account = ok(
            api.post(
                "/accounts",
                json={
                    "number": "ACME-1",
                    "name": "Acme Water",
                    "payment_terms_days": 30,
                    "tax_rate": "0.2000",
                    "currency": "USD",
                },
                headers=admin,
            ),
            201,
        )
        site = ok(
            api.post(
                f"/accounts/{account['id']}/locations",
                json={"name": "Plant", "latitude": 51.92, "longitude": 4.48},
                headers=dispatcher,
            ),
            201,
        )
        asset = ok(
            api.post(
                "/assets",
                json={"account_id": account["id"], "location_id": site["id"], "name": "Pump 7", "criticality": "high"},
                headers=dispatcher,
            ),
            201,
        )
        tech = ok(
            api.post(
                "/resources",
                json={
                    "name": "Tess Tech",
                    "user_id": people["technician"][0],
                    "home_latitude": 51.9,
                    "home_longitude": 4.4,
                    "hourly_cost": "40.00",
                    "hourly_bill_rate": "90.00",
                },
                headers=dispatcher,
            ),
            201,
        )
        ok(
            api.put(
                f"/resources/{tech['id']}/skills",
                json=[{"skill_id": skill["id"], "proficiency": 4}],
                headers=dispatcher,
            )
        )
        template = ok(
            api.post(
                "/incident-types",
                json={
                    "code": "seal-leak",
                    "name": "Seal leak",
                    "work_type": "repair",
                    "estimated_minutes": 90,
                    "default_priority": "high",
                    "skills": [{"skill_id": skill["id"], "min_proficiency": 2}],
                    "tasks": ["Isolate the pump", "Replace the seal", "Pressure test"],
                    "items": [{"item_id": seal["id"], "quantity": "1"}],
                },
                headers=dispatcher,
            ),
            201,
        )

        # the work order, from the template
        wo = ok(
            api.post(
                "/work-orders",
                json={
                    "account_id": account["id"],
                    "asset_id": asset["id"],
                    "incident_type_id": template["id"],
                    "summary": "Pump 7 leaks",
                },
                headers=dispatcher,
            ),
            201,
        )
        assert (wo["status"], wo["priority"], wo["work_type"]) == ("unscheduled", "high", "repair")
        tasks = ok(api.get(f"/work-orders/{wo['id']}/tasks", headers=dispatcher))
        assert [t["description"] for t in tasks] == template["tasks"]

        # booked, travelled to, worked
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)
        booking = ok(
            api.post(
                f"/work-orders/{wo['id']}/bookings",
                json={
                    "resource_id": tech["id"],
                    "start_at": start.isoformat(),
                    "end_at": (start + timedelta(hours=2)).isoformat(),
                },
                headers=dispatcher,
            ),
            201,
        )
        assert ok(api.get(f"/work-orders/{wo['id']}", headers=viewer))["status"] == "scheduled"
        for step in ("traveling", "in_progress"):
            ok(api.post(f"/bookings/{booking['id']}/status", json={"status": step}, headers=technician))
        assert ok(api.get(f"/work-orders/{wo['id']}", headers=viewer))["status"] == "in_progress"

        ok(
            api.post(
                f"/work-orders/{wo['id']}/lines",
                json={
                    "kind": "labour",
                    "item_id": labour["id"],
                    "description": "Seal replacement",
                    "line_status": "used",
                    "quantity": "1.5",
                },
                headers=technician,
            ),
            201,
        )
        lines = ok(api.get(f"/work-orders/{wo['id']}/lines", headers=technician))
        suggested_seal = next(line for line in lines if line["item_id"] == seal["id"])
        ok(
            api.patch(
                f"/work-orders/{wo['id']}/lines/{suggested_seal['id']}",
                json={"line_status": "used"},
                headers=technician,
            )
        )
        for task in tasks:
            ok(
                api.put(
                    f"/work-orders/{wo['id']}/tasks/{task['id']}/result", json={"result": "pass"}, headers=technician
                )
            )
        ok(
            api.post(
                f"/work-orders/{wo['id']}/time-entries",
                json={
                    "kind": "work",
                    "booking_id": booking["id"],
                    "started_at": (start + timedelta(minutes=20)).isoformat(),
                    "ended_at": (start + timedelta(minutes=110)).isoformat(),
                },
                headers=technician,
            ),
            201,
        )
        ok(api.post(f"/bookings/{booking['id']}/status", json={"status": "completed"}, headers=technician))
        assert ok(api.get(f"/work-orders/{wo['id']}", headers=viewer))["status"] == "completed"
        ok(
            api.post(
                f"/work-orders/{wo['id']}/complete",
                json={"resolution_code": "fixed", "resolution_notes": "seal replaced"},
                headers=technician,
            )
        )

        # reviewed and posted by the supervisor: frozen, and the invoice is drafted
        review = ok(api.get(f"/work-orders/{wo['id']}/review", headers=dispatcher))
        assert review is not None
        posted = ok(api.post(f"/work-orders/{wo['id']}/post", json={}, headers=dispatcher))
        assert posted["status"] == "posted"
        frozen = api.post(
            f"/work-orders/{wo['id']}/lines",
            json={"kind": "travel", "description": "late add", "quantity": "1"},
            headers=dispatcher,
        )
        assert frozen.status_code == 409

        invoices = ok(api.get("/invoices", params={"account_id": account["id"]}, headers=finance))["items"]
        assert len(invoices) == 1
        draft = invoices[0]
        # 1.5 h labour at 90.00 + one seal at 55.00 = 190.00; tax 20% = 38.00
        assert (Decimal(draft["subtotal"]), Decimal(draft["tax_total"]), Decimal(draft["total"])) == (
            Decimal("190.00"),
            Decimal("38.00"),
            Decimal("228.00"),
        )
        invoice = ok(api.post(f"/invoices/{draft['id']}/issue", json={}, headers=finance))
        assert invoice["invoice_number"].startswith("INV-") and invoice["due_date"] == str(today + timedelta(days=30))
        assert (
            api.post(
                f"/invoices/{draft['id']}/lines",
                json={"description": "x", "kind": "service", "quantity": "1", "unit_price": "1.00"},
                headers=finance,
            ).status_code
            == 409
        )

        # a partial payment, retried with the same idempotency key: one payment
        payment = {
            "account_id": account["id"],
            "amount": "100.00",
            "currency": "USD",
            "received_on": str(today),
            "method": "bank_transfer",
            "auto_allocate": True,
        }
        key = {"Idempotency-Key": f"pay-{uuid.uuid4().hex}"}
        first = ok(api.post("/payments", json=payment, headers={**finance, **key}), 201)
        again = ok(api.post("/payments", json=payment, headers={**finance, **key}), 200)
        assert again["id"] == first["id"]
        assert ok(api.get(f"/invoices/{draft['id']}", headers=finance))["balance"] == "128.00"

        # 45 days on: 15 days overdue, in the 1-30 bucket, and a first reminder
        later = today + timedelta(days=45)
        aging = ok(
            api.get("/receivables/aging", params={"as_of": str(later), "account_id": account["id"]}, headers=finance)
        )
        assert _bucket(aging, "days_1_30") == Decimal("128.00") and _bucket(aging, "current") == Decimal("0")
        dunning = ok(api.post("/receivables/dunning/run", json={"as_of": str(later)}, headers=finance))
        assert dunning["notices"], dunning
        assert {n["level"] for n in dunning["notices"]} == {1}

        # paid in full
        ok(
            api.post(
                "/payments",
                json={**payment, "amount": "128.00"},
                headers={**finance, "Idempotency-Key": f"pay-{uuid.uuid4().hex}"},
            ),
            201,
        )
        settled = ok(api.get(f"/invoices/{draft['id']}", headers=finance))
        assert (settled["balance"], settled["shown_status"]) == ("0.00", "paid")
        aging = ok(
            api.get("/receivables/aging", params={"as_of": str(later), "account_id": account["id"]}, headers=finance)
        )
        assert _total_open(aging) == Decimal("0")

        # analytics reflect it
        service = ok(api.get("/analytics/service", headers=viewer))
        overall = service["groups"][0]
        assert overall["work_orders_completed"] == 1 and overall["corrective_completed"] == 1
        assert overall["first_time_fix_rate"] == 1.0 and overall["mttr_hours"] is not None
        money = ok(api.get("/analytics/profitability", params={"group_by": "account"}, headers=viewer))
        acme = next(g for g in money["groups"] if g["group_key"] == str(account["id"]))
        assert Decimal(acme["revenue"]) == Decimal("190.00")
        assert Decimal(acme["labour_cost"]) == Decimal("60.00") and Decimal(acme["parts_cost"]) == Decimal("30.00")

        # and the audit trail knows who did what
        trail = ok(
            api.get("/audit/changes", params={"table": "work.work_orders", "record_id": str(wo["id"])}, headers=admin)
        )
        actors = {c["actor"] for c in trail}
        assert f"user:{people['dispatcher'][0]}" in actors and f"user:{people['technician'][0]}" in actors


def _bucket(aging: dict, name: str) -> Decimal:
    (row,) = aging["accounts"]
    return Decimal(row[name])


def _total_open(aging: dict) -> Decimal:
    return Decimal(aging["totals"]["open_total"])
