"""The streaming detector is causal, bounded and reacts to a level shift."""

import numpy as np

from detection.evaluate.nab import daily_period
from detection.streaming import StreamingConfig, StreamingDetector, score_series


def series(length: int = 1500, seed: int = 3) -> list[float]:
    rng = np.random.default_rng(seed)
    return (10 + np.sin(np.arange(length) / 20) + rng.normal(0, 0.3, length)).tolist()


def test_score_at_t_does_not_depend_on_future_values():
    values = series()
    t = 900
    changed = values[: t + 1] + (np.array(values[t + 1 :]) * 5 + 100).tolist()
    for config in (StreamingConfig(), StreamingConfig(period=126)):
        original, altered = score_series(values, config), score_series(changed, config)
        assert original[: t + 1] == altered[: t + 1]
        assert original[t + 1 :] != altered[t + 1 :]


def test_scores_are_in_unit_interval():
    scores = score_series(series(), StreamingConfig(period=126))
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_level_shift_scores_above_everything_before_it():
    values = series()
    shifted = values[:1000] + [v + 8 for v in values[1000:]]
    scores = score_series(shifted)
    assert max(scores[1000:1010]) > max(scores[200:1000])


def test_update_matches_batch_scoring():
    values = series(400)
    detector = StreamingDetector()
    assert [detector.update(v) for v in values] == score_series(values)


def test_daily_period_from_timestamp_spacing():
    stamps = [f"2020-01-01 {h:02d}:{m:02d}:00" for h in range(24) for m in range(0, 60, 5)]
    assert daily_period(stamps, probation=500) == 288
    assert daily_period(stamps, probation=100) == 0
