"""GET /work-orders: filters, newest first, and a total that is counted only up to a cap."""

from __future__ import annotations

import psycopg
import pytest

from service_core.auth.domain import Role
from tests import work_factories as wf
from tests.integration.test_work_orders_lifecycle import ok
from tests.support.api import api_client, headers_for

pytestmark = pytest.mark.integration


def test_filters_search_and_capped_total(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        acme, other = wf.account(conn), wf.account(conn)
        conn.execute(
            """
            INSERT INTO work.work_orders (account_id, billing_account_id, work_type, priority, summary, source)
            SELECT %s, %s, 'repair', CASE WHEN n %% 2 = 0 THEN 'high' ELSE 'low' END, 'Routine check ' || n, 'agreement'
            FROM generate_series(1, 1100) AS n
            """,
            (acme, acme),
        )
        conn.execute(
            "INSERT INTO work.work_orders (account_id, billing_account_id, work_type, summary) "
            "VALUES (%s, %s, 'repair', 'Compressor 50%% noisy')",
            (other, other),
        )
    with api_client(database_url) as api:
        h = headers_for(database_url, Role.VIEWER)
        page = ok(api.get("/work-orders?limit=10", headers=h))
        assert len(page["items"]) == 10
        assert page["items"][0]["summary"] == "Compressor 50% noisy"  # newest first
        assert (page["total"], page["total_is_exact"]) == (1010, False)  # counted up to limit + offset + 1000
        by_account = ok(api.get(f"/work-orders?account_id={other}", headers=h))
        assert (by_account["total"], by_account["total_is_exact"]) == (1, True)
        high = ok(api.get(f"/work-orders?account_id={acme}&priority=high&source=agreement&limit=500", headers=h))
        assert {i["priority"] for i in high["items"]} == {"high"} and high["total"] == 550 and high["total_is_exact"]
        found = ok(api.get("/work-orders?search=50%25", headers=h))
        assert [i["summary"] for i in found["items"]] == ["Compressor 50% noisy"]
        number = found["items"][0]["number"]
        assert ok(api.get(f"/work-orders?search={number.lower()}", headers=h))["total"] == 1
        assert ok(api.get("/work-orders?status=posted", headers=h))["total"] == 0
        assert ok(api.get("/work-orders?created_to=2000-01-01T00:00:00Z", headers=h))["total"] == 0
        assert api.get("/work-orders?created_to=2000-01-01T00:00:00", headers=h).status_code == 422
        assert api.get("/work-orders?status=bogus", headers=h).status_code == 422


def test_list_items_read_exactly_as_the_detail_route_writes_them(database_url: str) -> None:
    """The list is rendered by PostgreSQL, the detail by pydantic: every item must be the same JSON, timestamps
    included (UTC with a Z, microseconds only when there are some), even where the server's own zone is not UTC."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        database = conn.info.dbname
        conn.execute(f"ALTER DATABASE \"{database}\" SET timezone TO 'America/New_York'")
        acme = wf.account(conn)
        conn.execute(
            """
            INSERT INTO work.work_orders (account_id, billing_account_id, work_type, summary, window_start,
                window_end, pm_due_date, created_at)
            VALUES (%s, %s, 'repair', 'whole seconds', '2026-03-08 06:30:00+00', NULL, '2026-03-09',
                    '2026-01-01 00:00:00+00'),
                   (%s, %s, 'inspection', 'with micros "quoted" \\ ünïcode', '2026-07-01 12:00:00.5+02',
                    '2026-07-01 13:00:00.000001+00', NULL, '2026-06-30 23:59:59.999999+00')
            """,
            (acme, acme, acme, acme),
        )
    with api_client(database_url) as api:
        h = headers_for(database_url, Role.VIEWER)
        page = api.get("/work-orders?limit=5", headers=h)
        items = ok(page)["items"]
        assert [i["summary"] for i in items] == ['with micros "quoted" \\ ünïcode', "whole seconds"]
        for item in items:
            assert item == ok(api.get(f"/work-orders/{item['id']}", headers=h))
        assert items[0]["window_start"] == "2026-07-01T10:00:00.500000Z"
        assert items[0]["created_at"] == "2026-06-30T23:59:59.999999Z"
        assert items[1]["window_start"] == "2026-03-08T06:30:00Z" and items[1]["window_end"] is None
        assert items[1]["pm_due_date"] == "2026-03-09"
