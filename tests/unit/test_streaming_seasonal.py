"""The streaming detector holds down an event that recurs at the same time of day; other events still pass."""

import numpy as np

from detection.streaming import StreamingConfig, _ScoreHistory, score_series

PERIOD = 288


def daily_series(days: int = 12, seed: int = 5) -> list[float]:
    rng = np.random.default_rng(seed)
    rows = PERIOD * days
    return (10 + np.sin(2 * np.pi * np.arange(rows) / PERIOD) + rng.normal(0, 0.2, rows)).tolist()


def test_a_daily_job_is_flagged_the_first_day_and_mostly_held_down_after():
    values = daily_series()
    spike_rows = [PERIOD * day + 40 for day in range(4, 12)]
    for row in spike_rows:
        values[row] += 6.0
    seasonal = score_series(values, StreamingConfig(period=PERIOD))
    plain = score_series(values, StreamingConfig(period=PERIOD, lags=()))
    later = spike_rows[1:]
    assert min(plain[r] for r in later) > 0.3
    held_down = [r for r in later if seasonal[r] == 0.0]
    assert len(held_down) >= len(later) // 2 + 1
    assert all(seasonal[r] in (0.0, plain[r]) for r in later)
    assert seasonal[spike_rows[0]] > 0.3


def test_an_event_at_another_time_of_day_still_passes():
    values = daily_series()
    for day in range(4, 11):
        values[PERIOD * day + 40] += 6.0
    values[PERIOD * 11 + 200] += 6.0
    scores = score_series(values, StreamingConfig(period=PERIOD))
    assert scores[PERIOD * 11 + 200] > 0.3


def test_score_history_peak_by_age():
    history = _ScoreHistory(5)
    for score in (0.1, 0.9, 0.2, 0.3, 0.4, 0.5):
        history.push(score)
    assert history.peak(1, 1) == 0.5
    assert history.peak(4, 5) == 0.9
    assert history.peak(5, 9) == 0.9
    assert history.peak(6, 9) == 0.0
    assert history.peak(0, 2) == 0.5
