"""The travel-time seam: Euclidean for VRPTW benchmarks, great circle x road factor / speed for field service."""

from __future__ import annotations

import numpy as np
import pytest

from service_core.scheduling.routing import EuclideanTravel, GeoPoint, GreatCircleTravel, PlanePoint, TravelTimes


def test_euclidean_distance_equals_duration() -> None:
    table = EuclideanTravel().table([PlanePoint(0, 0), PlanePoint(3, 4), PlanePoint(1, 1)])
    assert table.distance[0, 1] == pytest.approx(5.0)
    assert table.distance[0, 2] == pytest.approx(2**0.5)
    assert np.array_equal(table.distance, table.duration)
    assert np.all(np.diag(table.distance) == 0)


def test_great_circle_paris_to_london_with_road_factor_and_speed() -> None:
    travel: TravelTimes[GeoPoint] = GreatCircleTravel(road_factor=1.25, speed_kmh=50.0)
    table = travel.table([GeoPoint(48.8566, 2.3522), GeoPoint(51.5074, -0.1278)])
    straight_km = 343.5
    assert table.distance[0, 1] == pytest.approx(straight_km * 1.25, rel=0.005)
    assert table.duration[0, 1] == pytest.approx(straight_km * 1.25 / 50.0 * 60.0, rel=0.005)
    assert table.distance[1, 0] == pytest.approx(table.distance[0, 1])


def test_great_circle_refuses_a_road_factor_below_one() -> None:
    with pytest.raises(ValueError, match="road_factor"):
        GreatCircleTravel(road_factor=0.9)
