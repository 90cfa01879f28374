"""The day compiled for the engines: points and travel tables indexed by integers, times in minutes after an
origin, and `Visit`s (what a technician must do where, and when it may start).

Points are ordered: technicians' start bases, then their end bases, then work orders.  A time-off interval inside
a shift is spent at the start base (the technician travels there before it and leaves from there after it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from service_core.scheduling.fieldservice.model import Booking, FieldServiceDay, WorkOrder, service_minutes
from service_core.scheduling.fieldservice.plan import StopKind
from service_core.scheduling.routing.travel import GeoPoint, GreatCircleTravel, Matrix, TravelTimes


@dataclass(frozen=True, slots=True)
class Visit:
    """Something a technician does at `point` for `duration` minutes, starting in [earliest, latest_start]."""

    kind: StopKind
    order_id: str | None
    point: int
    duration: float
    earliest: float
    latest_start: float

    @property
    def fixed(self) -> bool:
        return self.kind in (StopKind.LOCKED, StopKind.IN_PROGRESS, StopKind.TIME_OFF)


@dataclass(frozen=True, slots=True)
class Network:
    day: FieldServiceDay
    origin: dt.datetime
    points: tuple[GeoPoint, ...]
    minutes: Matrix
    km: Matrix
    technician_index: dict[str, int]
    order_index: dict[str, int]

    @classmethod
    def of(cls, day: FieldServiceDay, travel: TravelTimes[GeoPoint] | None = None) -> Network:
        travel = travel or GreatCircleTravel()
        technicians, orders = day.technicians, day.work_orders
        points = (
            *(t.home_start for t in technicians),
            *(t.home_end for t in technicians),
            *(o.location for o in orders),
        )
        table = travel.table(points)
        starts = [t.shift.start for t in technicians] or [o.window.start for o in orders] or [dt.datetime.now(dt.UTC)]
        origin = min(starts).replace(minute=0, second=0, microsecond=0)
        return cls(
            day=day,
            origin=origin,
            points=points,
            minutes=np.asarray(table.duration, dtype=np.float64),
            km=np.asarray(table.distance, dtype=np.float64),
            technician_index={t.id: k for k, t in enumerate(technicians)},
            order_index={o.id: k for k, o in enumerate(orders)},
        )

    def order(self, order_id: str) -> WorkOrder:
        return self.day.work_orders[self.order_index[order_id]]

    def at(self, moment: dt.datetime) -> float:
        """Minutes after the origin."""
        return (moment - self.origin).total_seconds() / 60.0

    def moment(self, minutes: float) -> dt.datetime:
        return self.origin + dt.timedelta(minutes=minutes)

    def start_point(self, technician: int) -> int:
        return technician

    def end_point(self, technician: int) -> int:
        return len(self.day.technicians) + technician

    def order_point(self, order_id: str) -> int:
        return 2 * len(self.day.technicians) + self.order_index[order_id]

    def shift(self, technician: int) -> tuple[float, float]:
        shift = self.day.technicians[technician].shift
        return self.at(shift.start), self.at(shift.end)

    def work_visit(self, technician: int, order: WorkOrder, *, not_before: float | None = None) -> Visit:
        """The order done by this technician: its own duration, its start bounded by the window and the SLA."""
        duration = service_minutes(self.day.technicians[technician], order)
        earliest = self.at(order.window.start)
        if not_before is not None:
            earliest = max(earliest, not_before)
        latest = min(self.at(order.window.end), self.at(order.sla_deadline) - duration)
        return Visit(StopKind.WORK, order.id, self.order_point(order.id), duration, earliest, latest)

    def booking_visit(self, booking: Booking, kind: StopKind) -> Visit:
        start, end = self.at(booking.start), self.at(booking.end)
        return Visit(kind, booking.work_order_id, self.order_point(booking.work_order_id), end - start, start, start)

    def fixed_visits(self, technician: int) -> list[Visit]:
        """Locked and in-progress bookings and time off of one technician, in time order."""
        tech = self.day.technicians[technician]
        visits = [self.booking_visit(b, StopKind.LOCKED) for b in self.day.locked if b.technician_id == tech.id]
        visits += [
            self.booking_visit(b, StopKind.IN_PROGRESS) for b in self.day.in_progress if b.technician_id == tech.id
        ]
        shift_start, shift_end = self.shift(technician)
        for interval in tech.time_off:
            start, end = max(self.at(interval.start), shift_start), min(self.at(interval.end), shift_end)
            if end > start:
                visits.append(Visit(StopKind.TIME_OFF, None, self.start_point(technician), end - start, start, start))
        return sorted(visits, key=lambda visit: visit.earliest)

    def booked_order_ids(self) -> set[str]:
        return {booking.work_order_id for booking in self.day.bookings}
