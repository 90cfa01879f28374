"""A large service history in a few set-based statements: accounts, sites, assets, an SLA policy on a
business-hours calendar, work orders and invoices.

Audit triggers are disabled while the bulk rows go in (a benchmark database, not a business record) and enabled
again afterwards, so the measured requests pay the audit cost as production does.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import psycopg

log = logging.getLogger(__name__)

BULK_TABLES = ("crm.accounts", "crm.locations", "assets.assets", "work.work_orders", "billing.invoices")


@dataclass(frozen=True, slots=True)
class SeedSize:
    accounts: int = 2_000
    assets: int = 10_000
    work_orders: int = 100_000
    invoices: int = 20_000


_STATEMENTS = (
    "INSERT INTO resources.territories (name) SELECT 'Territory ' || g FROM generate_series(1, 10) AS g",
    """INSERT INTO crm.accounts (number, name, payment_terms_days, tax_rate, credit_limit)
       SELECT 'ACC' || lpad(g::text, 6, '0'), 'Customer ' || g, 30, 0.0800, 50000
       FROM generate_series(1, %(accounts)s) AS g""",
    """INSERT INTO crm.locations (account_id, name, address, latitude, longitude, territory_id)
       SELECT id, 'Main site', id || ' Industrial Way', 52.0 + (id %% 97) / 100.0, 4.0 + (id %% 89) / 100.0,
              1 + id %% 10
       FROM crm.accounts""",
    """INSERT INTO assets.asset_types (code, name)
       VALUES ('pump', 'Pump'), ('chiller', 'Chiller'), ('compressor', 'Air compressor')""",
    """INSERT INTO assets.assets (account_id, location_id, asset_type_id, name, model, serial_number, criticality)
       SELECT l.account_id, l.id, 1 + g %% 3, 'Asset ' || g, 'M-' || (g %% 7), 'SN' || lpad(g::text, 8, '0'),
              (ARRAY['low', 'medium', 'high', 'critical'])[1 + g %% 4]
       FROM generate_series(1, %(assets)s) AS g JOIN crm.locations AS l ON l.id = 1 + g %% %(accounts)s""",
    # the SLA policy every new order is timed by, as a real service company has one: business hours on weekdays
    # in the sites' time zone with public holidays (the intake computes due times on that calendar), 24x7 for
    # emergencies
    """INSERT INTO policy.calendars (name, timezone) VALUES ('Business hours', 'Europe/Amsterdam')""",
    """INSERT INTO policy.calendar_hours (calendar_id, weekday, start_time, end_time)
       SELECT c.id, d, '08:00', '17:00' FROM policy.calendars c, generate_series(0, 4) AS d""",
    """INSERT INTO policy.holidays (calendar_id, day, name)
       SELECT c.id, make_date(y, m, d), n FROM policy.calendars c,
              generate_series(extract(year FROM now())::int, extract(year FROM now())::int + 1) AS y,
              (VALUES (1, 1, 'New Year'), (4, 27, 'King''s Day'), (12, 25, 'Christmas'), (12, 26, 'Boxing Day'))
              AS h (m, d, n)""",
    """INSERT INTO policy.sla_targets (priority, calendar_id, response_minutes, resolution_minutes)
       SELECT t.priority, CASE WHEN t.priority = 'emergency' THEN NULL ELSE c.id END, t.response, t.resolution
       FROM policy.calendars c,
            (VALUES ('emergency', 60, 240), ('high', 240, 960), ('normal', 480, 2400), ('low', 960, 4800))
            AS t (priority, response, resolution)""",
    """INSERT INTO work.work_orders (account_id, billing_account_id, location_id, asset_id, work_type, priority,
                                   source, status, summary, created_at, completed_at, posted_at, canceled_at,
                                   response_due_at, resolution_due_at, estimated_minutes)
       SELECT a.account_id, a.account_id, a.location_id, a.id,
              (ARRAY['maintenance', 'repair', 'repair', 'inspection', 'installation'])[1 + g %% 5],
              (ARRAY['normal', 'normal', 'high', 'low', 'emergency'])[1 + g %% 5],
              (ARRAY['manual', 'agreement', 'iot_condition'])[1 + g %% 3],
              st.status, 'Work on asset ' || a.id, t.created,
              CASE WHEN st.status IN ('completed', 'posted') THEN t.created + interval '6 hours' END,
              CASE WHEN st.status = 'posted' THEN t.created + interval '1 day' END,
              CASE WHEN st.status = 'canceled' THEN t.created + interval '2 hours' END,
              t.created + interval '4 hours', t.created + interval '1 day', 60 + (g %% 4) * 30
       FROM generate_series(1, %(work_orders)s) AS g
       JOIN assets.assets AS a ON a.id = 1 + g %% %(assets)s
       CROSS JOIN LATERAL (SELECT now() - make_interval(mins => (%(work_orders)s - g) * 5) AS created) AS t
       CROSS JOIN LATERAL (SELECT CASE WHEN g > %(work_orders)s * 0.9
                                        THEN (ARRAY['unscheduled', 'scheduled', 'in_progress'])[1 + g %% 3]
                                       WHEN g %% 20 = 0 THEN 'canceled'
                                       WHEN g %% 20 = 1 THEN 'completed'
                                       ELSE 'posted' END AS status) AS st""",
    """INSERT INTO billing.invoices (kind, status, series, number, invoice_number, account_id, currency, issue_date,
                                   due_date, subtotal, tax_total, total, work_order_id, issued_at, issued_by)
       SELECT 'invoice', 'issued', 'INV', n, 'INV-' || lpad(n::text, 6, '0'), wo.billing_account_id, 'USD',
              wo.posted_at::date, wo.posted_at::date + 30, s.subtotal, round(s.subtotal * 0.08, 2),
              s.subtotal + round(s.subtotal * 0.08, 2), wo.id, wo.posted_at, 'bench'
       FROM (SELECT id, billing_account_id, posted_at, row_number() OVER (ORDER BY id) AS n
             FROM work.work_orders WHERE status = 'posted' ORDER BY id LIMIT %(invoices)s) AS wo
       CROSS JOIN LATERAL (SELECT (100 + wo.id %% 900)::numeric(14, 2) AS subtotal) AS s""",
    """UPDATE billing.series
       SET next_number = coalesce((SELECT max(number) + 1 FROM billing.invoices WHERE series = 'INV'), 1)
       WHERE code = 'INV'""",
)


def seed(url: str, size: SeedSize) -> dict[str, float]:
    """Fill an empty, migrated database; returns the counts and how long it took."""
    started = time.perf_counter()
    params = {
        "accounts": size.accounts,
        "assets": size.assets,
        "work_orders": size.work_orders,
        "invoices": size.invoices,
    }
    with psycopg.connect(url) as conn:
        for table in BULK_TABLES:
            conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER audit_changes")
        for statement in _STATEMENTS:
            conn.execute(statement, params)
        for table in BULK_TABLES:
            conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER audit_changes")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        _checkpoint(conn)
        counts = {
            "work_orders": _count(conn, "work.work_orders"),
            "invoices": _count(conn, "billing.invoices"),
            "sla_targets": _count(conn, "policy.sla_targets"),
            "assets": _count(conn, "assets.assets"),
        }
    seconds = time.perf_counter() - started
    log.info("seeded %s in %.1f s", counts, seconds)
    return {**counts, "seed_seconds": round(seconds, 1)}


def _checkpoint(conn: psycopg.Connection) -> None:
    """Write the seed's dirty pages out now (as pgbench's advice goes), so no checkpoint of the seeding falls inside
    the measured run by chance: the run measures the load, not when the seed's writes happen to be flushed."""
    try:
        conn.execute("CHECKPOINT")
    except psycopg.errors.InsufficientPrivilege:
        log.warning("CHECKPOINT refused (needs superuser or pg_checkpoint): the seed's writes may flush mid-run")


def _count(conn: psycopg.Connection, table: str) -> float:
    row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return float(row[0]) if row else 0.0
