"""The demo company's history of work: jobs opened over the last months and how far each got.

Pure.  Bookings use three slots a day (08:00, 10:45, 13:30 local) of at most 135 minutes with at most 30 minutes
of travel before them, so a technician's bookings and time entries never overlap; past work is booked before
today, planned work after today, and only work in progress is on today.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from service_core.seed.model import AccountPlan, AgreementPlan, AssetPlan, BookingPlan, TechnicianPlan, WorkOrderPlan
from service_core.seed.plan_master import ZONE, equipment_of
from service_core.seed.vocabulary import INCIDENTS, PM_INCIDENT, IncidentSpec

SLOTS = (time(8, 0), time(10, 45), time(13, 30))
MAX_JOB_MINUTES = 135
MAX_TRAVEL_MINUTES = 30
PAST_FATES = frozenset({"posted", "partial", "completed", "canceled_booked"})
_CRITICALITY_WEIGHT = {"low": 1, "medium": 2, "high": 3, "critical": 4}
_INCIDENTS = {i.code: i for i in INCIDENTS}


@dataclass
class _Diary:
    """Which technician slots are taken, and who works on something right now."""

    technicians: tuple[TechnicianPlan, ...]
    taken: set[tuple[int, date, int]] = field(default_factory=set)
    asset_slots: set[tuple[int, date, int]] = field(default_factory=set)  # an asset gets one visit per slot
    busy_now: set[int] = field(default_factory=set)

    def available(self, tech: int, day: date) -> bool:
        works = day.weekday() in {s.weekday for s in self.technicians[tech].shifts}
        return works and not self.off_duty(tech, day)

    def off_duty(self, tech: int, day: date) -> bool:
        start = datetime.combine(day, time(0), ZONE)
        end = start + timedelta(days=1)
        return any(s < end and e > start for s, e, _ in self.technicians[tech].time_off)


_FATE_WEIGHTS: tuple[tuple[float, dict[str, int]], ...] = (  # (minimum age in days, weight of each fate)
    (14, {"posted": 80, "partial": 6, "completed": 4, "canceled": 5, "canceled_booked": 5}),
    (3, {"posted": 45, "partial": 5, "completed": 20, "canceled": 5, "scheduled": 10, "unscheduled": 15}),
    (0, {"scheduled": 35, "unscheduled": 30, "in_progress": 20, "canceled": 10, "completed": 5}),
)


def _fate(rng: random.Random, age_days: float) -> str:
    """How far a job opened `age_days` ago got: old jobs are mostly posted, the newest mostly still open."""
    weights = next(w for minimum, w in _FATE_WEIGHTS if age_days >= minimum)
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _incident(rng: random.Random, asset: AssetPlan) -> IncidentSpec:
    repairs = [i for i in INCIDENTS if i.asset_type == asset.type_code and i.work_type == "repair"]
    assert asset.type_code is not None
    choices = [
        *repairs,
        _INCIDENTS["sensor-fault"],
        _INCIDENTS["inspection-annual"],
        _INCIDENTS[PM_INCIDENT[asset.type_code]],
    ]
    weights = [60 / len(repairs)] * len(repairs) + [10, 10, 20]
    return rng.choices(choices, weights=weights)[0]


def _created_at(rng: random.Random, now: datetime, days: int) -> datetime:
    """Spread over the history, with one job in eight from the last four days (the open backlog)."""
    back = rng.randint(0, 3) if rng.random() < 0.125 else rng.randint(0, days - 1)
    local_day = now.astimezone(ZONE).date() - timedelta(days=back)
    at = datetime.combine(local_day, time(rng.randint(7, 17), rng.randrange(0, 60, 5)), ZONE)
    if at > now - timedelta(minutes=30):
        at = now - timedelta(minutes=rng.randint(30, 180))
    return at


def _agreement(agreements: tuple[AgreementPlan, ...], asset: AssetPlan, work_type: str, on: date) -> str | None:
    for a in agreements:
        covers = asset.key in a.assets and a.start_date <= on <= a.end_date
        if covers and (a.kind == "service" or work_type in a.covered_work_types):
            return a.number
    return None


def _eligible(rng: random.Random, diary: _Diary, incident: IncidentSpec, territory: int | None) -> list[int]:
    skill, level = incident.skills[0]
    able = [i for i, t in enumerate(diary.technicians) if dict(t.skills).get(skill, 0) >= level]
    able = able or list(range(len(diary.technicians)))
    rng.shuffle(able)
    return sorted(able, key=lambda i: diary.technicians[i].territory != territory)


def _book(
    rng: random.Random, diary: _Diary, job: tuple[int, list[int], int], days: list[date], earliest: datetime
) -> BookingPlan | None:
    """The first free slot on `days`, starting after `earliest`, of a technician among `techs` (in order)."""
    asset, techs, minutes = job
    for day in days:
        for slot_index, slot in enumerate(SLOTS):
            start = datetime.combine(day, slot, ZONE)
            if start < earliest or (asset, day, slot_index) in diary.asset_slots:
                continue
            for tech in techs:
                if (tech, day, slot_index) not in diary.taken and diary.available(tech, day):
                    diary.taken.add((tech, day, slot_index))
                    diary.asset_slots.add((asset, day, slot_index))
                    travel = rng.randint(10, MAX_TRAVEL_MINUTES)
                    return BookingPlan(tech, start, start + timedelta(minutes=minutes), travel)
    return None


def _book_now(
    rng: random.Random, diary: _Diary, job: tuple[int, list[int], int], *, now: datetime, created: datetime
) -> BookingPlan | None:
    """A job started a little while ago and still going on now (whatever the weekday: a call-out)."""
    _, techs, minutes = job
    start = now - timedelta(minutes=rng.randint(40, 100))
    if start < created + timedelta(minutes=20):
        return None
    today = now.astimezone(ZONE).date()
    for tech in techs:
        if tech not in diary.busy_now and not diary.off_duty(tech, today):
            diary.busy_now.add(tech)
            end = max(start + timedelta(minutes=minutes), now + timedelta(minutes=30))  # still at it
            return BookingPlan(tech, start, end, rng.randint(10, MAX_TRAVEL_MINUTES))
    return None


def _schedule(
    rng: random.Random,
    diary: _Diary,
    fate: str,
    job: tuple[int, list[int], int],
    *,
    created: datetime,
    now: datetime,
    urgent: bool,
) -> tuple[str, BookingPlan | None]:
    """Book the job (asset, technicians in order, minutes) as its fate needs; a fate that finds no slot falls back
    to a later stage (or none)."""
    today = now.astimezone(ZONE).date()
    if fate == "in_progress":
        booking = _book_now(rng, diary, job, now=now, created=created)
        if booking:
            return fate, booking
        fate = "scheduled"
    if fate in PAST_FATES:
        first = created.astimezone(ZONE).date() + timedelta(days=0 if urgent else 1)
        days = [first + timedelta(days=d) for d in range((today - first).days)]
        booking = _book(rng, diary, job, days, created + timedelta(minutes=30))
        if booking:
            return fate, booking
        fate = "scheduled"
    if fate == "scheduled":
        days = [today + timedelta(days=d) for d in range(1, 11)]
        booking = _book(rng, diary, job, days, now)
        return ("scheduled", booking) if booking else ("unscheduled", None)
    return fate, None


@dataclass(frozen=True, slots=True)
class _World:
    """What every job is drawn from: the equipment, the territory of each location, the agreements, the diary."""

    equipment: list[AssetPlan]
    territory: dict[int, int]
    agreements: tuple[AgreementPlan, ...]
    diary: _Diary
    now: datetime


def work_orders(
    rng: random.Random,
    *,
    accounts: tuple[AccountPlan, ...],
    assets: tuple[AssetPlan, ...],
    agreements: tuple[AgreementPlan, ...],
    technicians: tuple[TechnicianPlan, ...],
    count: int,
    now: datetime,
    days: int,
) -> tuple[WorkOrderPlan, ...]:
    """`count` jobs opened over the last `days` days, oldest first, each with its fate and booking."""
    territory = {loc.key: loc.territory for a in accounts for loc in a.locations}
    world = _World(equipment_of(assets), territory, agreements, _Diary(technicians), now)
    created = sorted(_created_at(rng, now, days) for _ in range(count))
    return tuple(_job(rng, world, key, created_at) for key, created_at in enumerate(created))


def _job(rng: random.Random, world: _World, key: int, created_at: datetime) -> WorkOrderPlan:
    """One job: a failure (or service) of a piece of equipment, weighted to the critical ones, and its fate."""
    equipment = world.equipment
    asset = rng.choices(equipment, weights=[_CRITICALITY_WEIGHT[a.criticality] for a in equipment])[0]
    incident = _incident(rng, asset)
    priority = "high" if incident.priority == "normal" and rng.random() < 0.1 else None
    urgent = (priority or incident.priority) in ("emergency", "high")
    minutes = max(45, min(MAX_JOB_MINUTES, incident.minutes + rng.randrange(-30, 31, 15)))
    territory = world.territory.get(asset.location) if asset.location is not None else None
    job = (asset.key, _eligible(rng, world.diary, incident, territory), minutes)
    age = (world.now - created_at).total_seconds() / 86400
    fate, booking = _schedule(rng, world.diary, _fate(rng, age), job, created=created_at, now=world.now, urgent=urgent)
    return WorkOrderPlan(
        key=key,
        account=asset.account,
        asset=asset.key,
        location=asset.location,
        incident=incident.code,
        priority=priority,
        summary=f"{incident.name}: {asset.name}"[:300],
        created_at=created_at,
        fate=fate,
        agreement=_agreement(world.agreements, asset, incident.work_type, created_at.date()),
        booking=booking,
        resolution=_resolution(rng, fate),
        labour_hours=Decimal(max(2, round(minutes / 15))) / 4,
        travel_km=Decimal(rng.randint(4, 45)),
        failed_task=fate == "posted" and rng.random() < 0.05,
    )


def _resolution(rng: random.Random, fate: str) -> str | None:
    if fate == "partial":
        return "partial"
    if fate == "posted":
        return rng.choices(("fixed", "no_fault_found", "fault_confirmed", "not_fixed"), weights=(80, 8, 7, 5))[0]
    if fate == "completed":
        return "fixed"
    return None
