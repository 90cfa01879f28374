"""A causal univariate anomaly detector: each score uses only the current and past values of its series.

Four raw features are computed at every step against a trailing window of the series' own history (the level,
a short-term level shift, a new extreme beyond the range seen so far, a change of local variability).  Each
feature is turned into its empirical CDF against that feature's own past values, so one threshold suits any
series; the anomaly score is the largest of them, and an alarm is held down for a rest period after it fires
so that one event yields one detection.  With a seasonal period, an event is also held down when one as large
happened at the same time of day one day or one week before (a daily job is not an anomaly every day).
`update` takes one value and returns its score in [0, 1].
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

TINY = 1e-9


@dataclass(frozen=True, slots=True)
class StreamingConfig:
    """Window lengths in rows; a score passes only when it tops every score of the `rest` rows before it by
    `margin` (others are multiplied by `damping`); `decades` of tail probability map to a score of 1; `offset` is
    added to the features before their log is taken; `period` (rows, 0 for none) adds seasonal features, and then
    a score must also top by `margin` the scores within `lag_tolerance` rows of the same time `lags` periods ago."""

    window: int = 400
    short: int = 5
    warmup: int = 30
    history: int = 5000
    rest: int = 100
    damping: float = 0.0
    decades: float = 15.0
    period: int = 0
    offset: float = 0.5
    margin: float = 0.01
    lags: tuple[int, ...] = (1, 7)
    lag_tolerance: int = 5


@dataclass(slots=True)
class _RunningWindow:
    """Sum and sum of squares of the last `size` values."""

    size: int
    values: deque[float] = field(default_factory=deque)
    total: float = 0.0
    squares: float = 0.0

    def push(self, value: float) -> None:
        self.values.append(value)
        self.total += value
        self.squares += value * value
        if len(self.values) > self.size:
            old = self.values.popleft()
            self.total -= old
            self.squares -= old * old

    def mean(self) -> float:
        return self.total / len(self.values) if self.values else 0.0

    def std(self) -> float:
        if len(self.values) < 2:
            return 0.0
        mean = self.mean()
        return math.sqrt(max(self.squares / len(self.values) - mean * mean, 0.0))


@dataclass(slots=True)
class _LogTail:
    """Upper-tail surprise of a non-negative feature: a Gaussian fitted to log(feature) over its recent past."""

    window: _RunningWindow
    decades: float
    offset: float

    def surprise(self, value: float) -> float:
        """-log10 of the upper tail probability, scaled so that `decades` decades give 1."""
        if len(self.window.values) < 10:
            return 0.0
        z = (math.log(value + self.offset) - self.window.mean()) / (self.window.std() + 1e-3)
        tail = 0.5 * math.erfc(z / math.sqrt(2.0))
        return min(-math.log10(max(tail, 1e-300)) / self.decades, 1.0)

    def push(self, value: float) -> None:
        self.window.push(math.log(value + self.offset))


class StreamingDetector:
    """Score one value at a time from the series' own past; no value after the current one is ever used."""

    def __init__(self, config: StreamingConfig | None = None) -> None:
        self.config = config or StreamingConfig()
        self._long = _RunningWindow(self.config.window)
        self._short = _RunningWindow(self.config.short)
        self._low = math.inf
        self._high = -math.inf
        self._lagged: deque[float] = deque(maxlen=max(self.config.period, 1))
        self._seasonal = _RunningWindow(self.config.window)
        self._seasonal_short = _RunningWindow(self.config.short)
        count = 6 if self.config.period > 0 else 4
        self._tails = [
            _LogTail(_RunningWindow(self.config.history), self.config.decades, self.config.offset) for _ in range(count)
        ]
        self._recent_scores: deque[float] = deque(maxlen=self.config.rest)
        self._past_scores = _ScoreHistory(
            self.config.period * max(self.config.lags, default=0) + self.config.lag_tolerance + 1
            if self.config.period > 0
            else 0
        )
        self._seen = 0

    def update(self, value: float) -> float:
        """Score `value` (then learn it); the result is in [0, 1]."""
        features = self._features(value)
        self._learn(value)
        if features is None:
            return 0.0
        score = max(tail.surprise(f) for tail, f in zip(self._tails, features, strict=True))
        for tail, f in zip(self._tails, features, strict=True):
            tail.push(f)
        return self._throttle(score)

    def _features(self, value: float) -> list[float] | None:
        if self._seen < self.config.warmup:
            return None
        features = self._plain_features(value)
        if self.config.period > 0:
            if len(self._lagged) < self.config.period or len(self._seasonal.values) < self.config.warmup:
                return None
            features.extend(self._seasonal_features(value - self._lagged[0]))
        return features

    def _seasonal_features(self, change: float) -> list[float]:
        """Level and short-term shift of the change since one period ago."""
        mean, std = self._seasonal.mean(), self._seasonal.std()
        scale = std + TINY + 1e-3 * abs(self._long.mean())
        recent = (self._seasonal_short.total + change - self._seasonal_short.values[0]) / len(
            self._seasonal_short.values
        )
        return [abs(change - mean) / scale, abs(recent - mean) / scale]

    def _plain_features(self, value: float) -> list[float]:
        mean, std = self._long.mean(), self._long.std()
        scale = std + TINY + 1e-3 * abs(mean)
        level = abs(value - mean) / scale
        recent = (self._short.total + value - self._short.values[0]) / len(self._short.values)
        shift = abs(recent - mean) / scale
        span = self._high - self._low + TINY
        novelty = max(value - self._high, self._low - value, 0.0) / span
        short_std = _std_with(self._short, value)
        spread = abs(math.log((short_std + TINY + 1e-3 * scale) / (std + TINY + 1e-3 * scale)))
        return [level, shift, novelty, spread]

    def _learn(self, value: float) -> None:
        if self.config.period > 0:
            if len(self._lagged) == self.config.period:
                change = value - self._lagged[0]
                self._seasonal.push(change)
                self._seasonal_short.push(change)
            self._lagged.append(value)
        self._long.push(value)
        self._short.push(value)
        self._low = min(self._low, value)
        self._high = max(self._high, value)
        self._seen += 1

    def _throttle(self, score: float) -> float:
        """Pass a score only when it tops every score of the rest period before it and those around the same time
        one or more periods ago; damp it otherwise."""
        peak = max(self._recent_scores, default=0.0)
        self._recent_scores.append(score)
        if self.config.period > 0:
            tolerance = self.config.lag_tolerance
            for lag in self.config.lags:
                ago = lag * self.config.period
                peak = max(peak, self._past_scores.peak(ago - tolerance, ago + tolerance))
            self._past_scores.push(score)
        return score if score > peak + self.config.margin else score * self.config.damping


class _ScoreHistory:
    """The last `size` raw scores in a ring buffer, with the peak over a range of ages (1 = the latest)."""

    def __init__(self, size: int) -> None:
        self._scores = [0.0] * max(size, 1)
        self._count = 0

    def push(self, score: float) -> None:
        self._scores[self._count % len(self._scores)] = score
        self._count += 1

    def peak(self, youngest: int, oldest: int) -> float:
        """Largest score whose age lies in [youngest, oldest] (ages beyond the history are ignored)."""
        oldest = min(oldest, self._count, len(self._scores))
        youngest = max(youngest, 1)
        size = len(self._scores)
        return max((self._scores[(self._count - age) % size] for age in range(youngest, oldest + 1)), default=0.0)


def _std_with(window: _RunningWindow, value: float) -> float:
    """Standard deviation of the window's values with the oldest replaced by `value`."""
    values = [*list(window.values)[1:], value]
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


def score_series(values: list[float], config: StreamingConfig | None = None) -> list[float]:
    """Scores of a whole series, computed step by step (so causal by construction)."""
    detector = StreamingDetector(config)
    return [detector.update(v) for v in values]
