"""Accounts, contacts, locations and the credit hold through HTTP, against a real PostgreSQL."""

from __future__ import annotations

import psycopg
import pytest
from fastapi.testclient import TestClient

from service_core.accounts import service as accounts_service
from service_core.auth.domain import Role
from service_core.exceptions import NotFound
from tests.masterdata_factories import make_account, make_asset, scalar
from tests.support.api import bearer, headers_for, make_user

pytestmark = pytest.mark.integration


def test_create_read_update_and_the_audit_trail_names_the_user(api: TestClient, database_url: str):
    user_id = make_user(database_url, Role.FINANCE)
    headers = bearer(user_id)
    created = api.post(
        "/accounts",
        json={"number": "ACME-1", "name": "Acme", "currency": "EUR", "tax_rate": "0.19", "credit_limit": "5000"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["number"], body["kind"], body["currency"], body["tax_rate"], body["credit_limit"]) == (
        "ACME-1",
        "both",
        "EUR",
        "0.1900",
        "5000.00",
    )
    assert body["credit_hold"] is False and body["payment_terms_days"] == 30

    updated = api.patch(f"/accounts/{body['id']}", json={"name": "Acme GmbH", "phone": "+49 30 1234"}, headers=headers)
    assert updated.status_code == 200 and (updated.json()["name"], updated.json()["phone"]) == (
        "Acme GmbH",
        "+49 30 1234",
    )
    read = api.get(f"/accounts/{body['id']}", headers=headers_for(database_url, Role.VIEWER))
    assert read.status_code == 200 and read.json() == updated.json()
    actors = {
        r[0]
        for r in psycopg.connect(database_url).execute(
            "SELECT actor FROM audit.changes WHERE table_name = 'crm.accounts' AND record_id = %s", (str(body["id"]),)
        )
    }
    assert actors == {f"user:{user_id}"}


def test_list_filters_and_pages(api: TestClient, database_url: str, dispatcher):
    make_account(database_url, number="N-1", name="Alpha Pumps", tenant="t1")
    payer = make_account(database_url, number="N-2", name="Beta Holdings", kind="billing")
    make_account(database_url, number="N-3", name="Gamma", kind="service", billing_account_id=payer.id, tenant="t1")
    with psycopg.connect(database_url) as conn:
        accounts_service.set_credit_hold(conn, account_id=payer.id, hold=True, reason="overdue", manual=False)

    def numbers(**params) -> tuple[list[str], int]:
        page = api.get("/accounts", params=params, headers=dispatcher).json()
        return [a["number"] for a in page["items"]], page["total"]

    assert numbers() == (["N-1", "N-2", "N-3"], 3)
    assert numbers(q="pump") == (["N-1"], 1)
    assert numbers(q="n-2") == (["N-2"], 1)
    assert numbers(kind="service") == (["N-3"], 1)
    assert numbers(credit_hold=True) == (["N-2"], 1)
    assert numbers(tenant="t1") == (["N-1", "N-3"], 2)
    assert numbers(limit=2, offset=1) == (["N-2", "N-3"], 3)
    assert numbers(q="%") == ([], 0)


def test_404_409_and_422_with_field_reasons(api: TestClient, database_url: str, dispatcher):
    assert api.get("/accounts/999", headers=dispatcher).json()["error"]["code"] == "not_found"
    assert api.get("/accounts/999", headers=dispatcher).status_code == 404
    make_account(database_url, number="TAKEN")
    taken = api.post("/accounts", json={"number": "TAKEN", "name": "x"}, headers=dispatcher)
    assert taken.status_code == 409 and "taken" in taken.json()["error"]["message"]

    bad = api.post("/accounts", json={"number": "has space", "name": "", "kind": "vip"}, headers=dispatcher)
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["error"]["fields"]} == {"number", "name", "kind"}
    null_name = api.patch(f"/accounts/{make_account(database_url).id}", json={"name": None}, headers=dispatcher)
    assert null_name.status_code == 422 and null_name.json()["error"]["fields"][0]["field"] == "name"


def test_the_billing_account_must_be_able_to_pay(api: TestClient, database_url: str, finance):
    service_only = make_account(database_url, kind="both")
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE crm.accounts SET kind = 'service' WHERE id = %s", (service_only.id,))
    refused = api.post(
        "/accounts",
        json={"number": "S-1", "name": "Site", "kind": "service", "billing_account_id": service_only.id},
        headers=finance,
    )
    assert refused.status_code == 422 and "cannot pay" in refused.json()["error"]["message"]
    missing = api.post("/accounts", json={"number": "S-2", "name": "Site", "kind": "service"}, headers=finance)
    assert missing.status_code == 422 and "needs a billing account" in missing.json()["error"]["message"]

    payer = make_account(database_url, kind="billing")
    site = api.post(
        "/accounts",
        json={"number": "S-3", "name": "Site", "kind": "service", "billing_account_id": payer.id},
        headers=finance,
    ).json()
    with psycopg.connect(database_url) as conn:
        assert accounts_service.billing_account_of(conn, account_id=site["id"]) == payer.id
        assert accounts_service.billing_account_of(conn, account_id=payer.id) == payer.id
        with pytest.raises(NotFound):
            accounts_service.billing_account_of(conn, account_id=10_000)
    demoted = api.patch(f"/accounts/{payer.id}", json={"kind": "service", "billing_account_id": None}, headers=finance)
    assert demoted.status_code == 422 and "needs a billing account" in demoted.json()["error"]["message"]


def test_a_payer_cannot_become_service_only_while_it_pays_for_others(api: TestClient, database_url: str, finance):
    payer = make_account(database_url, kind="billing")
    other_payer = make_account(database_url, kind="billing")
    make_account(database_url, kind="service", billing_account_id=payer.id)
    demoted = api.patch(
        f"/accounts/{payer.id}", json={"kind": "service", "billing_account_id": other_payer.id}, headers=finance
    )
    assert demoted.status_code == 409 and "pays for 1 other account" in demoted.json()["error"]["message"]


def test_billing_is_one_level_deep(api: TestClient, database_url: str, finance):
    group = make_account(database_url, kind="billing")
    branch = make_account(database_url, kind="both", billing_account_id=group.id)
    site = {"number": "S-9", "name": "Site", "kind": "service", "billing_account_id": branch.id}
    chained = api.post("/accounts", json=site, headers=finance)
    assert chained.status_code == 422
    assert f"billed to account {group.id}; name account {group.id} as payer" in chained.json()["error"]["message"]
    assert api.post("/accounts", json={**site, "billing_account_id": group.id}, headers=finance).status_code == 201

    payer = make_account(database_url, kind="both")
    make_account(database_url, kind="service", billing_account_id=payer.id)
    billed_on = api.patch(f"/accounts/{payer.id}", json={"billing_account_id": group.id}, headers=finance)
    assert billed_on.status_code == 422 and "pays its own bills" in billed_on.json()["error"]["message"]
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT billing_account_id FROM crm.accounts WHERE id = %s", (payer.id,)).fetchone() == (
            None,
        )


def test_roles(api: TestClient, database_url: str, dispatcher, finance):
    viewer, technician = headers_for(database_url, Role.VIEWER), headers_for(database_url, Role.TECHNICIAN)
    new = {"number": "R-1", "name": "Roles"}
    assert api.post("/accounts", json=new, headers=viewer).status_code == 403
    assert api.post("/accounts", json=new, headers=technician).status_code == 403
    created = api.post("/accounts", json=new, headers=dispatcher)
    assert created.status_code == 201
    account_id = created.json()["id"]
    assert api.get("/accounts", headers=technician).status_code == 200
    # billing fields are finance's
    refused = api.patch(f"/accounts/{account_id}", json={"credit_limit": "100"}, headers=dispatcher)
    assert refused.status_code == 403 and "credit_limit" in refused.json()["error"]["message"]
    assert (
        api.post("/accounts", json={**new, "number": "R-2", "tax_rate": "0.1"}, headers=dispatcher).status_code == 403
    )
    assert api.patch(f"/accounts/{account_id}", json={"credit_limit": "100"}, headers=finance).status_code == 200
    hold = {"hold": True, "reason": "bounced payment"}
    assert api.post(f"/accounts/{account_id}/credit-hold", json=hold, headers=dispatcher).status_code == 403


def test_credit_hold_route_and_the_automatic_release_rule(api: TestClient, database_url: str, finance):
    account = make_account(database_url)
    no_reason = api.post(f"/accounts/{account.id}/credit-hold", json={"hold": True}, headers=finance)
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["error"]["message"]
    held = api.post(
        f"/accounts/{account.id}/credit-hold", json={"hold": True, "reason": "fraud check"}, headers=finance
    )
    assert held.status_code == 200
    assert (held.json()["credit_hold"], held.json()["credit_hold_manual"], held.json()["credit_hold_reason"]) == (
        True,
        True,
        "fraud check",
    )
    assert held.json()["credit_hold_since"] is not None
    # the hold fields are not part of a normal update
    ignored = api.patch(f"/accounts/{account.id}", json={"credit_hold": False}, headers=finance)
    assert ignored.status_code == 200 and ignored.json()["credit_hold"] is True

    with psycopg.connect(database_url) as conn:
        after = accounts_service.set_credit_hold(conn, account_id=account.id, hold=False, reason="paid", manual=False)
    assert after.credit_hold is True and after.credit_hold_reason == "fraud check"

    released = api.post(f"/accounts/{account.id}/credit-hold", json={"hold": False}, headers=finance)
    assert released.status_code == 200
    assert (
        released.json()["credit_hold"],
        released.json()["credit_hold_since"],
        released.json()["credit_hold_manual"],
    ) == (
        False,
        None,
        False,
    )
    with psycopg.connect(database_url) as conn:
        auto = accounts_service.set_credit_hold(conn, account_id=account.id, hold=True, reason="limit", manual=False)
        assert (auto.credit_hold, auto.credit_hold_manual, auto.credit_hold_reason) == (True, False, "limit")
        auto_release = accounts_service.set_credit_hold(
            conn, account_id=account.id, hold=False, reason="", manual=False
        )
        assert auto_release.credit_hold is False
    assert api.post("/accounts/999/credit-hold", json={"hold": False}, headers=finance).status_code == 404


def test_delete_refuses_an_account_with_assets(api: TestClient, database_url: str, dispatcher):
    unused = make_account(database_url)
    assert api.delete(f"/accounts/{unused.id}", headers=dispatcher).status_code == 204
    assert api.get(f"/accounts/{unused.id}", headers=dispatcher).status_code == 404
    asset = make_asset(database_url)
    refused = api.delete(f"/accounts/{asset.account_id}", headers=dispatcher)
    assert refused.status_code == 409 and "deactivate" in refused.json()["error"]["message"]
    assert scalar(database_url, "SELECT count(*) FROM crm.accounts WHERE id = %s", (asset.account_id,)) == 1


def test_contacts_have_one_primary(api: TestClient, database_url: str, dispatcher):
    account = make_account(database_url)
    url = f"/accounts/{account.id}/contacts"
    first = api.post(url, json={"name": "Ann", "email": "ann@example.com", "is_primary": True}, headers=dispatcher)
    assert first.status_code == 201
    second = api.post(url, json={"name": "Bob", "role": "accounts payable", "is_primary": True}, headers=dispatcher)
    contacts = api.get(url, headers=dispatcher).json()
    assert [(c["name"], c["is_primary"]) for c in contacts] == [("Bob", True), ("Ann", False)]
    changed = api.patch(f"{url}/{first.json()['id']}", json={"is_primary": True}, headers=dispatcher)
    assert changed.status_code == 200 and changed.json()["is_primary"] is True
    assert [c["is_primary"] for c in api.get(url, headers=dispatcher).json()] == [True, False]
    assert api.delete(f"{url}/{second.json()['id']}", headers=dispatcher).status_code == 204
    assert api.delete(f"{url}/{second.json()['id']}", headers=dispatcher).status_code == 404
    bad = api.post(url, json={"name": "Eve", "email": "not-an-email"}, headers=dispatcher)
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "email"
    assert api.post("/accounts/999/contacts", json={"name": "X"}, headers=dispatcher).status_code == 404


def test_locations_with_coordinates_timezone_and_territory(api: TestClient, database_url: str, dispatcher):
    account = make_account(database_url)
    territory = api.post("/resources/territories", json={"name": "North"}, headers=dispatcher).json()
    url = f"/accounts/{account.id}/locations"
    location = {"name": "Plant", "latitude": 52.52, "longitude": 13.405, "timezone": "Europe/Berlin"}
    created = api.post(url, json={**location, "territory_id": territory["id"]}, headers=dispatcher)
    assert created.status_code == 201, created.text
    loc = created.json()
    assert (loc["timezone"], loc["territory_id"], loc["latitude"]) == ("Europe/Berlin", territory["id"], 52.52)
    with psycopg.connect(database_url) as conn:
        assert accounts_service.get_location(conn, location_id=loc["id"]).name == "Plant"
        with pytest.raises(NotFound):
            accounts_service.get_location(conn, location_id=9999)

    bad = api.post(url, json={**location, "latitude": 91, "timezone": "Mars/Base"}, headers=dispatcher)
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["error"]["fields"]} == {"latitude", "timezone"}
    no_territory = api.post(url, json={**location, "territory_id": 999}, headers=dispatcher)
    assert no_territory.status_code == 422 and "territory" in no_territory.json()["error"]["message"]

    moved = api.patch(f"{url}/{loc['id']}", json={"name": "Plant 2", "territory_id": None}, headers=dispatcher)
    assert moved.status_code == 200 and (moved.json()["name"], moved.json()["territory_id"]) == ("Plant 2", None)
    other = make_account(database_url)
    assert api.get(f"/accounts/{other.id}/locations/{loc['id']}", headers=dispatcher).status_code == 404
    assert api.get(f"{url}/{loc['id']}", headers=dispatcher).json()["name"] == "Plant 2"
    assert [x["id"] for x in api.get(url, headers=dispatcher).json()] == [loc["id"]]
    make_asset(database_url, account.id, location_id=loc["id"])
    assert api.delete(f"{url}/{loc['id']}", headers=dispatcher).status_code == 409
