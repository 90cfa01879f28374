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
from detection.drivers import DRIVER_SIGNALS, DriverModel, warm
from detection.features import BoolArray, FloatArray, Frame, SignalModel, contributions, ewma
from detection.multivariate import IsolationForestScorer, MsetScorer, PcaResidualScorer, Scorer

SCORER_KINDS = ("pca", "mset", "iforest")
DEFAULT_KIND = "pca"  # chosen by `detection.selection.compare_scorers` on simulated data (see the bench report)
SMOOTHING_ROWS = 5
LIMIT_QUANTILE = 0.999
LIMIT_FACTOR = 1.3
# The driver model's limit is a little wider than the multivariate scorer's: it is taken from the training units'
# residuals against the type's coefficients, and each unit is then scored against coefficients adapted to its own
# gains (`UnitBaseline.drivers`).  On simulated healthy units (tuning seed, not the bench's) the adapted ratio at
# 2.5 peaked at 0.72 (5-reading hold: 0.58) over 15 unit-days.
DRIVER_LIMIT_FACTOR = 1.5
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
    drivers: DriverModel | None = None  # the type's driver model adapted to the unit's own gains


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
    drivers: DriverModel | None = None  # the operating-condition residual model (`detection.drivers`)
    driver_limit: float = 1.0

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
        smoothed = np.concatenate(
            [recent_mean(self.scorer.score(x), settled(f)) for x, f in zip(inputs, frames, strict=True) if len(x)]
        )
        self.limit = LIMIT_FACTOR * float(np.quantile(smoothed, LIMIT_QUANTILE))
        self.training_ratios = smoothed / self.limit
        self._fit_drivers(frames)
        drifts = [np.abs(ewma(self._signal_residuals(f, settled(f)), DRIFT_SPAN)) for f in frames if settled(f).any()]
        self.drift_limits = DRIFT_FACTOR * np.quantile(np.vstack(drifts), LIMIT_QUANTILE, axis=0) + 0.5

    def _fit_drivers(self, frames: Sequence[Frame]) -> None:
        """The driver model (None for an asset type without drivers) on the settled rows past each frame's warm-up,
        its limit as the multivariate scorer's, and the training ratios as the larger of the two."""
        self.drivers = DriverModel.for_signals(self.signals)
        if self.drivers is None:
            return
        parts = [self._driver_parts(f, _trusted(f), self.drivers) for f in frames]
        rows = [settled(f) & (np.arange(len(f)) >= LAG_WARMUP_ROWS) & warm(f.ts) for f in frames]
        if not any(r.any() for r in rows):
            self.drivers = None
            return
        self.drivers.fit(np.vstack([x[r] for (x, _), r in zip(parts, rows, strict=True)]),
                         np.vstack([z[r] for (_, z), r in zip(parts, rows, strict=True)]))  # fmt: skip
        smoothed = [recent_mean(self.drivers.score(x[r], z[r], _trusted(f)[r]), r)
                    for (x, z), r, f in zip(parts, rows, frames, strict=True) if r.any()]  # fmt: skip
        self.driver_limit = DRIVER_LIMIT_FACTOR * float(np.quantile(np.concatenate(smoothed), LIMIT_QUANTILE))
        combined = [np.fmax(self._ratio(f, _trusted(f), self.drivers)[settled(f)], 0.0) for f in frames]
        self.training_ratios = np.concatenate(combined)

    def _type_drivers(self) -> DriverModel | None:
        return getattr(self, "drivers", None)  # None on models stored before the driver model

    def _driver_parts(
        self, frame: Frame, distrusted: BoolArray, drivers: DriverModel
    ) -> tuple[FloatArray, FloatArray]:  # fmt: skip
        """The driver model's features and the standardised signals (missing or distrusted ones imputed)."""
        z = self._imputed(frame, distrusted)
        raw = self.stats.standardise(frame.values)
        raw[distrusted] = np.nan
        return drivers.features(frame.ts, z, raw, frame.running), z

    def _driver_ratio(
        self, frame: Frame, distrusted: BoolArray, rows: BoolArray, drivers: DriverModel | None
    ) -> FloatArray:  # fmt: skip
        """The driver model's smoothed score over its limit on `rows` (all zeros without a driver model)."""
        if drivers is None:
            return np.zeros(int(rows.sum()))
        x, z = self._driver_parts(frame, distrusted, drivers)
        score = recent_mean(drivers.score(x[rows], z[rows], distrusted[rows]), rows) / self.driver_limit
        return np.where(warm(frame.ts)[rows], score, 0.0)

    def unit_baseline(self, frame: Frame) -> UnitBaseline | None:
        """A unit's own baseline from the first `unit_learning_s` of `frame` (its earliest healthy history): the
        offset of its signals from the asset type's, the driver model adapted to its own gains (how much heat its
        load makes), and drift limits that allow for its own normal wander (never tighter than the type's); None
        when the frame does not span the learning period."""
        offset = self._unit_offset(frame)
        if offset is None:
            return None
        learning = shifted(frame, offset)
        keep = learning.running & (learning.ts < learning.ts[0] + self.unit_learning_s)
        drivers = self._unit_drivers(learning, keep)
        residuals = self._signal_residuals(learning, keep, drivers=drivers)
        own = DRIFT_FACTOR * np.quantile(np.abs(ewma(residuals, DRIFT_SPAN)), LIMIT_QUANTILE, axis=0)
        return UnitBaseline(offset, np.maximum(self.drift_limits, own + 0.5), drivers)

    def _unit_drivers(self, learning: Frame, keep: BoolArray) -> DriverModel | None:
        """The type's driver model adapted to the unit's learning rows (settled, past the companions' warm-up)."""
        drivers = self._type_drivers()
        rows = keep & settled(learning) & (np.arange(len(learning)) >= LAG_WARMUP_ROWS) & warm(learning.ts)
        if drivers is None or rows.sum() < UNIT_MIN_ROWS:
            return None
        x, z = self._driver_parts(learning, _trusted(learning), drivers)
        return drivers.adapted(x[rows], z[rows])

    def _residuals(self, frame: Frame, rows: BoolArray, distrusted: BoolArray | None = None) -> FloatArray:
        """Per-signal residuals of `rows` of `frame` (missing or distrusted values imputed)."""
        return self.stats.residuals(self._imputed(frame, distrusted)[rows])

    def _signal_residuals(
        self, frame: Frame, rows: BoolArray, distrusted: BoolArray | None = None, drivers: DriverModel | None = None
    ) -> FloatArray:  # fmt: skip
        """Per-signal residuals of `rows` of `frame` as a technician reads them: a response signal against what its
        drivers explain (`detection.drivers`), a driver (or every signal of a model without drivers) against what
        the other signals predict; missing or distrusted values imputed.  `drivers`: a unit's adapted driver model
        (None: the asset type's)."""
        out = self._residuals(frame, rows, distrusted)
        drivers = drivers or self._type_drivers()
        if drivers is not None and rows.any():
            x, z = self._driver_parts(frame, _trusted(frame) if distrusted is None else distrusted, drivers)
            keep = warm(frame.ts)[rows]
            out[np.ix_(keep, drivers.responses)] = drivers.residuals(x[rows][keep], z[rows][keep])
        return out

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

    def _ratio(self, frame: Frame, distrusted: BoolArray, drivers: DriverModel | None) -> FloatArray:
        """Smoothed equipment score over its limit on settled running rows (NaN on the others, see `settled`)."""
        ratio = np.full(len(frame), np.nan)
        rows = settled(frame)
        if rows.any():
            x = self._inputs(frame, distrusted)
            multivariate = recent_mean(self.scorer.score(x[rows]), rows) / self.limit
            ratio[rows] = np.maximum(multivariate, self._driver_ratio(frame, distrusted, rows, drivers))
        return ratio

    def score_window(self, frame: Frame, *, drift_check: bool = True, unit: UnitBaseline | None = None) -> WindowScores:
        """Score every row of `frame` from the rows up to it (give enough context rows before the new ones);
        without `drift_check` (an equipment episode is open) no signal is set aside as drifting; `unit` is the
        unit's own baseline (`unit_baseline`; None: the asset type's)."""
        frame = shifted(frame, None if unit is None else unit.offset)
        drift_limits = self.drift_limits if unit is None else unit.drift_limits
        drivers = (unit.drivers if unit is not None else None) or self._type_drivers()
        n, m = frame.values.shape
        sensor = {
            "stuck": checks.stuck(frame, self.stats),
            "dropout": checks.dropout(frame, self.stats),
            "spike": checks.spike_episodes(checks.spikes(frame, self.stats)),
        }
        distrusted = sensor["stuck"] | sensor["dropout"] | checks.first_jumps(frame, self.stats)
        residuals = np.full((n, m), np.nan)
        residuals[frame.running] = self._signal_residuals(frame, frame.running, distrusted, drivers)
        slow, fast = np.full((n, m), np.nan), np.full((n, m), np.nan)
        if frame.running.any():
            slow[frame.running] = ewma(np.nan_to_num(residuals[frame.running]), DRIFT_SPAN)
            fast[frame.running] = ewma(np.nan_to_num(residuals[frame.running]), FAST_SPAN)
        candidates = checks.drift_candidates(slow, fast, drift_limits) & frame.running[:, None] & drift_check
        aside_ratio = np.full((n, m), np.inf)  # the score with one candidate set aside: the best one explains it
        for j in np.nonzero(candidates.any(axis=0))[0]:
            aside = distrusted.copy()
            aside[:, j] = True
            aside_ratio[:, j] = np.where(
                candidates[:, j], np.nan_to_num(self._ratio(frame, aside, drivers), nan=np.inf), np.inf
            )
        best = aside_ratio == aside_ratio.min(axis=1, keepdims=True)
        sensor["drift"] = np.asarray(candidates & best & (aside_ratio < 1.0), dtype=np.bool_)
        ratio_all = self._ratio(frame, distrusted, drivers)
        ratio = self._ratio(frame, distrusted | sensor["drift"], drivers) if sensor["drift"].any() else ratio_all
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


def recent_mean(scores: FloatArray, rows: BoolArray, width: int = SMOOTHING_ROWS) -> FloatArray:
    """The smoothed score of each of `rows` (`scores`: one per row of `rows`): the mean of the scores of `rows`
    among the last `width` rows of the frame, itself included.  Smoothing over the last rows in time, not over
    the last scored rows: after a stop the machine's new run is not averaged with the scores of the run before it,
    hours earlier perhaps, or with a window's first rows (whose slow features have not warmed up; a long stop in
    the live detector's context left only those to average with, and a healthy start raised a condition)."""
    full = np.zeros(len(rows))
    full[rows] = scores
    totals = np.cumsum(np.r_[0.0, full])
    counts = np.cumsum(np.r_[0, rows.astype(np.int64)])
    index = np.arange(1, len(rows) + 1)
    start = np.maximum(index - width, 0)
    mean = (totals[index] - totals[start]) / np.maximum(counts[index] - counts[start], 1)
    return np.asarray(mean[rows], dtype=np.float64)


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
    # pressure tells a leak from a restriction: a leak loses pressure with the flow (the load then looks high
    # against both, so the current may lead), a restriction builds pressure up as the flow falls
    pressure, flow = named.get("pressure", 0.0), named.get("flow", 0.0)
    if pressure < 0 and flow <= 0 and leading in ("pressure", "flow", "suction_pressure", "current"):
        return "pressure_loss"
    if flow < 0 and (pressure > 0 or named.get("current", 0.0) > 0):
        return "flow_restriction"
    if leading.endswith("temperature") and leading not in DRIVER_SIGNALS and named[leading] > 0:
        return "overheating"
    return "anomaly"


def severity(ratio: float) -> str:
    """warning from the limit, major from twice it, critical from four times."""
    if ratio >= 4.0:
        return "critical"
    return "major" if ratio >= 2.0 else "warning"
