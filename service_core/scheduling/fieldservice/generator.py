"""A seeded, realistic field-service day: a metro region about 60 km across split into four territories,
technicians with a few of six skills at proficiencies 1-5, staggered shifts with a lunch break, some time off,
work orders with promised windows and SLA deadlines (some SLA-critical), priorities, preferences, exclusions, and
a few locked bookings.  Same seed, same day."""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from service_core.scheduling.fieldservice.model import (
    BreakRule,
    FieldServiceDay,
    Interval,
    LockedBooking,
    Priority,
    Technician,
    WorkOrder,
    service_minutes,
)
from service_core.scheduling.routing.travel import GeoPoint

SKILLS = ("electrical", "mechanical", "hvac", "plumbing", "controls", "welding")
TERRITORIES = ("north-west", "north-east", "south-west", "south-east")
CENTER = GeoPoint(52.52, 13.40)
KM_PER_DEGREE_LAT = 111.32
SHIFT_STARTS = (7, 8, 9)
SHIFT_HOURS = 8.5
PRIORITY_WEIGHTS = ((Priority.EMERGENCY, 0.02), (Priority.HIGH, 0.13), (Priority.NORMAL, 0.6), (Priority.LOW, 0.25))


@dataclass(frozen=True, slots=True)
class GeneratorSettings:
    orders: int = 300
    technicians: int = 40
    seed: int = 0
    date: dt.date = dt.date(2026, 11, 23)
    radius_km: float = 30.0
    sla_critical_share: float = 0.1
    locked: int = 12
    time_off: int = 3
    territories: int = len(TERRITORIES)

    def __post_init__(self) -> None:
        if self.orders < 0 or not 1 <= self.territories <= len(TERRITORIES) or self.technicians < self.territories:
            raise ValueError(f"need orders >= 0, 1..{len(TERRITORIES)} territories and a technician in each")


def generate_day(settings: GeneratorSettings | None = None) -> FieldServiceDay:
    settings = settings or GeneratorSettings()
    rng = random.Random(settings.seed)
    midnight = dt.datetime.combine(settings.date, dt.time(), tzinfo=dt.UTC)
    technicians = [_technician(rng, index, midnight, settings) for index in range(settings.technicians)]
    orders = [_order(rng, index, midnight, settings, technicians) for index in range(settings.orders)]
    locked = _locked(rng, orders, technicians, settings.locked)
    order_by_id = {order.id: order for order in orders}
    for booking in locked:  # the promised window covers the booked time
        order = order_by_id[booking.work_order_id]
        window = Interval(min(order.window.start, booking.start), max(order.window.end, booking.start))
        deadline = max(order.sla_deadline, booking.end)
        order_by_id[order.id] = _replace(order, window, deadline)
    return FieldServiceDay(tuple(technicians), tuple(order_by_id[o.id] for o in orders), tuple(locked))


def _replace(order: WorkOrder, window: Interval, deadline: dt.datetime) -> WorkOrder:
    return WorkOrder(
        order.id, order.location, order.territory, order.required_skills, order.standard_minutes, window, deadline,
        order.priority, order.sla_critical, order.preferred, order.excluded,
    )  # fmt: skip


def _point(rng: random.Random, territory: int, radius_km: float) -> GeoPoint:
    """A point in the territory's quadrant, denser towards the centre (a metro region)."""
    west, south = territory % 2 == 0, territory >= 2
    distance = radius_km * math.sqrt(rng.random()) * 0.98
    angle = rng.uniform(0.05, math.pi / 2 - 0.05) + (math.pi / 2 if west else 0.0)
    if south:
        angle = -angle
    north_km, east_km = distance * math.sin(angle), distance * math.cos(angle)
    latitude = CENTER.latitude + north_km / KM_PER_DEGREE_LAT
    longitude = CENTER.longitude + east_km / (KM_PER_DEGREE_LAT * math.cos(math.radians(CENTER.latitude)))
    return GeoPoint(round(latitude, 6), round(longitude, 6))


def _technician(rng: random.Random, index: int, midnight: dt.datetime, settings: GeneratorSettings) -> Technician:
    territory = index % settings.territories
    # within a territory, technician j covers skills j, j+1 (and sometimes a third): every skill is covered twice
    local = index // settings.territories
    skills = {SKILLS[(local + offset) % len(SKILLS)]: rng.randint(2, 5) for offset in range(2)}
    if rng.random() < 0.4:
        skills.setdefault(rng.choice(SKILLS), rng.randint(1, 4))
    start = midnight + dt.timedelta(hours=SHIFT_STARTS[index % len(SHIFT_STARTS)])
    shift = Interval(start, start + dt.timedelta(hours=SHIFT_HOURS))
    lunch = BreakRule(start + dt.timedelta(hours=3.5), start + dt.timedelta(hours=6.5), 30.0)
    home = _point(rng, territory, settings.radius_km)
    time_off: tuple[Interval, ...] = ()
    if index < settings.time_off:
        off = start + dt.timedelta(hours=1 + 2 * index)
        time_off = (Interval(off, off + dt.timedelta(hours=1)),)
    return Technician(
        id=f"T{index + 1:03d}",
        skills=skills,
        territory=TERRITORIES[territory],
        shift=shift,
        home_start=home,
        home_end=home,
        break_rule=lunch,
        time_off=time_off,
        hourly_cost=float(rng.choice((55, 60, 65, 75))),
    )


def _order(
    rng: random.Random, index: int, midnight: dt.datetime, settings: GeneratorSettings, technicians: list[Technician]
) -> WorkOrder:
    territory = rng.randrange(settings.territories)
    critical = rng.random() < settings.sla_critical_share
    skill = rng.choice(SKILLS)
    required = {skill: rng.choice((1, 2, 2, 3, 3))}
    if critical:  # an SLA-critical order always has a technician in its territory who could do it
        tech = rng.choice([t for t in technicians if t.territory == TERRITORIES[territory]])
        skill = rng.choice(sorted(tech.skills))
        required = {skill: min(tech.skills[skill], rng.choice((1, 2, 3)))}
    elif rng.random() < 0.1:
        required[rng.choice([s for s in SKILLS if s != skill])] = 1
    minutes = float(rng.choice((20, 30, 30, 40, 45, 45, 60, 75)))
    day_start, day_end = midnight + dt.timedelta(hours=7.5), midnight + dt.timedelta(hours=17)
    if critical or rng.random() < 0.4:
        window = Interval(day_start, day_end - dt.timedelta(hours=1))
    else:
        begin = day_start + dt.timedelta(hours=rng.choice((0, 1, 2, 3, 4, 5, 6)))
        window = Interval(begin, begin + dt.timedelta(hours=rng.choice((2, 3, 4))))
    slack = dt.timedelta(hours=rng.choice((2.5, 3, 4)) if critical else rng.choice((1.5, 2, 3)))
    deadline = min(window.end + slack, day_end + dt.timedelta(hours=1))
    if critical:
        deadline = midnight + dt.timedelta(hours=rng.choice((13, 14, 15, 16)))
    local = [t for t in technicians if t.territory == TERRITORIES[territory]]
    able = [t.id for t in local if all(t.skills.get(s, 0) >= level for s, level in required.items())]
    preferred = frozenset(rng.sample(able, 1)) if able and rng.random() < 0.1 else frozenset()
    others = [t for t in able if t not in preferred]
    excluded = frozenset(rng.sample(others, 1)) if len(others) > 1 and rng.random() < 0.05 else frozenset()
    priorities, weights = [p for p, _ in PRIORITY_WEIGHTS], [w for _, w in PRIORITY_WEIGHTS]
    priority = Priority.HIGH if critical else rng.choices(priorities, weights)[0]
    return WorkOrder(
        id=f"WO{index + 1:04d}",
        location=_point(rng, territory, settings.radius_km),
        territory=TERRITORIES[territory],
        required_skills=required,
        standard_minutes=minutes,
        window=window,
        sla_deadline=deadline,
        priority=priority,
        sla_critical=critical,
        preferred=preferred,
        excluded=excluded,
    )


def _locked(
    rng: random.Random, orders: list[WorkOrder], technicians: list[Technician], count: int
) -> list[LockedBooking]:
    """At most one locked booking per technician, in the morning before the break window, by an eligible
    technician, starting an hour after the shift starts (plenty to get there in a 60 km region)."""
    bookings: list[LockedBooking] = []
    used: set[str] = set()
    for order in rng.sample(orders, len(orders)):
        if len(bookings) >= count:
            break
        if order.sla_critical:
            continue
        able = [
            t for t in technicians
            if t.id not in used and t.territory == order.territory and not t.time_off and t.id not in order.excluded
            and all(t.skills.get(s, 0) >= level for s, level in order.required_skills.items())
        ]  # fmt: skip
        if not able:
            continue
        tech = rng.choice(able)
        start = tech.shift.start + dt.timedelta(hours=1, minutes=rng.choice((0, 15, 30)))
        end = start + dt.timedelta(minutes=math.ceil(service_minutes(tech, order)))
        used.add(tech.id)
        bookings.append(LockedBooking(tech.id, order.id, start, end))
    return bookings


def emergency_order(
    day: FieldServiceDay, now: dt.datetime, *, seed: int = 0, order_id: str = "EMERGENCY-1"
) -> WorkOrder:
    """An emergency arriving at `now`: in a random territory, needing a skill a local technician holds, to start
    within three hours and finish within four."""
    rng = random.Random(seed)
    tech = rng.choice(day.technicians)
    territory = TERRITORIES.index(tech.territory)
    skill = rng.choice(sorted(tech.skills))
    return WorkOrder(
        id=order_id,
        location=_point(rng, territory, GeneratorSettings().radius_km),
        territory=tech.territory,
        required_skills={skill: min(2, tech.skills[skill])},
        standard_minutes=60.0,
        window=Interval(now, now + dt.timedelta(hours=3)),
        sla_deadline=now + dt.timedelta(hours=4),
        priority=Priority.EMERGENCY,
        sla_critical=True,
    )
