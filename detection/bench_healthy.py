"""The detection benchmark's long healthy-fleet run: many never-faulted units simulated for days each, scored in
memory by the live detector's own code (`live.score_rows`: the model, the sensor checks, the episode hysteresis),
in batches of `POLL_ROWS` new rows after the same `live.CONTEXT_ROWS` context rows as live, into a tally instead
of the conditions service.  Every condition raised is counted as a false work order (an upper bound: a rule might
open no work for it).  The simulated time runs as fast as the CPU allows (30 days of a unit in seconds): the
detector sees the same readings, in the same order, with the same context as it would live; every score is
causal and its slowest memory (an EWMA of span 80) has forgotten all but e^-6 of where a window starts after the
context rows, so it does not depend on the batch size; what does (whether an open equipment episode holds the
drift check off) is decided per batch here, per poll (one or two rows) live.

Each unit first has `model.unit_learning_s` of history its own baseline is learned from (commissioning); the
asset-days counted are those scored after it.  Units run in parallel worker processes.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from detection import bench_score, live
from detection.episodes import EpisodeFeeder
from detection.features import Frame
from detection.model import AssetTypeModel
from detection.readings import Watched
from detection.simdata import frame_of, simulate
from service_core.conditions.schemas import ConditionReport
from simulators.devices import DeviceSpec

POLL_ROWS = 720  # new rows per device per simulated poll (six hours at 30 s), after `live.CONTEXT_ROWS` context rows


@dataclass(slots=True)
class TallySink:
    """Conditions kept in memory: one open per (asset, failure mode), like the conditions service."""

    open: set[tuple[int, str]] = field(default_factory=set)
    raised: list[tuple[str, str, datetime, str]] = field(default_factory=list)  # category, mode, time, signal

    def report(self, report_in: ConditionReport) -> int | None:
        key = (report_in.asset_id, report_in.failure_mode)
        if key in self.open:
            return None
        self.open.add(key)
        signal = str(report_in.evidence.get("signal") or "")
        self.raised.append((report_in.category, report_in.failure_mode, report_in.at, signal))
        return len(self.raised)

    def clear(self, *, asset_id: int, failure_mode: str, at: datetime) -> bool:
        if (asset_id, failure_mode) not in self.open:
            return False
        self.open.discard((asset_id, failure_mode))
        return True


@dataclass(frozen=True, slots=True)
class HealthyUnit:
    spec: DeviceSpec
    model: AssetTypeModel
    seed: int
    start: datetime
    interval_s: float
    days: float
    config: live.DetectorConfig = field(default_factory=live.DetectorConfig)


def score_unit(unit: HealthyUnit) -> dict[str, Any]:
    """Simulate one healthy unit (learning period, then `days`) and score it as the live detector would."""
    model = unit.model
    learning_s = float(getattr(model, "unit_learning_s", 0.0))
    samples = int((learning_s + unit.days * 86400) / unit.interval_s)
    frame = frame_of(simulate(unit.spec, [], seed=unit.seed, start=unit.start, interval_s=unit.interval_s,
                              samples=samples), model.signals)  # fmt: skip
    split = unit.start.timestamp() + learning_s
    unit_baseline = model.unit_baseline(_rows(frame, frame.ts <= split + 600.0))
    context, scored = _rows(frame, frame.ts < split).tail(live.CONTEXT_ROWS), _rows(frame, frame.ts >= split)
    sink = TallySink()
    device = Watched(1, 1, unit.spec.asset_type)
    feeder = EpisodeFeeder(sink, {}, unit.config, polled_at=datetime.now(UTC))
    for first in range(0, len(scored), POLL_ROWS):
        batch = _rows(scored, np.arange(len(scored)) // POLL_ROWS == first // POLL_ROWS)
        context = live.score_rows(
            model, "bench", device, context=context, frame=batch, feeder=feeder, unit=unit_baseline
        )
    baseline = bench_score.baseline_alarms(model, scored, unit.spec.key, on_delay_s=bench_score.BASELINE_ON_DELAY_S,
                                           off_delay_s=unit.config.off_delay_s)  # fmt: skip
    return {
        "key": unit.spec.key,
        "days": (float(scored.ts[-1]) - split) / 86400 if len(scored) else 0.0,
        "own_baseline": unit_baseline is not None,
        "raised": [(c, f"{m}:{s}" if s else m) for c, m, _, s in sink.raised],
        "baseline_alarms": len(baseline),
    }


def _rows(frame: Frame, keep: Any) -> Frame:
    return Frame(frame.ts[keep], frame.values[keep], frame.running[keep])


def run_healthy_fleet(
    models: dict[str, AssetTypeModel], *, per_type: int, days: float, seed: int, end: datetime, interval_s: float,
    workers: int = 2, config: live.DetectorConfig | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Score `per_type` healthy units of every modelled asset type for `days` each (after their learning period)."""
    units = [
        HealthyUnit(DeviceSpec(f"hf-{t}-{n:03d}", t, n), model, seed, end - timedelta(days=days) - timedelta(
            seconds=float(getattr(model, "unit_learning_s", 0.0))), interval_s, days, config or live.DetectorConfig())
        for t, model in models.items() for n in range(1, per_type + 1)
    ]  # fmt: skip
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(score_unit, units, chunksize=4))
    asset_days = round(sum(r["days"] for r in results), 2)
    raised = [pair for r in results for pair in r["raised"]]
    by_mode: dict[str, int] = {}
    for _, mode in raised:
        by_mode[mode] = by_mode.get(mode, 0) + 1
    baseline = sum(r["baseline_alarms"] for r in results)
    return {
        "false_work_orders_per_1000_asset_days": bench_score.per_1000(len(raised), asset_days),
        "healthy_fleet": {
            "units": len(results),
            "asset_days": asset_days,
            "false_work_orders": len(raised),
            "by_mode": by_mode,
            "upper_95_per_1000_asset_days": bench_score.per_1000(poisson_upper(len(raised)), asset_days),
            "units_with_own_baseline": sum(r["own_baseline"] for r in results),
            "baseline_false_work_orders": baseline,
            "baseline_false_work_orders_per_1000_asset_days": bench_score.per_1000(baseline, asset_days),
        },
    }


def poisson_upper(count: int) -> int:
    """A rounded-up 95% upper bound of a Poisson count (3 for none seen, the rule of three)."""
    return {0: 3, 1: 5, 2: 7, 3: 8}.get(count, count + 2 * int(count**0.5) + 2)
