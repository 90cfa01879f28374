"""The read side of conditions: the inbox, precision per failure mode, asset health."""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg
from psycopg.rows import class_row, dict_row

from service_core.conditions import domain
from service_core.conditions.schemas import (
    AssetHealthPublic,
    ConditionPublic,
    FailureModePrecision,
    HealthPoint,
    NotScoredPublic,
)
from service_core.conditions.service import COLUMNS
from service_core.exceptions import NotFound
from service_core.telemetry.buckets import BUCKET_ORIGIN, RESOLUTION_WIDTH, check_range, merged_width

MINUTE_HISTORY_UP_TO = timedelta(days=7)  # longer ranges are read from the hourly score history


def list_page(
    conn: psycopg.Connection,
    *,
    status: str | None,
    severity: str | None,
    category: str | None,
    asset_id: int | None,
    open_only: bool,
    limit: int,
    offset: int,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[ConditionPublic], int]:
    """Most severe first, then newest; `open_only` gives the inbox (raised, acknowledged, snoozed).  `since` and
    `until` keep the conditions whose span overlaps [since, until): from onset to its clearing (else resolution),
    an open one (or one with neither time) to now."""
    where = """
        WHERE (%(status)s::text IS NULL OR status = %(status)s)
          AND (%(severity)s::text IS NULL OR severity = %(severity)s)
          AND (%(category)s::text IS NULL OR category = %(category)s)
          AND (%(asset)s::bigint IS NULL OR asset_id = %(asset)s)
          AND (NOT %(open)s OR status IN ('raised', 'acknowledged', 'snoozed'))
          AND (%(until)s::timestamptz IS NULL OR onset_at < %(until)s)
          AND (%(since)s::timestamptz IS NULL OR CASE WHEN status IN ('raised', 'acknowledged', 'snoozed')
                   THEN now() ELSE coalesce(cleared_at, resolved_at, now()) END > %(since)s)
    """
    params = {
        "status": status, "severity": severity, "category": category, "asset": asset_id, "open": open_only,
        "since": since, "until": until, "limit": limit, "offset": offset,
    }  # fmt: skip
    row = conn.execute(f"SELECT count(*) FROM detection.conditions {where}", params).fetchone()
    with conn.cursor(row_factory=class_row(ConditionPublic)) as cur:
        cur.execute(
            f"""
            SELECT {COLUMNS} FROM detection.conditions {where}
            ORDER BY array_position(ARRAY['critical', 'major', 'warning'], severity), raised_at DESC, id DESC
            LIMIT %(limit)s OFFSET %(offset)s
            """,
            params,
        )
        return cur.fetchall(), int(row[0]) if row else 0


def precision_by_failure_mode(conn: psycopg.Connection, *, since: datetime | None) -> list[FailureModePrecision]:
    rows = conn.execute(
        """
        SELECT failure_mode, category,
               count(*) FILTER (WHERE outcome = 'true_alarm'),
               count(*) FILTER (WHERE outcome = 'false_alarm'),
               count(*) FILTER (WHERE outcome IS NULL)
        FROM detection.conditions
        WHERE %(since)s::timestamptz IS NULL OR raised_at >= %(since)s
        GROUP BY failure_mode, category ORDER BY failure_mode, category
        """,
        {"since": since},
    ).fetchall()
    return [
        FailureModePrecision(
            failure_mode=mode,
            category=category,
            true_alarms=t,
            false_alarms=f,
            unjudged=u,
            precision=domain.precision(t, f),
        )
        for mode, category, t, f, u in rows
    ]


def asset_health(conn: psycopg.Connection, *, asset_id: int) -> AssetHealthPublic:
    """The asset's current health; with `not_scored` while the detector refuses to score it.  Not found when it
    has never been scored (saying why, when it is refused)."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            """
            SELECT h.asset_id, h.scored_at, h.health_score, h.anomaly_score, h.contributions, h.rul_hours,
                   h.rul_low_hours, h.rul_high_hours, h.model_version,
                   (SELECT count(*) FROM detection.conditions AS c
                    WHERE c.asset_id = h.asset_id AND c.status IN ('raised', 'acknowledged', 'snoozed'))
                   AS open_conditions
            FROM detection.asset_health AS h WHERE h.asset_id = %s
            """,
            (asset_id,),
        )
        health = cur.fetchone()
        cur.execute(
            """
            SELECT reason, since, model_version, sampling_interval_s, trained_interval_s
            FROM detection.not_scored WHERE asset_id = %s
            """,
            (asset_id,),
        )
        refusal = cur.fetchone()
    if health is None:
        why = f": {refusal['reason']}" if refusal else " yet"
        raise NotFound(f"asset {asset_id} has not been scored{why}")
    return AssetHealthPublic(**health, not_scored=NotScoredPublic(**refusal) if refusal else None)


def health_history(
    conn: psycopg.Connection, *, asset_id: int, start: datetime, end: datetime, max_points: int
) -> list[HealthPoint]:
    """The asset's scores over [start, end): minute buckets up to a week, hours beyond, merged into wider buckets
    (worst of each) so that there are at most `max_points`."""
    check_range(start, end)
    if conn.execute("SELECT 1 FROM assets.assets WHERE id = %s", (asset_id,)).fetchone() is None:
        raise NotFound(f"asset {asset_id} does not exist")
    resolution = "1m" if end - start <= MINUTE_HISTORY_UP_TO else "1h"
    width = merged_width(end - start, resolution, max_points) or RESOLUTION_WIDTH[resolution]
    with conn.cursor(row_factory=class_row(HealthPoint)) as cur:
        cur.execute(
            """
            SELECT date_bin(%(width)s, bucket, %(origin)s) AS ts, min(health_score)::int AS health_score,
                   max(anomaly_score) AS anomaly_score
            FROM detection.health_history
            WHERE asset_id = %(asset)s AND resolution = %(resolution)s AND bucket >= %(start)s AND bucket < %(end)s
            GROUP BY 1 ORDER BY 1
            """,
            {"width": width, "origin": BUCKET_ORIGIN, "asset": asset_id,
             "resolution": resolution, "start": start, "end": end},
        )  # fmt: skip
        return cur.fetchall()
