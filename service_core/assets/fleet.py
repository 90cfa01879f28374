"""The fleet-health read side: every asset with its account, site, devices, newest values, open work, open
conditions and health, in one SQL statement (the dashboard's fleet page reads this instead of many lists)."""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row

from service_core.assets.fleet_schemas import FleetAssetHealth, FleetFilter, FleetHealth
from service_core.db.like import contains_pattern

# Open work orders and open conditions as their domains define them (work_orders.domain.OPEN, conditions
# statuses that are neither cleared nor resolved); restated here because a read side is plain SQL.
# The page is chosen first (filters, name order, limit; the window count before the limit is the total), and the
# per-asset parts are read for its assets only.  Aggregating every matching asset's newest values before taking
# the page made a 50-asset page of a 2,000-asset fleet cost 43 ms idle and 3.4 s on average under the soak's
# ingest load (pg_stat_statements), enough to exhaust the API's pool; read page-first it costs 4.6 ms idle.
_FLEET_SQL = """
WITH chosen AS (
    SELECT a.id, a.name, a.account_id, c.name AS account, a.location_id, l.name AS site, l.latitude, l.longitude,
           a.asset_type_id, t.name AS asset_type, a.criticality, a.ownership, a.status,
           count(*) OVER () AS total
    FROM assets.assets AS a
    JOIN crm.accounts AS c ON c.id = a.account_id
    LEFT JOIN crm.locations AS l ON l.id = a.location_id
    LEFT JOIN assets.asset_types AS t ON t.id = a.asset_type_id
    WHERE (%(account_id)s::int IS NULL OR a.account_id = %(account_id)s)
      AND (%(location_id)s::int IS NULL OR a.location_id = %(location_id)s)
      AND (%(asset_type_id)s::int IS NULL OR a.asset_type_id = %(asset_type_id)s)
      AND (%(criticality)s::text IS NULL OR a.criticality = %(criticality)s)
      AND (%(ownership)s::text IS NULL OR a.ownership = %(ownership)s)
      AND (%(status)s::text IS NULL OR a.status = %(status)s)
      AND (%(q)s::text IS NULL OR a.name ILIKE %(q)s OR a.serial_number ILIKE %(q)s OR a.model ILIKE %(q)s
           OR c.name ILIKE %(q)s OR l.name ILIKE %(q)s)
    ORDER BY lower(a.name), a.id
    LIMIT %(limit)s
), dev AS (
    SELECT d.asset_id, count(*) AS devices, max(d.last_seen_at) AS last_seen_at,
           max(CASE d.status WHEN 'offline' THEN 3 WHEN 'unknown' THEN 2 ELSE 1 END) AS worst
    FROM fleet.devices AS d WHERE d.asset_id IN (SELECT id FROM chosen) GROUP BY d.asset_id
), newest AS (
    SELECT asset_id, jsonb_object_agg(metric, value) AS latest_values
    FROM (SELECT DISTINCT ON (d.asset_id, m.name) d.asset_id, m.name AS metric, v.value
          FROM telemetry.latest AS v
          JOIN fleet.devices AS d ON d.id = v.device_id
          JOIN telemetry.metrics AS m ON m.id = v.metric_id
          WHERE d.asset_id IN (SELECT id FROM chosen)
          ORDER BY d.asset_id, m.name, v.ts DESC) AS per_metric
    GROUP BY asset_id
), work AS (
    SELECT w.asset_id, count(*) AS open_work_orders
    FROM work.work_orders AS w
    WHERE w.status IN ('unscheduled', 'scheduled', 'in_progress') AND w.asset_id IN (SELECT id FROM chosen)
    GROUP BY w.asset_id
), cond AS (
    SELECT k.asset_id, count(*) AS open_conditions,
           max(CASE k.severity WHEN 'critical' THEN 3 WHEN 'major' THEN 2 ELSE 1 END) AS worst
    FROM detection.conditions AS k
    WHERE k.status IN ('raised', 'acknowledged', 'snoozed') AND k.asset_id IN (SELECT id FROM chosen)
    GROUP BY k.asset_id
)
SELECT ch.*, coalesce(dev.devices, 0)::int AS devices,
       (ARRAY['online', 'unknown', 'offline'])[dev.worst] AS worst_device_status, dev.last_seen_at,
       coalesce(newest.latest_values, '{}'::jsonb) AS latest_values,
       coalesce(work.open_work_orders, 0)::int AS open_work_orders,
       coalesce(cond.open_conditions, 0)::int AS open_conditions,
       (ARRAY['warning', 'major', 'critical'])[cond.worst] AS worst_severity,
       h.health_score, h.rul_hours, h.scored_at, ns.reason AS not_scored_reason
FROM chosen AS ch
LEFT JOIN dev ON dev.asset_id = ch.id
LEFT JOIN newest ON newest.asset_id = ch.id
LEFT JOIN work ON work.asset_id = ch.id
LEFT JOIN cond ON cond.asset_id = ch.id
LEFT JOIN detection.asset_health AS h ON h.asset_id = ch.id
LEFT JOIN detection.not_scored AS ns ON ns.asset_id = ch.id
ORDER BY lower(ch.name), ch.id
"""


def fleet_health(conn: psycopg.Connection, *, fleet_filter: FleetFilter, limit: int) -> FleetHealth:
    """Up to `limit` matching assets by name with their health read model, and how many match in all."""
    f = fleet_filter
    params = {
        "account_id": f.account_id,
        "location_id": f.location_id,
        "asset_type_id": f.asset_type_id,
        "criticality": f.criticality,
        "ownership": f.ownership,
        "status": f.status,
        "q": contains_pattern(f.search),
        "limit": limit,
    }
    # At fleet size the plan's cost passes jit_above_cost, and compiling it takes longer than running it (0.8 s
    # of 1 s at 10,000 assets): this transaction runs without JIT.  Its own transaction (a savepoint inside the
    # caller's, a real one on an autocommit connection), so that SET LOCAL has a transaction to apply to.
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SET LOCAL jit = off")
        rows = cur.execute(_FLEET_SQL, params).fetchall()
    total = int(rows[0]["total"]) if rows else 0
    return FleetHealth(items=[FleetAssetHealth.model_validate(row) for row in rows], total=total, limit=limit)
