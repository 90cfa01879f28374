"""The SLA clock of a work order (pure): response and resolution targets counted in business minutes.

The clock runs from the order's opening (or its `start` event), stops counting while paused (waiting on the
customer or on parts) and stops for good at `stop`.  Paused time moves the due instants out.  The response target
is met by the first response (`responded_at`), the resolution target by the `stop` event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from service_core.exceptions import InvalidInput, InvalidTransition
from service_core.policies.calendar import ALWAYS_OPEN, BusinessCalendar

ClockEventKind = Literal["start", "pause", "resume", "stop"]
PauseReason = Literal["waiting_on_customer", "waiting_on_parts", "other"]
TargetState = Literal["running", "paused", "stopped", "met", "breached"]
CLOCK_EVENTS: tuple[str, ...] = ("start", "pause", "resume", "stop")
PAUSE_REASONS: tuple[str, ...] = ("waiting_on_customer", "waiting_on_parts", "other")


@dataclass(frozen=True, slots=True)
class ClockEvent:
    at: datetime
    event: ClockEventKind
    reason: PauseReason | None = None


@dataclass(frozen=True, slots=True)
class SlaPlan:
    """The targets that apply to a work order; `calendar` None counts 24x7."""

    target_id: int | None
    response_minutes: int
    resolution_minutes: int
    warning_fraction: float = 0.75
    calendar: BusinessCalendar | None = None

    @property
    def business_calendar(self) -> BusinessCalendar:
        return self.calendar or ALWAYS_OPEN


@dataclass(frozen=True, slots=True)
class TargetStatus:
    target: Literal["response", "resolution"]
    target_minutes: int
    due_at: datetime
    warning_at: datetime
    state: TargetState
    elapsed_minutes: float
    remaining_minutes: float
    breached: bool
    completed_at: datetime | None

    @property
    def is_open(self) -> bool:
        """Still counting (or waiting): escalations apply only to open targets."""
        return self.completed_at is None and self.state != "stopped"

    @property
    def fraction_elapsed(self) -> float:
        return self.elapsed_minutes / self.target_minutes


@dataclass(frozen=True, slots=True)
class SlaStatus:
    work_order_id: int | None
    sla_target_id: int | None
    started_at: datetime
    paused: bool
    pause_reason: str | None
    stopped_at: datetime | None
    response: TargetStatus
    resolution: TargetStatus


Segment = tuple[datetime, datetime | None]  # running from, until (None: still running)


@dataclass(frozen=True, slots=True)
class _Timeline:
    started_at: datetime
    segments: tuple[Segment, ...]
    paused_since: datetime | None
    pause_reason: str | None
    stopped_at: datetime | None


def next_clock_event_allowed(events: Sequence[ClockEvent], event: ClockEvent) -> None:
    """Refuse (`InvalidTransition`) an event that does not follow from the clock's events so far."""
    if event.event not in CLOCK_EVENTS:
        raise InvalidInput(f"unknown clock event {event.event!r}; one of {', '.join(CLOCK_EVENTS)}")
    if event.reason is not None and event.reason not in PAUSE_REASONS:
        raise InvalidInput(f"unknown pause reason {event.reason!r}; one of {', '.join(PAUSE_REASONS)}")
    if event.at.tzinfo is None:
        raise InvalidInput("a clock event needs a timezone-aware time")
    if event.event == "pause" and event.reason is None:
        raise InvalidInput("a pause needs a reason: waiting_on_customer, waiting_on_parts or other")
    if event.event != "pause" and event.reason is not None:
        raise InvalidInput(f"only a pause has a reason, not a {event.event}")
    if events and event.at < events[-1].at:
        raise InvalidTransition(f"a clock event at {event.at.isoformat()} is earlier than the last one")
    kinds = [e.event for e in events]
    if "stop" in kinds:
        raise InvalidTransition("the SLA clock is stopped: no more events")
    paused = _is_paused(kinds)
    if event.event == "start" and kinds:
        raise InvalidTransition("the SLA clock has already started")
    if event.event == "pause" and paused:
        raise InvalidTransition("the SLA clock is already paused")
    if event.event == "resume" and not paused:
        raise InvalidTransition("the SLA clock is running: there is nothing to resume")


def _is_paused(kinds: Sequence[str]) -> bool:
    paused = False
    for kind in kinds:
        if kind == "pause":
            paused = True
        elif kind == "resume":
            paused = False
    return paused


def _timeline(opened_at: datetime, events: Sequence[ClockEvent], now: datetime) -> _Timeline:
    """Running segments up to `now`; events that do not follow (a second pause, a stray resume) are ignored."""
    seen = sorted((e for e in events if e.at <= now), key=lambda e: e.at)
    started_at = seen[0].at if seen and seen[0].event == "start" else opened_at
    segments: list[Segment] = []
    running_from: datetime | None = started_at
    reason: str | None = None
    stopped_at: datetime | None = None
    for e in seen:
        if e.event == "pause" and running_from is not None:
            segments.append((running_from, max(e.at, running_from)))
            running_from, reason = None, e.reason
        elif e.event == "resume" and running_from is None:
            running_from, reason = max(e.at, started_at), None
        elif e.event == "stop":
            if running_from is not None:
                segments.append((running_from, max(e.at, running_from)))
            stopped_at, running_from = e.at, None
            break
    if running_from is not None:
        segments.append((running_from, None))
    paused_since = None
    if stopped_at is None and running_from is None:
        paused_since = segments[-1][1] if segments else started_at
    return _Timeline(started_at, tuple(segments), paused_since, reason, stopped_at)


def _due_at(timeline: _Timeline, minutes: float, calendar: BusinessCalendar, now: datetime) -> datetime:
    """When `minutes` of running business time are reached; a paused or stopped clock is assumed to go on from
    now (or from its stop) — so every minute of pause moves the due instant out."""
    remaining = minutes
    last_end = timeline.started_at
    for start, end in timeline.segments:
        if end is None:
            return calendar.add_business_minutes(start, remaining)
        used = calendar.business_minutes_between(start, end)
        if used >= remaining:
            return calendar.add_business_minutes(start, remaining)
        remaining -= used
        last_end = end
    resume_from = timeline.stopped_at or max(now, last_end)
    return calendar.add_business_minutes(resume_from, remaining)


def _elapsed(timeline: _Timeline, calendar: BusinessCalendar, until: datetime) -> float:
    total = 0.0
    for start, end in timeline.segments:
        stop = until if end is None else min(end, until)
        total += calendar.business_minutes_between(start, stop)
    return total


def _target_status(
    timeline: _Timeline,
    *,
    target: Literal["response", "resolution"],
    minutes: int,
    plan: SlaPlan,
    completed_at: datetime | None,
    now: datetime,
) -> TargetStatus:
    calendar = plan.business_calendar
    due_at = _due_at(timeline, minutes, calendar, now)
    warning_at = _due_at(timeline, minutes * plan.warning_fraction, calendar, now)
    frozen_at = min(t for t in (now, completed_at, timeline.stopped_at) if t is not None)
    elapsed = _elapsed(timeline, calendar, frozen_at)
    state: TargetState
    if completed_at is not None:
        state = "met" if completed_at <= due_at else "breached"
    elif timeline.stopped_at is not None:
        state = "breached" if timeline.stopped_at > due_at else "stopped"
    elif now > due_at:
        state = "breached"
    else:
        state = "paused" if timeline.paused_since is not None else "running"
    return TargetStatus(
        target=target,
        target_minutes=minutes,
        due_at=due_at,
        warning_at=warning_at,
        state=state,
        elapsed_minutes=round(elapsed, 3),
        remaining_minutes=round(max(minutes - elapsed, 0.0), 3),
        breached=state == "breached",
        completed_at=completed_at,
    )


def compute_clock(
    *,
    opened_at: datetime,
    events: Sequence[ClockEvent],
    plan: SlaPlan,
    responded_at: datetime | None,
    now: datetime,
    work_order_id: int | None = None,
) -> SlaStatus:
    """The SLA clock of one work order as it stands at `now`."""
    timeline = _timeline(opened_at, events, now)
    responded = responded_at if responded_at is not None and responded_at <= now else None
    return SlaStatus(
        work_order_id=work_order_id,
        sla_target_id=plan.target_id,
        started_at=timeline.started_at,
        paused=timeline.paused_since is not None,
        pause_reason=timeline.pause_reason,
        stopped_at=timeline.stopped_at,
        response=_target_status(
            timeline, target="response", minutes=plan.response_minutes, plan=plan, completed_at=responded, now=now
        ),
        resolution=_target_status(
            timeline,
            target="resolution",
            minutes=plan.resolution_minutes,
            plan=plan,
            completed_at=timeline.stopped_at,
            now=now,
        ),
    )
