"""The SLA clock: due instants, warnings, pauses, business hours, met and breached targets, event validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service_core.exceptions import InvalidInput, InvalidTransition
from service_core.policies.calendar import BusinessCalendar
from service_core.policies.clock import ClockEvent, SlaPlan, compute_clock, next_clock_event_allowed

OPENED = datetime(2026, 3, 2, 10, tzinfo=UTC)  # a Monday
PLAN_24X7 = SlaPlan(target_id=1, response_minutes=60, resolution_minutes=240, warning_fraction=0.75)
OFFICE = BusinessCalendar(hours={d: ((9 * 60, 17 * 60),) for d in range(5)})
PLAN_OFFICE = SlaPlan(target_id=2, response_minutes=120, resolution_minutes=960, warning_fraction=0.5, calendar=OFFICE)


def at(minutes: float) -> datetime:
    return OPENED + timedelta(minutes=minutes)


def clock(events=(), *, now: datetime, plan: SlaPlan = PLAN_24X7, responded_at: datetime | None = None):
    return compute_clock(opened_at=OPENED, events=list(events), plan=plan, responded_at=responded_at, now=now)


def test_fresh_clock_runs_with_due_and_warning_instants():
    status = clock(now=at(30))
    assert status.started_at == OPENED and not status.paused and status.stopped_at is None
    assert status.sla_target_id == 1
    r = status.response
    assert (r.state, r.due_at, r.warning_at) == ("running", at(60), at(45))
    assert (r.elapsed_minutes, r.remaining_minutes, r.breached) == (30, 30, False)
    assert status.resolution.due_at == at(240) and status.resolution.warning_at == at(180)
    assert status.resolution.remaining_minutes == 210


def test_start_event_sets_the_start():
    status = clock([ClockEvent(at(10), "start")], now=at(30))
    assert status.started_at == at(10)
    assert status.response.due_at == at(70)
    assert status.response.elapsed_minutes == 20


def test_response_met_and_late():
    met = clock(now=at(100), responded_at=at(50))
    assert (met.response.state, met.response.breached, met.response.elapsed_minutes) == ("met", False, 50)
    assert met.response.completed_at == at(50)
    assert met.response.remaining_minutes == 10
    late = clock(now=at(100), responded_at=at(70))
    assert (late.response.state, late.response.breached) == ("breached", True)


def test_response_in_the_future_is_not_counted_yet():
    status = clock(now=at(30), responded_at=at(50))
    assert status.response.state == "running" and status.response.completed_at is None


def test_unanswered_past_due_is_breached():
    status = clock(now=at(61))
    assert status.response.state == "breached" and status.response.breached
    assert status.response.remaining_minutes == 0
    assert status.resolution.state == "running"


def test_pause_freezes_elapsed_and_moves_the_due_instant():
    events = [ClockEvent(at(20), "pause", "waiting_on_customer")]
    status = clock(events, now=at(50))
    assert status.paused and status.pause_reason == "waiting_on_customer"
    r = status.response
    assert r.state == "paused" and r.elapsed_minutes == 20 and r.remaining_minutes == 40
    assert r.due_at == at(50 + 40)  # as if it resumed now
    later = clock(events, now=at(500))
    assert later.response.state == "paused" and later.response.due_at == at(540)


def test_resume_extends_the_due_instant_by_the_pause():
    events = [ClockEvent(at(20), "pause", "waiting_on_parts"), ClockEvent(at(50), "resume")]
    status = clock(events, now=at(60))
    assert not status.paused and status.pause_reason is None
    assert status.response.due_at == at(90)
    assert status.response.elapsed_minutes == 30
    assert status.resolution.due_at == at(270)
    assert status.resolution.warning_at == at(210)


def test_breach_before_a_pause_stays_a_breach():
    events = [ClockEvent(at(90), "pause", "other")]
    status = clock(events, now=at(200))
    assert status.response.due_at == at(60)
    assert status.response.state == "breached"


def test_stop_meets_or_breaches_resolution_and_stops_response():
    met = clock([ClockEvent(at(200), "stop")], now=at(300), responded_at=at(30))
    assert met.stopped_at == at(200)
    assert (met.resolution.state, met.resolution.elapsed_minutes, met.resolution.completed_at) == ("met", 200, at(200))
    assert met.response.state == "met"
    late = clock([ClockEvent(at(250), "stop")], now=at(300))
    assert late.resolution.state == "breached" and late.resolution.breached
    assert late.response.state == "breached"  # never responded and stopped after its due instant


def test_stop_before_response_due_leaves_response_stopped():
    status = clock([ClockEvent(at(30), "stop")], now=at(100))
    assert status.response.state == "stopped" and not status.response.breached
    assert status.response.elapsed_minutes == 30
    assert not status.response.is_open


def test_stop_while_paused():
    events = [ClockEvent(at(20), "pause", "other"), ClockEvent(at(100), "stop")]
    status = clock(events, now=at(120))
    assert status.resolution.state == "met" and status.resolution.elapsed_minutes == 20
    assert not status.paused


def test_events_after_now_are_ignored():
    events = [ClockEvent(at(20), "pause", "other"), ClockEvent(at(40), "resume")]
    status = clock(events, now=at(30))
    assert status.paused and status.response.elapsed_minutes == 20


def test_business_hours_clock_counts_only_open_time():
    # opened Monday 10:00; response 120 business minutes; 16:00 Monday paused until Tuesday 10:00
    events = [ClockEvent(datetime(2026, 3, 2, 16, tzinfo=UTC), "pause", "waiting_on_customer")]
    status = clock(events, plan=PLAN_OFFICE, now=datetime(2026, 3, 3, 10, tzinfo=UTC), responded_at=at(90))
    assert status.response.state == "met"
    res = status.resolution
    assert res.state == "paused" and res.elapsed_minutes == 360
    # 600 business minutes left from Tuesday 10:00: 420 on Tuesday, 180 on Wednesday
    assert res.due_at == datetime(2026, 3, 4, 12, tzinfo=UTC)
    assert res.warning_at == datetime(2026, 3, 3, 12, tzinfo=UTC)  # 480 minutes: 360 done, 120 more


def test_business_hours_clock_over_a_weekend():
    friday = datetime(2026, 3, 6, 16, tzinfo=UTC)
    status = compute_clock(opened_at=friday, events=[], plan=PLAN_OFFICE, responded_at=None, now=friday)
    assert status.response.due_at == datetime(2026, 3, 9, 10, tzinfo=UTC)
    weekend = compute_clock(
        opened_at=friday, events=[], plan=PLAN_OFFICE, responded_at=None, now=datetime(2026, 3, 8, 12, tzinfo=UTC)
    )
    assert weekend.response.elapsed_minutes == 60 and weekend.response.state == "running"


def test_malformed_stored_sequences_are_read_leniently():
    events = [
        ClockEvent(at(10), "pause", "other"),
        ClockEvent(at(15), "pause", "other"),  # ignored: already paused
        ClockEvent(at(20), "resume"),
        ClockEvent(at(25), "resume"),  # ignored: running
    ]
    status = clock(events, now=at(30))
    assert status.response.elapsed_minutes == 20


def test_fraction_elapsed():
    assert clock(now=at(30)).response.fraction_elapsed == 0.5


# --- validation of new events -------------------------------------------------------------------------------------


def test_valid_sequence_is_accepted():
    events: list[ClockEvent] = []
    for event in (
        ClockEvent(at(0), "start"),
        ClockEvent(at(5), "pause", "waiting_on_parts"),
        ClockEvent(at(9), "resume"),
        ClockEvent(at(12), "pause", "other"),
        ClockEvent(at(20), "stop"),
    ):
        next_clock_event_allowed(events, event)
        events.append(event)


@pytest.mark.parametrize(
    ("events", "event", "message"),
    [
        ([ClockEvent(at(1), "pause", "other")], ClockEvent(at(2), "pause", "other"), "already paused"),
        ([], ClockEvent(at(2), "resume"), "nothing to resume"),
        ([ClockEvent(at(1), "pause", "other"), ClockEvent(at(2), "resume")], ClockEvent(at(3), "resume"), "running"),
        ([ClockEvent(at(1), "stop")], ClockEvent(at(2), "pause", "other"), "stopped"),
        ([ClockEvent(at(1), "stop")], ClockEvent(at(2), "stop"), "stopped"),
        ([ClockEvent(at(1), "pause", "other")], ClockEvent(at(2), "start"), "already started"),
        ([ClockEvent(at(5), "pause", "other")], ClockEvent(at(2), "resume"), "earlier than the last"),
    ],
)
def test_malformed_events_are_refused(events, event, message):
    with pytest.raises(InvalidTransition, match=message):
        next_clock_event_allowed(events, event)


def test_pause_needs_a_reason_and_only_a_pause_has_one():
    with pytest.raises(InvalidInput, match="needs a reason"):
        next_clock_event_allowed([], ClockEvent(at(1), "pause"))
    with pytest.raises(InvalidInput, match="only a pause"):
        next_clock_event_allowed([ClockEvent(at(1), "pause", "other")], ClockEvent(at(2), "resume", "other"))


def test_unknown_events_reasons_and_naive_times_are_refused():
    with pytest.raises(InvalidInput, match="unknown clock event"):
        next_clock_event_allowed([], ClockEvent(at(1), "restart"))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="unknown pause reason"):
        next_clock_event_allowed([], ClockEvent(at(1), "pause", "lunch"))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="timezone-aware"):
        next_clock_event_allowed([], ClockEvent(datetime(2026, 3, 2, 10), "stop"))
