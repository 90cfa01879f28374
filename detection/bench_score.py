"""Scoring the detection benchmark against the simulator's ground truth.

* detectable point of a fault: the first reading at or after its onset at which, on one of the fault's metrics,
  the faulty device differs from its fault-free twin (same device, seed and clock, from the simulator's own
  code) by more than `DETECTABLE_SIGMAS` times that metric's short-term noise (robust scale of the twin's first
  differences / sqrt 2: a start or stop of the machine is not noise); a missing metric (dropout) is detectable at
  once.  No detector output is used.
* a work order matches a fault when its condition is on the fault's device and was raised (reading time)
  between the onset and the fault's end (failure for a degradation, else `end`, else the end of the run) plus
  `GRACE`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from detection.features import Frame
from detection.model import AssetTypeModel
from detection.simdata import simulate
from service_core.conditions.domain import Action, EpisodeState, Hysteresis, observe
from simulators.devices import DeviceSpec
from simulators.faults import Fault, FaultRecord

DETECTABLE_SIGMAS = 3.0
GRACE = timedelta(minutes=30)
BASELINE_Z = 4.0
BASELINE_ON_DELAY_S = 60.0
EXPECTED_MODE = {
    "bearing_wear": "vibration_high",
    "fouling": "flow_restriction",
    "overheating": "overheating",
    "leak": "pressure_loss",
    "electrical": "electrical_imbalance",
    "stuck": "sensor_stuck",
    "dropout": "sensor_dropout",
    "spike": "sensor_spike",
    "drift": "sensor_drift",
}


@dataclass(frozen=True, slots=True)
class Alarm:
    device_key: str
    mode: str
    raised_at: datetime  # reading time of the evidence that raised it
    created_wall: float | None = None  # work order creation, epoch seconds (wall clock)


def detectable_at(
    spec: DeviceSpec, faults: list[Fault], record: FaultRecord, *, seed: int, start: datetime, interval_s: float,
    samples: int,
) -> datetime | None:  # fmt: skip
    """See the module doc; None when the fault never became detectable in the run."""
    faulty = simulate(spec, faults, seed=seed, start=start, interval_s=interval_s, samples=samples)
    twin = {g.ts: g.metrics for g in simulate(spec, [], seed=seed, start=start, interval_s=interval_s, samples=samples)}
    noise = {m: _noise([v.get(m, np.nan) for v in twin.values()]) for m in record.metrics}
    for group in faulty:
        if group.ts < record.onset:
            continue
        healthy = twin.get(group.ts, {})
        for metric in record.metrics:
            if metric in healthy and metric not in group.metrics:
                return group.ts
            if (
                metric in group.metrics
                and metric in healthy
                and abs(group.metrics[metric] - healthy[metric]) > DETECTABLE_SIGMAS * noise[metric]
            ):
                return group.ts
    missing = [ts for ts in twin if ts >= record.onset and ts not in {g.ts for g in faulty}]
    return min(missing) if missing else None


def _noise(values: list[float]) -> float:
    """Short-term noise of a metric: a robust scale (1.4826 x MAD) of its first differences over sqrt 2, so the
    rare large steps of real changes (a machine starting or stopping) do not count as noise."""
    array = np.array(values, dtype=np.float64)
    steps = np.diff(array[~np.isnan(array)])
    steps = steps[np.abs(steps) > 0]
    if not len(steps):
        return 1e-6
    return float(1.4826 * np.median(np.abs(steps - np.median(steps))) / np.sqrt(2.0)) + 1e-6


def fault_window_end(record: FaultRecord, run_end: datetime) -> datetime:
    return (record.failure or record.end or run_end) + GRACE


def match(alarms: list[Alarm], faults: list[FaultRecord], run_end: datetime) -> dict[int, list[Alarm]]:
    """Alarms matched to each fault (by index); an alarm may match several overlapping faults of its device."""
    out: dict[int, list[Alarm]] = {i: [] for i in range(len(faults))}
    for i, fault in enumerate(faults):
        for alarm in alarms:
            if alarm.device_key == fault.device_key and fault.onset <= alarm.raised_at <= fault_window_end(
                fault, run_end
            ):
                out[i].append(alarm)
    return out


def summarise(
    alarms: list[Alarm], faults: list[FaultRecord], *, run_end: datetime, detectable: dict[int, datetime | None],
    publish_wall: Any,
) -> dict[str, Any]:  # fmt: skip
    """Recall, precision, lead times and delays, overall and per failure mode (see the module doc)."""
    matched = match(alarms, faults, run_end)
    true_alarms = {id(a) for hits in matched.values() for a in hits}
    per_kind: dict[str, dict[str, Any]] = {}
    delays, evidence_lags, pipeline = [], [], []
    for i, fault in enumerate(faults):
        hits = sorted(matched[i], key=lambda a: a.raised_at)
        entry = per_kind.setdefault(fault.kind, {"faults": 0, "caught": 0, "mode_named": 0, "lead_time_h": [],
                                                 "caught_before_failure": 0, "degradations": 0})  # fmt: skip
        entry["faults"] += 1
        if fault.failure is not None:
            entry["degradations"] += 1
        if not hits:
            continue
        first = hits[0]
        entry["caught"] += 1
        entry["mode_named"] += any(a.mode == EXPECTED_MODE.get(fault.kind) for a in hits)
        if fault.failure is not None and first.raised_at < fault.failure:
            entry["caught_before_failure"] += 1
            entry["lead_time_h"].append(round((fault.failure - first.raised_at).total_seconds() / 3600, 2))
        point = detectable.get(i)
        if point is not None and first.created_wall is not None:
            lag = (first.raised_at - point).total_seconds()
            pipe = first.created_wall - publish_wall(first.raised_at)
            evidence_lags.append(lag)
            pipeline.append(pipe)
            delays.append(lag + pipe)
    modes: dict[str, dict[str, int]] = {}
    for alarm in alarms:
        m = modes.setdefault(alarm.mode, {"work_orders": 0, "true": 0})
        m["work_orders"] += 1
        m["true"] += id(alarm) in true_alarms
    caught = sum(e["caught"] for e in per_kind.values())
    degradations = sum(e["degradations"] for e in per_kind.values())
    return {
        "recall": _ratio(caught, len(faults)),
        "precision": _ratio(len(true_alarms), len(alarms)),
        "work_orders": len(alarms),
        "degradations_caught_before_failure": _ratio(
            sum(e["caught_before_failure"] for e in per_kind.values()), degradations
        ),
        "onset_to_work_order_p50_s": _pct(delays, 50),
        "onset_to_work_order_p95_s": _pct(delays, 95),
        "evidence_lag_p50_s": _pct(evidence_lags, 50),
        "evidence_lag_p95_s": _pct(evidence_lags, 95),
        "pipeline_latency_p50_s": _pct(pipeline, 50),
        "pipeline_latency_p95_s": _pct(pipeline, 95),
        "per_fault_kind": {k: {**v, "recall": _ratio(v["caught"], v["faults"])} for k, v in per_kind.items()},
        "per_failure_mode": {k: {**v, "precision": _ratio(v["true"], v["work_orders"])} for k, v in modes.items()},
    }


def per_fault(
    alarms: list[Alarm], faults: list[FaultRecord], *, run_end: datetime, detectable: dict[int, datetime | None]
) -> dict[str, dict[str, Any]]:
    """Each fault's detectable point, its first matching work order (reading time, mode), both in seconds after
    the onset, and the evidence lag between them."""
    matched = match(alarms, faults, run_end)
    out = {}
    for i, fault in enumerate(faults):
        first = min(matched[i], key=lambda a: a.raised_at, default=None)
        point = detectable.get(i)
        out[f"{fault.kind}@{fault.device_key}"] = {
            "detectable_s": None if point is None else round((point - fault.onset).total_seconds()),
            "work_order_s": None if first is None else round((first.raised_at - fault.onset).total_seconds()),
            "mode": None if first is None else first.mode,
            "evidence_lag_s": None
            if first is None or point is None
            else round((first.raised_at - point).total_seconds()),
        }
    return out


def baseline_alarms(model: AssetTypeModel, frame: Frame, device_key: str, *, on_delay_s: float,
                    off_delay_s: float) -> list[Alarm]:  # fmt: skip
    """The fixed-threshold z-score baseline: any signal's |z| (healthy mean and std of its type) above
    `BASELINE_Z` on a running row, through the same hysteresis as the detector; one alarm per episode."""
    rule = Hysteresis(1.0, 1.0, timedelta(seconds=on_delay_s), timedelta(seconds=off_delay_s))
    z = np.abs(np.nan_to_num(model.stats.standardise(frame.values)))
    state, out = EpisodeState(), []
    for t in range(len(frame)):
        if not frame.running[t]:
            continue
        at = datetime.fromtimestamp(float(frame.ts[t]), UTC)
        state, action = observe(state, at=at, score=1.0 if z[t].max() > BASELINE_Z else 0.0, rule=rule)
        if action == Action.RAISE:
            out.append(Alarm(device_key, "anomaly", at))
    return out


def per_1000(count: int, asset_days: float) -> float | None:
    return round(1000.0 * count / asset_days, 3) if asset_days > 0 else None


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 2) if values else None
