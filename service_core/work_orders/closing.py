"""Closing work: complete (a partial job opens its follow-up), review what was done, post it (frozen after)."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
from psycopg.rows import class_row

from service_core import messagebus
from service_core.events import WorkOrderCompleted, WorkOrderPosted
from service_core.work_orders import domain, queries
from service_core.work_orders import service as work_orders_service
from service_core.work_orders.domain import ReviewFacts
from service_core.work_orders.schemas import (
    ChecklistSummary,
    CompletionPublic,
    LinePublic,
    RequiredSkill,
    ReviewPublic,
    TimeTotal,
    WorkOrderComplete,
    WorkOrderCreate,
    WorkOrderPost,
    WorkOrderPublic,
)

_LINE_COLUMNS = queries.LINE_COLUMNS


def complete_work_order(
    conn: psycopg.Connection, *, work_order_id: int, completion: WorkOrderComplete, actor: str
) -> CompletionPublic:
    """Record the resolution; no booking may still be active.  'partial' opens an unscheduled follow-up."""
    work_order = queries.fetch(conn, work_order_id, lock=True)
    domain.ensure_version(work_order.version, completion.version)
    transition = domain.ensure_can_complete(
        work_order.status, work_order.resolution_code, queries.booking_statuses(conn, work_order_id)
    )
    now = datetime.now(UTC)
    changes: dict[str, object] = {
        "resolution_code": completion.resolution_code,
        "resolution_notes": completion.resolution_notes,
    }
    if transition:
        changes |= {"status": "completed", "completed_at": now}
    completed = queries.update(conn, work_order_id, changes)
    if transition:
        work_orders_service.stop_clock(conn, work_order_id=work_order_id, now=now)
        messagebus.publish(conn, WorkOrderCompleted(work_order_id=work_order_id))
    follow_up = None
    if completion.resolution_code == "partial":
        follow_up = _open_follow_up(conn, completed, actor=actor, now=now)
    return CompletionPublic(work_order=completed, follow_up=follow_up)


def _open_follow_up(conn: psycopg.Connection, parent: WorkOrderPublic, *, actor: str, now: datetime) -> WorkOrderPublic:
    """An unscheduled order for what is left: the pending tasks move to it, skills and preferences are copied."""
    pending = conn.execute(
        "SELECT id, description FROM work.tasks WHERE work_order_id = %s AND result = 'pending' ORDER BY position",
        (parent.id,),
    ).fetchall()
    skills = conn.execute(
        "SELECT skill_id, min_proficiency FROM work.work_order_skills WHERE work_order_id = %s", (parent.id,)
    ).fetchall()
    prefs = conn.execute(
        "SELECT resource_id, preference FROM work.work_order_preferences WHERE work_order_id = %s", (parent.id,)
    ).fetchall()
    follow_up_in = WorkOrderCreate(
        account_id=parent.account_id,
        asset_id=parent.asset_id,
        location_id=parent.location_id,
        work_type=parent.work_type,
        priority=parent.priority,
        source="follow_up",
        summary=f"Follow-up of {parent.number}: {parent.summary}"[:300],
        description=parent.resolution_notes,
        agreement_id=parent.agreement_id,
        parent_id=parent.id,
        condition_id=parent.condition_id,
        estimated_minutes=parent.estimated_minutes,
        required_skills=[RequiredSkill(skill_id=s, min_proficiency=m) for s, m in skills],
        preferred_resource_ids=[r for r, p in prefs if p == "preferred"],
        excluded_resource_ids=[r for r, p in prefs if p == "excluded"],
    )
    follow_up = work_orders_service.create_follow_up(
        conn, work_order_in=follow_up_in, actor=actor, now=now, tasks=[d for _, d in pending]
    )
    conn.execute(
        "UPDATE work.tasks SET result = 'not_applicable', notes = %s, done_at = %s WHERE id = ANY(%s)",
        (f"carried over to {follow_up.number}", now, [i for i, _ in pending]),
    )
    return follow_up


def review_work_order(conn: psycopg.Connection, *, work_order_id: int) -> ReviewPublic:
    """Used lines, time per resource and kind, the checklist, and what is missing before posting."""
    work_order = queries.fetch(conn, work_order_id)
    with conn.cursor(row_factory=class_row(LinePublic)) as cur:
        cur.execute(
            f"SELECT {_LINE_COLUMNS} FROM work.lines WHERE work_order_id = %s AND line_status = 'used' ORDER BY id",
            (work_order_id,),
        )
        used = cur.fetchall()
    time_rows = conn.execute(
        """
        SELECT resource_id, kind, round(sum(extract(epoch FROM ended_at - started_at)) / 60)::int
        FROM work.time_entries WHERE work_order_id = %s GROUP BY resource_id, kind ORDER BY resource_id, kind
        """,
        (work_order_id,),
    ).fetchall()
    totals = [TimeTotal(resource_id=r, kind=k, minutes=m) for r, k, m in time_rows]
    checklist = _checklist(conn, work_order_id)
    (estimated,) = conn.execute(
        "SELECT count(*) FROM work.lines WHERE work_order_id = %s AND line_status = 'estimated'", (work_order_id,)
    ).fetchone() or (0,)
    facts = ReviewFacts(
        status=work_order.status,
        pending_tasks=checklist.pending,
        failed_tasks=checklist.failed,
        estimated_lines=int(estimated),
        used_lines=len(used),
        time_minutes=sum(t.minutes for t in totals if t.kind != "break"),
        has_resolution=work_order.resolution_code is not None,
    )
    missing = domain.review_findings(facts)
    ready = work_order.status == "completed" and checklist.pending == 0
    return ReviewPublic(
        work_order=work_order,
        used_lines=used,
        time_totals=totals,
        checklist=checklist,
        missing=missing,
        ready_to_post=ready,
    )


def _checklist(conn: psycopg.Connection, work_order_id: int) -> ChecklistSummary:
    counts: dict[str, int] = dict(
        conn.execute(
            "SELECT result, count(*)::int FROM work.tasks WHERE work_order_id = %s GROUP BY result", (work_order_id,)
        ).fetchall()
    )
    return ChecklistSummary(
        total=sum(counts.values()),
        passed=counts.get("pass", 0),
        failed=counts.get("fail", 0),
        not_applicable=counts.get("not_applicable", 0),
        pending=counts.get("pending", 0),
    )


def post_work_order(
    conn: psycopg.Connection, *, work_order_id: int, post_in: WorkOrderPost, actor: str
) -> WorkOrderPublic:
    """Freeze completed work for billing; publishes `WorkOrderPosted` (billing drafts the invoice in its handler)."""
    work_order = queries.fetch(conn, work_order_id, lock=True)
    domain.ensure_version(work_order.version, post_in.version)
    domain.ensure_can_post(work_order.status, _checklist(conn, work_order_id).pending, force=post_in.force)
    changes = {
        "status": "posted",
        "posted_at": datetime.now(UTC),
        "posted_by": domain.parse_user_id(actor),
        "posted_by_actor": actor,
        "posted_force_reason": post_in.reason if post_in.force else None,
    }
    posted = queries.update(conn, work_order_id, changes)
    messagebus.publish(conn, WorkOrderPosted(work_order_id=work_order_id, actor=actor))
    return posted
