"""Condition use cases: report (raise once, then add evidence), clear, acknowledge, snooze, link and open work,
resolve from closed work.  Functions take an open connection; the caller owns the transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import psycopg
from psycopg.rows import class_row, dict_row

from service_core.conditions import domain
from service_core.conditions import work as condition_work
from service_core.conditions.schemas import ConditionPublic, ConditionReport, ReportOutcome
from service_core.exceptions import InvalidInput, NotFound

COLUMNS = (
    "id, asset_id, device_id, failure_mode, category, severity, status, onset_at, raised_at, last_evidence_at, "
    "peak_score, evidence, acknowledged_at, acknowledged_by, snoozed_until, cleared_at, resolved_at, work_order_id, "
    "outcome"
)


def report(conn: psycopg.Connection, *, report_in: ConditionReport, actor: str = "system:detector") -> ReportOutcome:
    """Raise a condition (at most one open per asset and failure mode, by a partial unique index, so concurrent
    detectors raise it once) or add evidence to the open one; a new condition gets its work by the rules."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            f"""
            INSERT INTO detection.conditions AS c (asset_id, device_id, failure_mode, category, severity, onset_at,
                raised_at, last_evidence_at, peak_score, evidence)
            VALUES (%(asset)s, %(device)s, %(mode)s, %(category)s, %(severity)s, %(onset)s, %(at)s, %(at)s,
                    %(score)s, %(evidence)s)
            ON CONFLICT (asset_id, failure_mode) WHERE status IN ('raised', 'acknowledged', 'snoozed')
            DO UPDATE SET
                last_evidence_at = greatest(c.last_evidence_at, EXCLUDED.last_evidence_at),
                peak_score = greatest(c.peak_score, EXCLUDED.peak_score),
                severity = CASE WHEN array_position(ARRAY['warning', 'major', 'critical'], EXCLUDED.severity)
                                   > array_position(ARRAY['warning', 'major', 'critical'], c.severity)
                                THEN EXCLUDED.severity ELSE c.severity END,
                evidence = c.evidence || jsonb_build_object('latest', EXCLUDED.evidence)
            RETURNING {COLUMNS}, (xmax = 0) AS inserted
            """,
            {
                "asset": report_in.asset_id,
                "device": report_in.device_id,
                "mode": report_in.failure_mode,
                "category": report_in.category,
                "severity": report_in.severity,
                "onset": report_in.onset_at,
                "at": report_in.at,
                "score": report_in.score,
                "evidence": orjson.dumps(report_in.evidence).decode(),
            },
        )
        row = cur.fetchone()
    assert row is not None
    created = bool(row.pop("inserted"))
    condition = ConditionPublic(**row)
    if not created:
        work = "already_linked" if condition.work_order_id is not None else "none"
        return ReportOutcome(condition=condition, created=False, work=work, work_order_id=condition.work_order_id)
    decision, work_order_id = condition_work.give_work(conn, condition=condition, now=report_in.at, actor=actor)
    return ReportOutcome(
        condition=get(conn, condition_id=condition.id), created=True, work=decision, work_order_id=work_order_id
    )


def clear(conn: psycopg.Connection, *, asset_id: int, failure_mode: str, at: datetime) -> ConditionPublic | None:
    """Clear the open condition of this asset and failure mode (the off-delay has passed), if there is one."""
    with conn.cursor(row_factory=class_row(ConditionPublic)) as cur:
        cur.execute(
            f"""
            UPDATE detection.conditions SET status = 'cleared', cleared_at = %s
            WHERE asset_id = %s AND failure_mode = %s AND status IN ('raised', 'acknowledged', 'snoozed')
            RETURNING {COLUMNS}
            """,
            (at, asset_id, failure_mode),
        )
        return cur.fetchone()


def get(conn: psycopg.Connection, *, condition_id: int, for_update: bool = False) -> ConditionPublic:
    lock = " FOR UPDATE" if for_update else ""
    with conn.cursor(row_factory=class_row(ConditionPublic)) as cur:
        cur.execute(f"SELECT {COLUMNS} FROM detection.conditions WHERE id = %s{lock}", (condition_id,))
        condition = cur.fetchone()
    if condition is None:
        raise NotFound(f"condition {condition_id} does not exist")
    return condition


def acknowledge(conn: psycopg.Connection, *, condition_id: int, actor: str) -> ConditionPublic:
    condition = get(conn, condition_id=condition_id, for_update=True)
    status = domain.effective_status(condition.status, condition.snoozed_until, datetime.now(UTC))
    domain.next_status(status, "acknowledge")
    return _update(
        conn,
        condition_id,
        "status = 'acknowledged', acknowledged_at = now(), acknowledged_by = %(actor)s, snoozed_until = NULL",
        actor=actor,
    )


def snooze(conn: psycopg.Connection, *, condition_id: int, until: datetime) -> ConditionPublic:
    condition = get(conn, condition_id=condition_id, for_update=True)
    if until <= datetime.now(UTC):
        raise InvalidInput("a snooze must end in the future")
    domain.next_status(condition.status, "snooze")
    return _update(conn, condition_id, "status = 'snoozed', snoozed_until = %(until)s", until=until)


def link_work_order(conn: psycopg.Connection, *, condition_id: int, work_order_id: int) -> ConditionPublic:
    """Attach the condition to an existing work order (by hand, from the inbox)."""
    get(conn, condition_id=condition_id, for_update=True)
    condition_work.ensure_linkable(conn, work_order_id=work_order_id)
    return _update(conn, condition_id, "work_order_id = %(wo)s", wo=work_order_id)


def open_work_order(conn: psycopg.Connection, *, condition_id: int, actor: str) -> ReportOutcome:
    """Open (or attach) work for a condition that has none yet, by the rules."""
    condition = get(conn, condition_id=condition_id, for_update=True)
    if condition.work_order_id is not None:
        return ReportOutcome(
            condition=condition, created=False, work="already_linked", work_order_id=condition.work_order_id
        )
    decision, work_order_id = condition_work.give_work(
        conn, condition=condition, now=datetime.now(UTC), actor=actor, forced=True
    )
    return ReportOutcome(
        condition=get(conn, condition_id=condition_id), created=False, work=decision, work_order_id=work_order_id
    )


def _update(conn: psycopg.Connection, condition_id: int, assignments: str, **params: object) -> ConditionPublic:
    with conn.cursor(row_factory=class_row(ConditionPublic)) as cur:
        cur.execute(
            f"UPDATE detection.conditions SET {assignments} WHERE id = %(id)s RETURNING {COLUMNS}",
            {**params, "id": condition_id},
        )
        condition = cur.fetchone()
    assert condition is not None
    return condition
