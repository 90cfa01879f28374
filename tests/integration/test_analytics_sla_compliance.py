"""SLA compliance in the service report is the SLA clock's verdict: a pause moves the resolution due time by the
business minutes it took on the target's calendar, not by the elapsed time added to the stored due time."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest
from fastapi.testclient import TestClient

from service_core.analytics.schemas import ServiceGrouping
from service_core.analytics.service_metrics import service_report
from service_core.policies import config_service
from service_core.policies.schemas import CalendarCreate, HoursIn
from tests.policy_factories import insert_account, insert_sla_target, insert_work_order

pytestmark = pytest.mark.integration

OPENED = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)  # a Monday


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 6, day, hour, minute, tzinfo=UTC)


def _completed(
    conn: psycopg.Connection, *, priority: str, due: datetime, pauses: list[tuple[datetime, datetime]], done: datetime
) -> int:
    """A work order opened Monday 09:00 with its stored resolution due time, paused and completed as given."""
    order = insert_work_order(conn, account_id=insert_account(conn), priority=priority, created_at=OPENED)
    conn.execute(
        "UPDATE work.work_orders SET status = 'completed', completed_at = %s, resolution_due_at = %s, "
        "sla_target_id = (SELECT id FROM policy.sla_targets WHERE priority = %s AND agreement_id IS NULL) "
        "WHERE id = %s",
        (done, due, priority, order),
    )
    events = [(p, "pause", "waiting_on_parts") for p, _ in pauses] + [(r, "resume", None) for _, r in pauses]
    for moment, event, reason in [*sorted(events), (done, "stop", None)]:
        conn.execute(
            "INSERT INTO work.sla_events (work_order_id, at, event, reason) VALUES (%s, %s, %s, %s)",
            (order, moment, event, reason),
        )
    return order


def _compliance_by_order(conn: psycopg.Connection) -> dict[int, float | None]:
    """Each order has an account of its own: its group's compliance is the order's verdict."""
    report = service_report(
        conn, start=at(1, 0), end=at(10, 0), group_by=ServiceGrouping.ACCOUNT, repeat_window_days=30
    )
    account_of = dict(conn.execute("SELECT account_id::text, id FROM work.work_orders").fetchall())
    return {account_of[g.group_key]: g.sla_compliance for g in report.groups if g.group_key in account_of}


def test_paused_time_counts_in_business_minutes_of_the_targets_calendar(database_url: str):
    with psycopg.connect(database_url) as conn:
        office = config_service.create_calendar(
            conn,
            calendar_in=CalendarCreate(
                name="office", hours=[HoursIn(weekday=d, start_time="09:00", end_time="17:00") for d in range(5)]
            ),
        )
        insert_sla_target(conn, priority="high", resolution_minutes=960, calendar_id=office.id)  # 2 days
        insert_sla_target(conn, priority="low", resolution_minutes=240)  # 24x7: 4 hours
        tuesday_close = at(4, 17)  # 16 business hours after Monday 09:00, as stored when the orders opened
        # paused Mon 16:00-18:00: one business hour, so due Wed 10:00 (elapsed time added would say Tue 19:00)
        late_pause = _completed(
            conn, priority="high", due=tuesday_close, pauses=[(at(3, 16), at(3, 18))], done=at(5, 9, 30)
        )
        # paused Mon 20:00-Tue 08:00: closed hours, so still due Tue 17:00 (elapsed time added: Wed 05:00)
        night_pause = _completed(
            conn, priority="high", due=tuesday_close, pauses=[(at(3, 20), at(4, 8))], done=at(4, 18)
        )
        # 24x7: due 13:00, an hour's pause makes it 14:00, as before
        round_the_clock = _completed(
            conn, priority="low", due=at(3, 13), pauses=[(at(3, 10), at(3, 11))], done=at(3, 13, 30)
        )
        # no target for its priority any more: judged 24x7 against its stored due time (10:00, paused an hour)
        untargeted = _completed(
            conn, priority="emergency", due=at(3, 10), pauses=[(at(3, 9, 30), at(3, 10, 30))], done=at(3, 10, 45)
        )
        unmeasured = insert_work_order(conn, account_id=insert_account(conn), priority="normal", created_at=OPENED)
        conn.execute(
            "UPDATE work.work_orders SET status = 'completed', completed_at = %s WHERE id = %s", (at(3, 12), unmeasured)
        )
        compliance = _compliance_by_order(conn)
    assert compliance == {late_pause: 1.0, night_pause: 0.0, round_the_clock: 1.0, untargeted: 1.0, unmeasured: None}


def test_the_service_report_over_http_judges_by_the_clock(api: TestClient, database_url: str, viewer):
    with psycopg.connect(database_url) as conn:
        office = config_service.create_calendar(
            conn,
            calendar_in=CalendarCreate(
                name="office", hours=[HoursIn(weekday=d, start_time="09:00", end_time="17:00") for d in range(5)]
            ),
        )
        insert_sla_target(conn, priority="high", resolution_minutes=960, calendar_id=office.id)
        _completed(conn, priority="high", due=at(4, 17), pauses=[(at(3, 16), at(3, 18))], done=at(5, 9, 30))
    report = api.get(
        "/analytics/service", params={"start": "2024-06-01T00:00:00Z", "end": "2024-06-10T00:00:00Z"}, headers=viewer
    )
    assert report.status_code == 200, report.text
    [overall] = report.json()["groups"]
    assert (overall["sla_measured"], overall["sla_compliance"]) == (1, 1.0)
