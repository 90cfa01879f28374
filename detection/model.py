"""The per-asset-type detection model: healthy statistics (`SignalModel`), a multivariate scorer from
`detection.multivariate`, and limits taken from the training rows' own score distribution (never from fault
labels).  `score_window` scores a window of one device's rows: equipment score ratio (smoothed score over its
limit; NaN while stopped and on the first reading after a start), per-signal contributions and residuals, and
the sensor-check flags.  A unit's own baseline (`unit_baseline`: its signal levels and drift limits from its first
day of healthy history) takes its nameplate and site differences out, so a new unit of a known type does not look
anomalous; the model is fitted the same way (each training unit through its own baseline).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from detection import checks
from detection.features import BoolArray, FloatArray, Frame, SignalModel, contributions, ewma
from detection.multivariate import IsolationForestScorer, MsetScorer, PcaResidualScorer, Scorer, trailing_mean

SCORER_KINDS = ("pca", "mset", "iforest")
DEFAULT_KIND = "pca"  # chosen by `detection.selection.compare_scorers` on simulated data (see the bench report)
SMOOTHING_ROWS = 5
LIMIT_QUANTILE = 0.999
LIMIT_FACTOR = 1.3
DRIFT_SPAN = 20
FAST_SPAN = 3
DRIFT_FACTOR = 1.5
UNIT_LEARNING_S = 24 * 3600.0  # each unit's own baseline: its first day of healthy history (a whole daily cycle)
UNIT_MIN_ROWS = 100
# Slow companions of every signal (causal EWMAs over all rows, stopped ones too), scored next to the signals: a
# machine's temperature follows its load through a thermal lag of many minutes, so what the load did lately
# explains it far better than the load now, and heat without that load history (lost cooling) stands out.
LAG_SPANS = (20, 80)
LAG_WARMUP_ROWS = 3 * max(LAG_SPANS)  # rows of history the slowest companion needs to forget its start


def make_scorer(kind: str) -> Scorer:
    if kind == "pca":
        return PcaResidualScorer(variance=0.95)
    if kind == "mset":
        return MsetScorer(memory_size=300)
    if kind == "iforest":
        return IsolationForestScorer(trees=150)
    raise ValueError(f"unknown scorer kind {kind!r}; expected one of {', '.join(SCORER_KINDS)}")


@dataclass(frozen=True, slots=True)
class WindowScores:
    """Scores of the rows of a window (see `AssetTypeModel.score_window`)."""

    ratio: FloatArray  # smoothed equipment score / limit, drifting signals set aside; NaN on stopped rows
    ratio_all: FloatArray  # the same with drifting signals kept (used while an equipment episode is open)
    residuals: FloatArray  # rows x signals, signed, in residual standard deviations
    shares: FloatArray  # rows x signals, contributions (sum 1 on running rows)
    sensor: dict[str, BoolArray]  # check -> rows x signals


@dataclass(frozen=True, slots=True)
class UnitBaseline:
    """One unit's own baseline (see `AssetTypeModel.unit_baseline`)."""

    offset: FloatArray  # per signal, its level less the asset type's
    drift_limits: FloatArray


@dataclass(slots=True)
class AssetTypeModel:
    asset_type: str
    kind: str
    signals: list[str]
    stats: SignalModel = field(init=False)
    scorer: Scorer = field(init=False)
    limit: float = 1.0
    drift_limits: FloatArray = field(default_factory=lambda: np.ones(0))
    training_ratios: FloatArray = field(default_factory=lambda: np.zeros(0))
    unit_learning_s: float = UNIT_LEARNING_S
    lag_spans: tuple[int, ...] = LAG_SPANS

    def fit(self, frames: Sequence[Frame]) -> None:
        """Fit on healthy frames of several devices of this asset type, each seen through its own unit baseline
        (see `unit_offset`) when its frame spans the learning period."""
        self.stats = SignalModel(self.signals)
        self.stats.fit(frames)
        if self.unit_learning_s > 0:
            frames = [shifted(f, self._unit_offset(f)) for f in frames]
            self.stats.fit(frames)
        inputs = [self._inputs(f, _trusted(f))[settled(f)] for f in frames]
        self.scorer = make_scorer(self.kind)
        self.scorer.fit(np.vstack(inputs))
        smoothed = np.concatenate([trailing_mean(self.scorer.score(x), SMOOTHING_ROWS) for x in inputs if len(x)])
        self.limit = LIMIT_FACTOR * float(np.quantile(smoothed, LIMIT_QUANTILE))
        self.training_ratios = smoothed / self.limit
        drifts = [np.abs(ewma(self._residuals(f, settled(f)), DRIFT_SPAN)) for f in frames if settled(f).any()]
        self.drift_limits = DRIFT_FACTOR * np.quantile(np.vstack(drifts), LIMIT_QUANTILE, axis=0) + 0.5

    def unit_baseline(self, frame: Frame) -> UnitBaseline | None:
        """A unit's own baseline from the first `unit_learning_s` of `frame` (its earliest healthy history): the
        offset of its signals from the asset type's, and drift limits that allow for its own normal wander (never
        tighter than the type's); None when the frame does not span the learning period."""
        offset = self._unit_offset(frame)
        if offset is None:
            return None
        learning = shifted(frame, offset)
        keep = learning.running & (learning.ts < learning.ts[0] + self.unit_learning_s)
        residuals = self._residuals(learning, keep)
        own = DRIFT_FACTOR * np.quantile(np.abs(ewma(residuals, DRIFT_SPAN)), LIMIT_QUANTILE, axis=0)
        return UnitBaseline(offset, np.maximum(self.drift_limits, own + 0.5))

    def _residuals(self, frame: Frame, rows: BoolArray, distrusted: BoolArray | None = None) -> FloatArray:
        """Per-signal residuals of `rows` of `frame` (missing or distrusted values imputed)."""
        return self.stats.residuals(self._imputed(frame, distrusted)[rows])

    def _unit_offset(self, frame: Frame) -> FloatArray | None:
        """Per signal, the mean of the running rows over the first `unit_learning_s` of `frame` minus the asset
        type's mean (0 for a signal it lacks); None when the frame does not span the learning period or has too
        few running rows in it."""
        learning_s = float(getattr(self, "unit_learning_s", 0.0))  # 0 on models stored before unit baselines
        if learning_s <= 0 or not len(frame) or frame.ts[-1] - frame.ts[0] < learning_s:
            return None
        rows = frame.values[frame.running & (frame.ts < frame.ts[0] + learning_s)]
        if len(rows) < UNIT_MIN_ROWS:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            own = np.nanmean(rows, axis=0)
        return np.asarray(np.nan_to_num(own - self.stats.mean), dtype=np.float64)

    def _imputed(self, frame: Frame, distrusted: BoolArray | None = None) -> FloatArray:
        z = self.stats.standardise(frame.values)
        bad = np.isnan(z) if distrusted is None else (np.isnan(z) | distrusted)
        return self.stats.impute(np.nan_to_num(z), bad)

    def _companions(self, frame: Frame, z: FloatArray, distrusted: BoolArray) -> FloatArray | None:
        """The slow companions of the signals (see `LAG_SPANS`): per span, EWMAs over every row of the standardised
        values, on running rows as scored (`z`: missing or distrusted values imputed from the other signals, so a
        signal set aside leaves no trace in its companions either) and on stopped rows as read (a missing or
        distrusted value keeping the level); None for models without `lag_spans`."""
        spans = tuple(getattr(self, "lag_spans", ()))  # () on models stored before the companions
        if not spans or not len(frame):
            return None
        raw = self.stats.standardise(frame.values)
        raw[distrusted] = np.nan
        series = np.where(frame.running[:, None], z, raw)
        start = np.nan_to_num(series[0])
        return np.hstack([ewma(series, span, start=start) for span in spans])

    def _inputs(self, frame: Frame, distrusted: BoolArray) -> FloatArray:
        """What the scorer sees per row: the standardised signals (missing or distrusted ones imputed) and their
        slow companions."""
        z = self._imputed(frame, distrusted)
        lags = self._companions(frame, z, distrusted)
        return z if lags is None else np.hstack([z, lags])

    def _ratio(self, frame: Frame, distrusted: BoolArray) -> FloatArray:
        """Smoothed equipment score over its limit on settled running rows (NaN on the others, see `settled`)."""
        ratio = np.full(len(frame), np.nan)
        rows = settled(frame)
        if rows.any():
            x = self._inputs(frame, distrusted)
            ratio[rows] = trailing_mean(self.scorer.score(x[rows]), SMOOTHING_ROWS) / self.limit
        return ratio

    def score_window(self, frame: Frame, *, drift_check: bool = True, unit: UnitBaseline | None = None) -> WindowScores:
        """Score every row of `frame` from the rows up to it (give enough context rows before the new ones);
        without `drift_check` (an equipment episode is open) no signal is set aside as drifting; `unit` is the
        unit's own baseline (`unit_baseline`; None: the asset type's)."""
        frame = shifted(frame, None if unit is None else unit.offset)
        drift_limits = self.drift_limits if unit is None else unit.drift_limits
        n, m = frame.values.shape
        sensor = {
            "stuck": checks.stuck(frame, self.stats),
            "dropout": checks.dropout(frame, self.stats),
            "spike": checks.spike_episodes(checks.spikes(frame, self.stats)),
        }
        distrusted = sensor["stuck"] | sensor["dropout"] | checks.first_jumps(frame, self.stats)
        residuals = np.full((n, m), np.nan)
        residuals[frame.running] = self._residuals(frame, frame.running, distrusted)
        slow, fast = np.full((n, m), np.nan), np.full((n, m), np.nan)
        if frame.running.any():
            slow[frame.running] = ewma(np.nan_to_num(residuals[frame.running]), DRIFT_SPAN)
            fast[frame.running] = ewma(np.nan_to_num(residuals[frame.running]), FAST_SPAN)
        candidates = checks.drift_candidates(slow, fast, drift_limits) & frame.running[:, None] & drift_check
        aside_ratio = np.full((n, m), np.inf)  # the score with one candidate set aside: the best one explains it
        for j in np.nonzero(candidates.any(axis=0))[0]:
            aside = distrusted.copy()
            aside[:, j] = True
            aside_ratio[:, j] = np.where(candidates[:, j], np.nan_to_num(self._ratio(frame, aside), nan=np.inf), np.inf)
        best = aside_ratio == aside_ratio.min(axis=1, keepdims=True)
        sensor["drift"] = np.asarray(candidates & best & (aside_ratio < 1.0), dtype=np.bool_)
        ratio_all = self._ratio(frame, distrusted)
        ratio = self._ratio(frame, distrusted | sensor["drift"]) if sensor["drift"].any() else ratio_all
        shares = np.zeros((n, m))
        if not frame.running.any():
            return WindowScores(ratio=ratio, ratio_all=ratio_all, residuals=residuals, shares=shares, sensor=sensor)
        shares[frame.running] = contributions(np.nan_to_num(residuals[frame.running]))
        return WindowScores(ratio=ratio, ratio_all=ratio_all, residuals=residuals, shares=shares, sensor=sensor)


def _trusted(frame: Frame) -> BoolArray:
    return np.zeros(frame.values.shape, dtype=np.bool_)


def settled(frame: Frame) -> BoolArray:
    """Running rows but the first of each run: the reading right after a start catches the physics moving
    (pressure and temperature lag the load), so the equipment score skips it (the first row of a frame counts as
    settled: the live detector's windows start with context rows)."""
    started = frame.running & ~np.r_[True, frame.running[:-1]]
    if len(frame):
        started[0] = False
    return np.asarray(frame.running & ~started, dtype=np.bool_)


def shifted(frame: Frame, offset: FloatArray | None) -> Frame:
    """The frame with a unit's offset taken off its running rows (stopped rows have no load to compare)."""
    if offset is None:
        return frame
    return Frame(frame.ts, frame.values - np.outer(frame.running, offset), frame.running)


def health_score(ratio: float) -> int:
    """0-100 from the equipment score ratio r (score / limit): 100 / (1 + r^2): 100 healthy, 50 at the limit,
    20 at twice it.  A stopped machine (NaN) keeps 100: nothing speaks against it."""
    if not np.isfinite(ratio):
        return 100
    return round(100.0 / (1.0 + max(ratio, 0.0) ** 2))


# Failure modes told apart by which signals disagree and in which direction (signal names of the device
# profiles).  What a single leading signal cannot tell (e.g. bearing wear from a loose mount) stays generic.
def failure_mode(signals: Sequence[str], shares: FloatArray, residuals: FloatArray) -> str:
    order = np.argsort(shares)[::-1]
    top = [(signals[i], float(residuals[i])) for i in order[:3] if shares[i] >= 0.1]
    named = dict(top)
    leading = top[0][0] if top else ""
    if named.get("vibration_rms", 0.0) > 0 and leading in ("vibration_rms", "temperature"):
        return "vibration_high"
    if named.get("current_imbalance", 0.0) > 0 and leading in ("current_imbalance", "current"):
        return "electrical_imbalance"
    if named.get("flow", 0.0) < 0 and (named.get("pressure", 0.0) > 0 or named.get("current", 0.0) > 0):
        return "flow_restriction"
    if named.get("pressure", 0.0) < 0 and leading in ("pressure", "flow", "suction_pressure"):
        return "pressure_loss"
    if leading.endswith("temperature") and named[leading] > 0:
        return "overheating"
    return "anomaly"


def severity(ratio: float) -> str:
    """warning from the limit, major from twice it, critical from four times."""
    if ratio >= 4.0:
        return "critical"
    return "major" if ratio >= 2.0 else "warning"
