"""A customer's users see only their own accounts' records: every route of the API is checked, and the database.

Two customers, ALPHA and BRAVO, each with a head-office account and a site account it pays for, and every record
the portal can show.  A customer user of ALPHA's head office walks every GET route of the OpenAPI document: the
routes in `GET_ROUTES` marked allowed must show ALPHA's records and none of BRAVO's (BRAVO's ids answer exactly like
ids that do not exist), every other route answers 403, and so does every write route.  A route added later without
an entry in the table fails `test_every_get_route_has_an_expectation`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service_core.api.app import create_app
from service_core.api.errors import install_error_handlers
from service_core.api.settings import ApiSettings
from service_core.auth.domain import Role
from tests.support.api import api_client, headers_for
from tests.tenant_factories import Tenant, build_tenant, customer_headers

pytestmark = pytest.mark.integration

LIST, DETAIL, CHILD, SELF, FORBIDDEN, PUBLIC = "list", "detail", "child", "self", "forbidden", "public"
MISSING = 2**31 - 1  # an id no record has, valid for every path parameter
PUBLIC_WRITES = {("POST", "/auth/token")}
PORTAL_ROLE = "assetpulse_portal"


@dataclass(frozen=True)
class Expect:
    """What a customer gets from a GET route; `kind`: the kind of record its items are (list, child) or it is."""

    answer: str
    kind: str | None = None


# Every GET route of the API.  Allowed for customers: 26; forbidden: the rest (staff only).
GET_ROUTES: dict[str, Expect] = {
    "/health": Expect(PUBLIC),
    "/auth/me": Expect(SELF),
    "/accounts": Expect(LIST, "account"),
    "/accounts/{account_id}": Expect(DETAIL, "account"),
    "/accounts/{account_id}/contacts": Expect(CHILD, "contact"),
    "/accounts/{account_id}/locations": Expect(CHILD, "location"),
    "/accounts/{account_id}/locations/{location_id}": Expect(DETAIL, "location"),
    "/assets": Expect(LIST, "asset"),
    "/assets/{asset_id}": Expect(DETAIL, "asset"),
    "/assets/{asset_id}/children": Expect(CHILD, "asset"),
    "/assets/{asset_id}/tree": Expect(DETAIL),
    "/assets/{asset_id}/devices": Expect(CHILD, "device"),
    "/assets/{asset_id}/meter-readings": Expect(CHILD, "meter_reading"),
    "/assets/leases": Expect(LIST, "lease"),
    "/assets/leases/{lease_id}": Expect(DETAIL, "lease"),
    "/assets/leases/{lease_id}/charges": Expect(CHILD, "lease_period"),
    "/work-orders": Expect(LIST, "work_order"),
    "/work-orders/{work_order_id}": Expect(DETAIL, "work_order"),
    "/work-orders/{work_order_id}/review": Expect(DETAIL),
    "/work-orders/{work_order_id}/lines": Expect(CHILD, "work_line"),
    "/work-orders/{work_order_id}/tasks": Expect(CHILD, "task"),
    "/invoices": Expect(LIST, "invoice"),
    "/invoices/{invoice_id}": Expect(DETAIL, "invoice"),
    "/payments": Expect(LIST, "payment"),
    "/payments/{payment_id}": Expect(DETAIL, "payment"),
    "/conditions": Expect(LIST, "condition"),
    "/conditions/{condition_id}": Expect(DETAIL, "condition"),
    **{
        path: Expect(FORBIDDEN)
        for path in (
            "/users",
            "/devices",
            "/devices/{device_id}",
            "/telemetry/latest",
            "/telemetry/window",
            "/telemetry/fleet",
            "/resources",
            "/resources/territories",
            "/resources/skills",
            "/resources/{resource_id}",
            "/resources/{resource_id}/working-hours",
            "/resources/{resource_id}/time-off",
            "/resources/{resource_id}/availability",
            "/assets/leases/charges-due",
            "/assets/types",
            "/assets/fleet-health",
            "/catalog/items",
            "/catalog/items/{item_id}",
            "/catalog/items/{item_id}/price",
            "/catalog/price-lists",
            "/catalog/price-lists/{price_list_id}",
            "/catalog/price-lists/{price_list_id}/items",
            "/policies/calendars",
            "/policies/calendars/{calendar_id}",
            "/policies/sla-targets",
            "/policies/sla-targets/{target_id}",
            "/policies/escalation-rules",
            "/policies/escalation-rules/{rule_id}",
            "/policies/escalations",
            "/policies/sla/work-orders/{work_order_id}",
            "/agreements",
            "/agreements/fee-periods/due",
            "/agreements/{agreement_id}",
            "/agreements/{agreement_id}/fee-periods",
            "/agreements/{agreement_id}/pm-plans",
            "/agreements/{agreement_id}/pm-plans/{plan_id}",
            "/incident-types",
            "/incident-types/{incident_type_id}",
            "/work-orders/{work_order_id}/bookings",
            "/work-orders/{work_order_id}/time-entries",
            "/work-orders/{work_order_id}/attachments",
            "/bookings",
            "/bookings/{booking_id}",
            "/payments/accounts/{account_id}/credit",
            "/receivables/aging",
            "/receivables/worklist",
            "/receivables/dunning/invoices/{invoice_id}",
            "/receivables/disputes",
            "/receivables/disputes/{dispute_id}",
            "/receivables/promises",
            "/receivables/promises/{promise_id}",
            "/conditions/precision",
            "/conditions/health/{asset_id}",
            "/conditions/health/{asset_id}/history",
            "/conditions/rules",
            "/analytics/service",
            "/analytics/backlog",
            "/analytics/utilization",
            "/analytics/profitability",
            "/analytics/dso",
            "/audit/changes",
            "/audit/security-events",
        )
    },
}
PARAM_KINDS = {
    "account_id": "account",
    "contact_id": "contact",
    "location_id": "location",
    "asset_id": "asset",
    "lease_id": "lease",
    "work_order_id": "work_order",
    "invoice_id": "invoice",
    "payment_id": "payment",
    "condition_id": "condition",
}


@dataclass
class World:
    url: str
    api: TestClient
    alpha: Tenant
    bravo: Tenant
    customer: dict[str, str]  # headers of a customer user of ALPHA's head office


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    with psycopg.connect(database_url) as conn:
        alpha, bravo = build_tenant(conn, "ALPHA"), build_tenant(conn, "BRAVO")
    customer = customer_headers(database_url, alpha.first("account"))
    with api_client(database_url) as api:
        yield World(database_url, api, alpha, bravo, customer)


def openapi_operations() -> dict[str, set[str]]:
    settings = ApiSettings(environment="test", jwt_secret="s" * 40)
    paths = create_app(settings, database_url="postgresql://unused").openapi()["paths"]
    return {path: {method.upper() for method in operations} for path, operations in paths.items()}


def fill(path: str, tenant: Tenant | None) -> str:
    """`path` with the tenant's first record of each parameter's kind (MISSING without a tenant; 1 if unknown)."""
    values: dict[str, object] = {}
    for name, kind in PARAM_KINDS.items():
        values[name] = MISSING if tenant is None else tenant.first(kind)
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    return path.format(**{name: values.get(name, 1) for name in names})


def item_ids(body: Any) -> set[int]:
    items = body["items"] if isinstance(body, dict) else body
    return {int(item["id"]) for item in items}


def test_every_get_route_has_an_expectation() -> None:
    gets = {path for path, methods in openapi_operations().items() if "GET" in methods}
    assert gets - GET_ROUTES.keys() == set(), "new GET routes: say in GET_ROUTES what a customer may see of them"
    assert GET_ROUTES.keys() - gets == set(), "GET_ROUTES names routes the API no longer has"
    allowed = [path for path, expect in GET_ROUTES.items() if expect.answer not in (FORBIDDEN, PUBLIC)]
    assert len(allowed) == 26


def test_customer_lists_show_only_their_accounts_records(world: World) -> None:
    for path, expect in GET_ROUTES.items():
        if expect.answer != LIST:
            continue
        answer = world.api.get(path, headers=world.customer)
        assert answer.status_code == 200, (path, answer.text)
        assert expect.kind is not None
        assert item_ids(answer.json()) == set(world.alpha.ids[expect.kind]), path
        assert "BRAVO" not in answer.text, path


def test_customer_reads_own_details_and_nobody_elses(world: World) -> None:
    for path, expect in GET_ROUTES.items():
        if expect.answer != DETAIL:
            continue
        own = world.api.get(fill(path, world.alpha), headers=world.customer)
        assert own.status_code == 200, (path, own.text)
        assert "BRAVO" not in own.text, path
        if expect.kind is not None:
            assert own.json()["id"] == world.alpha.first(expect.kind), path
        else:
            assert "ALPHA" in own.text, path
        other = world.api.get(fill(path, world.bravo), headers=world.customer)
        assert other.status_code == 404, (path, other.text)
        assert other.json()["error"]["code"] == "not_found"
        missing = world.api.get(fill(path, None), headers=world.customer)
        assert missing.status_code == 404, (path, missing.text)


def test_customer_child_lists_show_own_children_and_hide_other_parents(world: World) -> None:
    for path, expect in GET_ROUTES.items():
        if expect.answer != CHILD:
            continue
        assert expect.kind is not None
        own = world.api.get(fill(path, world.alpha), headers=world.customer)
        assert own.status_code == 200, (path, own.text)
        ids = item_ids(own.json())
        assert ids, path
        assert ids <= set(world.alpha.ids[expect.kind]), path
        assert "BRAVO" not in own.text, path
        # another customer's parent answers exactly as a parent that does not exist: its existence stays hidden
        other = world.api.get(fill(path, world.bravo), headers=world.customer)
        missing = world.api.get(fill(path, None), headers=world.customer)
        assert other.status_code == missing.status_code, path
        if other.status_code == 404:
            assert other.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found", path
        else:
            assert other.json() == missing.json(), path
            assert item_ids(other.json()) == set(), path


def test_customer_cannot_call_staff_read_routes(world: World) -> None:
    for path, expect in GET_ROUTES.items():
        if expect.answer != FORBIDDEN:
            continue
        answer = world.api.get(fill(path, world.alpha), headers=world.customer)
        assert answer.status_code == 403, (path, answer.text)
        assert answer.json()["error"]["code"] == "forbidden"
        assert "role 'customer' may not do this" in answer.json()["error"]["message"]


def test_customer_cannot_write_anything(world: World) -> None:
    writes = [
        (method, path)
        for path, methods in openapi_operations().items()
        for method in sorted(methods - {"GET"})
        if (method, path) not in PUBLIC_WRITES
    ]
    assert len(writes) > 100
    for method, path in writes:
        answer = world.api.request(method, fill(path, world.alpha), headers=world.customer, json={})
        assert answer.status_code == 403, (method, path, answer.text)
        assert answer.json()["error"]["code"] == "forbidden"
    # nothing changed on the way
    with psycopg.connect(world.url) as conn:
        row = conn.execute("SELECT count(*) FROM crm.accounts").fetchone()
    assert row == (4,)


def test_customer_me_names_their_account(world: World) -> None:
    me = world.api.get("/auth/me", headers=world.customer)
    assert me.status_code == 200
    assert me.json()["role"] == "customer"
    assert me.json()["account_id"] == world.alpha.first("account")


def test_customer_of_a_site_account_sees_the_site_but_not_the_account_that_pays(world: World) -> None:
    site = world.alpha.ids["account"][1]
    headers = customer_headers(world.url, site)
    accounts = world.api.get("/accounts", headers=headers)
    assert item_ids(accounts.json()) == {site}
    assert world.api.get(f"/accounts/{world.alpha.first('account')}", headers=headers).status_code == 404
    work_orders = world.api.get("/work-orders", headers=headers)
    assert item_ids(work_orders.json()) == set(world.alpha.ids["work_order"])  # serviced at the site
    assert item_ids(world.api.get("/invoices", headers=headers).json()) == set()  # billed to the head office


def test_staff_still_see_every_customer(world: World) -> None:
    staff = headers_for(world.url, Role.VIEWER)
    accounts = world.api.get("/accounts", headers=staff)
    everyone = set(world.alpha.ids["account"]) | set(world.bravo.ids["account"])
    assert item_ids(accounts.json()) == everyone


# --- customer users ------------------------------------------------------------------------------------------------


def test_admin_creates_customer_users_only_with_an_existing_account(world: World) -> None:
    admin = headers_for(world.url, Role.ADMIN)
    account = world.alpha.first("account")

    def create(**fields: object) -> Any:
        body = {"email": f"c-{uuid.uuid4().hex[:8]}@example.com", "password": "long enough pass", **fields}
        return world.api.post("/users", headers=admin, json=body)

    created = create(role="customer", account_id=account)
    assert created.status_code == 201
    assert (created.json()["role"], created.json()["account_id"]) == ("customer", account)
    no_account = create(role="customer")
    assert no_account.status_code == 422
    assert "needs the account_id" in no_account.json()["error"]["message"]
    staff_with_account = create(role="viewer", account_id=account)
    assert staff_with_account.status_code == 422
    assert "only customer users belong to an account" in staff_with_account.json()["error"]["message"]
    unknown = create(role="customer", account_id=MISSING)
    assert unknown.status_code == 422
    assert unknown.json()["error"]["message"] == f"account {MISSING} does not exist"


def test_api_keys_are_never_customers(world: World) -> None:
    admin = headers_for(world.url, Role.ADMIN)
    answer = world.api.post("/api-keys", headers=admin, json={"name": "portal", "role": "customer"})
    assert answer.status_code == 422
    assert "a customer gets a user" in answer.json()["error"]["message"]


def test_the_database_refuses_a_customer_without_account_and_staff_with_one(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        account = build_tenant(conn, "ALPHA").first("account")
        for role, account_id in (("customer", None), ("viewer", account)):
            with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
                conn.execute(
                    "INSERT INTO auth.users (email, password_hash, role, account_id) VALUES (%s, 'x', %s, %s)",
                    (f"{role}@example.com", role, account_id),
                )


# --- the database's own scoping ------------------------------------------------------------------------------------

TABLE_KINDS = {
    "crm.accounts": "account",
    "crm.contacts": "contact",
    "crm.locations": "location",
    "assets.assets": "asset",
    "assets.meter_readings": "meter_reading",
    "assets.leases": "lease",
    "assets.lease_periods": "lease_period",
    "fleet.devices": "device",
    "detection.conditions": "condition",
    "work.work_orders": "work_order",
    "work.lines": "work_line",
    "work.tasks": "task",
    "billing.invoices": "invoice",
    "billing.payments": "payment",
}


def as_portal(conn: psycopg.Connection, account_ids: list[int] | None) -> None:
    if account_ids is not None:
        scope = "{" + ",".join(map(str, account_ids)) + "}"
        conn.execute("SELECT set_config('assetpulse.account_scope', %s, true)", (scope,))
    conn.execute(f"SET LOCAL ROLE {PORTAL_ROLE}")


def test_portal_role_sees_only_rows_of_its_scope_even_without_a_where(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        alpha, bravo = build_tenant(conn, "ALPHA"), build_tenant(conn, "BRAVO")
        conn.commit()
        as_portal(conn, alpha.ids["account"])
        for table, kind in TABLE_KINDS.items():
            ids = {int(r[0]) for r in conn.execute(f"SELECT id FROM {table}")}
            assert ids == set(alpha.ids[kind]), table
        lines = {int(r[0]) for r in conn.execute("SELECT invoice_id FROM billing.invoice_lines")}
        allocated = {int(r[0]) for r in conn.execute("SELECT invoice_id FROM billing.allocations")}
        balances = {int(r[0]) for r in conn.execute("SELECT invoice_id FROM billing.invoice_balances")}
        assert lines == allocated == balances == set(alpha.ids["invoice"])
        credits = {int(r[0]) for r in conn.execute("SELECT account_id FROM billing.unapplied_credits")}
        assert credits <= set(alpha.ids["account"])
        assert bravo.first("account") not in credits


def test_portal_role_without_a_scope_sees_nothing(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        build_tenant(conn, "ALPHA")
        conn.commit()
        as_portal(conn, None)
        for table in TABLE_KINDS:
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO crm.accounts (number, name) VALUES ('X-1', 'x')",
        "UPDATE assets.assets SET name = 'x'",
        "DELETE FROM billing.payments",
        "SELECT count(*) FROM auth.users",
        "SELECT count(*) FROM resources.resources",
        "SELECT count(*) FROM audit.changes",
    ],
)
def test_portal_role_may_not_write_nor_read_staff_tables(database_url: str, statement: str) -> None:
    with psycopg.connect(database_url) as conn:
        as_portal(conn, [1])
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)


def test_every_table_the_portal_reads_is_row_scoped(database_url: str) -> None:
    """A table granted to the portal role later without row-level security fails here (reference data excepted)."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            """
            SELECT c.oid::regclass::text, c.relkind, c.relrowsecurity,
                   coalesce('security_invoker=true' = ANY (c.reloptions), false)
            FROM pg_class c
            WHERE has_table_privilege(%s, c.oid, 'SELECT') AND c.relnamespace::regnamespace::text NOT IN
                  ('pg_catalog', 'information_schema')
            """,
            (PORTAL_ROLE,),
        ).fetchall()
    readable = {name: (kind, rls, invoker) for name, kind, rls, invoker in rows}
    reference = {"assets.asset_types", "catalog.items"}
    assert set(TABLE_KINDS) <= readable.keys()
    for name, (kind, rls, invoker) in readable.items():
        if name in reference:
            continue
        assert (kind == "r" and rls) or (kind == "v" and invoker), name


def test_other_database_roles_still_see_every_row(database_url: str) -> None:
    """Staff connecting as a role that is neither owner nor superuser pass the `staff_all` policies."""
    with psycopg.connect(database_url) as conn:
        alpha, bravo = build_tenant(conn, "ALPHA"), build_tenant(conn, "BRAVO")
        probe = f"ap_staff_probe_{uuid.uuid4().hex[:8]}"
        conn.execute(f"CREATE ROLE {probe} NOLOGIN")  # undone with the transaction below
        conn.execute(f"GRANT USAGE ON SCHEMA crm TO {probe}")
        conn.execute(f"GRANT SELECT ON crm.accounts TO {probe}")
        conn.execute(f"SET LOCAL ROLE {probe}")
        ids = {int(r[0]) for r in conn.execute("SELECT id FROM crm.accounts")}
        conn.rollback()
    assert ids == set(alpha.ids["account"]) | set(bravo.ids["account"])


def test_a_database_refusal_is_a_403_with_a_reason(database_url: str) -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/probe")
    def probe() -> None:
        with psycopg.connect(database_url) as conn:
            as_portal(conn, [1])
            conn.execute("SELECT * FROM auth.users")

    answer = TestClient(app).get("/probe")
    assert answer.status_code == 403
    assert answer.json()["error"] == {
        "code": "forbidden",
        "message": "your role may not read or change these records",
        "fields": [],
    }
