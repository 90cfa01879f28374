"""How far apart and how long between places: the seam where a routing engine (OSRM, ...) can replace the
straight-line estimates used here.  A `TravelTimes` gives a full table for a list of points."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_KM = 6371.0088
MINUTES_PER_HOUR = 60.0

Matrix = npt.NDArray[np.float64]
PointT_contra = TypeVar("PointT_contra", contravariant=True)


@dataclass(frozen=True, slots=True)
class PlanePoint:
    """A point in the plane of a benchmark instance (unitless coordinates)."""

    x: float
    y: float


@dataclass(frozen=True, slots=True)
class GeoPoint:
    """A point on Earth in decimal degrees."""

    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class TravelTable:
    """`distance[i, j]` and `duration[i, j]` from point i to point j (square, zero diagonal)."""

    distance: Matrix
    duration: Matrix


class TravelTimes(Protocol[PointT_contra]):
    def table(self, points: Sequence[PointT_contra]) -> TravelTable:
        """Distances and durations between every pair of `points`."""
        ...


@dataclass(frozen=True, slots=True)
class EuclideanTravel:
    """VRPTW benchmarks: straight-line distance, travelled at one unit of distance per unit of time."""

    def table(self, points: Sequence[PlanePoint]) -> TravelTable:
        coordinates = np.array([(point.x, point.y) for point in points], dtype=np.float64).reshape(-1, 2)
        deltas = coordinates[:, None, :] - coordinates[None, :, :]
        distance = np.sqrt((deltas**2).sum(axis=2))
        return TravelTable(distance=distance, duration=distance.copy())


@dataclass(frozen=True, slots=True)
class GreatCircleTravel:
    """Field service: great-circle kilometres times a road factor; minutes at an average road speed."""

    road_factor: float = 1.3
    speed_kmh: float = 40.0

    def __post_init__(self) -> None:
        if self.road_factor < 1.0 or self.speed_kmh <= 0.0:
            raise ValueError("road_factor must be >= 1 and speed_kmh > 0")

    def table(self, points: Sequence[GeoPoint]) -> TravelTable:
        road_km = great_circle_km(points) * self.road_factor
        return TravelTable(distance=road_km, duration=road_km / self.speed_kmh * MINUTES_PER_HOUR)


def great_circle_km(points: Sequence[GeoPoint]) -> Matrix:
    """Haversine distances in kilometres between every pair of points."""
    degrees = np.array([(point.latitude, point.longitude) for point in points], dtype=np.float64).reshape(-1, 2)
    latitude, longitude = np.radians(degrees[:, 0]), np.radians(degrees[:, 1])
    half_dlat = (latitude[:, None] - latitude[None, :]) / 2.0
    half_dlon = (longitude[:, None] - longitude[None, :]) / 2.0
    cosines = np.cos(latitude)[:, None] * np.cos(latitude)[None, :]
    haversine = np.sin(half_dlat) ** 2 + cosines * np.sin(half_dlon) ** 2
    central_angle: Matrix = 2.0 * np.arcsin(np.sqrt(np.clip(haversine, 0.0, 1.0)))
    return EARTH_RADIUS_KM * central_angle
