"""Reliability and service quality over a period: MTTR, MTBF, first-time fix, repeat visits, SLA compliance.

Corrective work is `repair` work.  A work order counts in the period when it was completed in [start, end).  SLA
compliance is the SLA clock's (policies): resolved by completion within the resolution target, paused time counted
in the target calendar's business minutes.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from service_core.analytics import domain
from service_core.analytics.schemas import ServiceGrouping, ServiceMetrics, ServiceReport
from service_core.policies import service as policies_service

_GROUP_SQL = {
    ServiceGrouping.NONE: ("NULL::text", "NULL::text"),
    ServiceGrouping.ASSET: ("wo.asset_id::text", "a.name"),
    ServiceGrouping.ASSET_TYPE: ("a.asset_type_id::text", "t.name"),
    ServiceGrouping.ACCOUNT: ("wo.account_id::text", "acc.name"),
}

# Whether the SLA resolution target was met is the SLA clock's verdict at completion (policies domain), judged for
# all completed orders in one batch after this query.
_COMPLETED_SQL = """
WITH done AS (
    SELECT wo.*, {key} AS group_key, {name} AS group_name
    FROM work.work_orders AS wo
    LEFT JOIN assets.assets AS a ON a.id = wo.asset_id
    LEFT JOIN assets.asset_types AS t ON t.id = a.asset_type_id
    LEFT JOIN crm.accounts AS acc ON acc.id = wo.account_id
    WHERE wo.completed_at >= %(start)s AND wo.completed_at < %(end)s AND wo.status IN ('completed', 'posted')
)
SELECT d.id, d.completed_at, d.group_key, d.group_name, d.work_type, d.resolution_code,
       extract(epoch FROM d.completed_at - d.created_at) / 3600.0 AS repair_hours,
       (SELECT count(*) FROM work.bookings AS b WHERE b.work_order_id = d.id AND b.status = 'completed') AS visits,
       EXISTS (SELECT 1 FROM work.work_orders AS f WHERE f.parent_id = d.id) AS has_follow_up,
       d.asset_id IS NOT NULL AS has_asset,
       d.asset_id IS NOT NULL AND EXISTS (
           SELECT 1 FROM work.work_orders AS r
           WHERE r.asset_id = d.asset_id AND r.id <> d.id AND r.work_type = 'repair' AND r.status <> 'canceled'
             AND r.created_at > d.completed_at AND r.created_at <= d.completed_at + make_interval(days => %(repeat)s)
       ) AS repeated,
       d.resolution_due_at IS NOT NULL AS sla_measured
FROM done AS d
"""

_FAILURES_SQL = """
SELECT {key} AS group_key, wo.asset_id, wo.created_at
FROM work.work_orders AS wo
JOIN assets.assets AS a ON a.id = wo.asset_id
LEFT JOIN assets.asset_types AS t ON t.id = a.asset_type_id
LEFT JOIN crm.accounts AS acc ON acc.id = wo.account_id
WHERE wo.work_type = 'repair' AND wo.status <> 'canceled' AND wo.created_at >= %(start)s AND wo.created_at < %(end)s
"""


def service_report(
    conn: psycopg.Connection, *, start: datetime, end: datetime, group_by: ServiceGrouping, repeat_window_days: int
) -> ServiceReport:
    """Service metrics per group for work completed in [start, end)."""
    key, name = _GROUP_SQL[group_by]
    params = {"start": start, "end": end, "repeat": repeat_window_days}
    with conn.cursor(row_factory=dict_row) as cur:
        completed = cur.execute(_COMPLETED_SQL.format(key=key, name=name), params).fetchall()
        failures = cur.execute(_FAILURES_SQL.format(key=key), params).fetchall()
    met = policies_service.resolutions_within_sla(
        conn, resolved_at={r["id"]: r["completed_at"] for r in completed if r["sla_measured"]}
    )
    by_group: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    names: dict[str | None, str | None] = {}
    for row in completed:
        row["sla_met"] = met.get(row["id"], False)
        by_group[row["group_key"]].append(row)
        names[row["group_key"]] = row["group_name"]
    failure_times: dict[str | None, dict[int, list[datetime]]] = defaultdict(lambda: defaultdict(list))
    for row in failures:
        failure_times[row["group_key"]][row["asset_id"]].append(row["created_at"])
    keys = sorted(set(by_group) | set(failure_times), key=lambda k: (k is None, len(k or ""), k or ""))
    groups = [_metrics(k, names.get(k), by_group.get(k, []), failure_times.get(k, {})) for k in keys]
    return ServiceReport(start=start, end=end, group_by=group_by, repeat_window_days=repeat_window_days, groups=groups)


def _metrics(
    key: str | None, name: str | None, rows: list[dict[str, Any]], failures: dict[int, list[datetime]]
) -> ServiceMetrics:
    corrective = [r for r in rows if r["work_type"] == "repair"]
    fixed_first_time = [r for r in rows if _fixed_first_time(r)]
    with_asset = [r for r in rows if r["has_asset"]]
    measured = [r for r in rows if r["sla_measured"]]
    mtbf, intervals = domain.mtbf_hours(failures)
    return ServiceMetrics(
        group_key=key,
        group_name=name,
        work_orders_completed=len(rows),
        corrective_completed=len(corrective),
        mttr_hours=domain.mean([float(r["repair_hours"]) for r in corrective]),
        mtbf_hours=mtbf,
        mtbf_intervals=intervals,
        first_time_fix_rate=domain.rate(len(fixed_first_time), len(rows)),
        repeat_visit_rate=domain.rate(sum(1 for r in with_asset if r["repeated"]), len(with_asset)),
        sla_measured=len(measured),
        sla_compliance=domain.rate(sum(1 for r in measured if r["sla_met"]), len(measured)),
    )


def _fixed_first_time(row: dict[str, Any]) -> bool:
    """One visit, no follow-up job, and not left partial or unfixed."""
    return bool(
        row["visits"] <= 1 and not row["has_follow_up"] and row["resolution_code"] not in ("partial", "not_fixed")
    )
