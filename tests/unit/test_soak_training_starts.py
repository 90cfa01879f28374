"""The soak's training units together see every hour of the daily cycle (`simulators.soak.setup.training_starts`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from simulators.soak.setup import training_starts

END = datetime(2026, 12, 6, 13, 31, tzinfo=UTC)


def _hours_covered(starts: list[datetime], hours: float) -> set[int]:
    """Whole hours of the day (UTC) inside at least one unit's history, sampled every minute."""
    covered = set()
    for start in starts:
        for minute in range(int(hours * 60)):
            covered.add((start + timedelta(minutes=minute)).hour)
    return covered


def test_eight_units_of_three_hours_cover_the_whole_day() -> None:
    starts = training_starts(8, 3.0, end=END)
    assert len(starts) == 8
    assert starts[0] == END - timedelta(hours=3)  # the first unit's history ends at the training end
    assert max(starts) + timedelta(hours=3) == END  # none ends after it
    assert _hours_covered(starts, 3.0) == set(range(24))


def test_fewer_units_leave_gaps_between_evenly_spaced_histories() -> None:
    starts = training_starts(2, 3.0, end=END)
    assert starts[1] - starts[0] == -timedelta(hours=12)
    assert len(_hours_covered(starts, 3.0)) < 24
