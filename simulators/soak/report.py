"""The soak's arithmetic (pure: no I/O): API error rates overall and inside the outage windows, RSS growth and
trend per process, work orders matched to the injected faults, and the report object and its text.

Definitions:
* a reading is one reading group as a device sends it (one device, one timestamp, several metrics); stored
  readings are counted by the store's idempotent key (distinct device and timestamp);
* an API request fails when it got no response or a status outside 2xx;
* a process's RSS growth is (end - start) / start, start being its first sample after the warm-up (and after it
  settled, for a process started later), end its last; the trend is the least-squares slope of its samples from
  that start on, in MiB per minute;
* a fault (equipment or sensor; connectivity losses are not meant to open work orders) is caught when a detector
  work order on its device was raised from a reading between its onset and its end (its failure, for a
  degradation; the end of the run if it had none) plus `GRACE_S`.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

MIB = 1024 * 1024
GRACE_S = 1800.0
COUNTED_CATEGORIES = ("equipment", "sensor")

ApiRecord = tuple[float, str, int, float]  # wall start (epoch s), operation, status (0: no response), latency ms
Window = tuple[str, float, float]  # name, start, end (epoch s)
RssSample = tuple[float, int, int]  # seconds since the fleet started, pid, bytes


def is_error(status: int) -> bool:
    return not 200 <= status < 300


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def api_figures(records: Sequence[ApiRecord], windows: Sequence[Window]) -> dict[str, Any]:
    """Requests, errors and latency overall, per operation, inside each outage window and outside them all."""
    errors = [r for r in records if is_error(r[2])]
    inside: dict[str, dict[str, int]] = {}
    for name, start, end in windows:
        hit = [r for r in records if start <= r[0] <= end]
        inside[name] = {"requests": len(hit), "errors": sum(1 for r in hit if is_error(r[2]))}
    outside = [r for r in records if not any(start <= r[0] <= end for _, start, end in windows)]
    per_op: dict[str, dict[str, Any]] = {}
    for op in sorted({r[1] for r in records}):
        mine = [r for r in records if r[1] == op]
        per_op[op] = {
            "requests": len(mine),
            "errors": sum(1 for r in mine if is_error(r[2])),
            "p95_ms": round(percentile([r[3] for r in mine], 95), 1),
        }
    ok_latencies = [r[3] for r in records if not is_error(r[2])]
    span = (max(r[0] for r in records) - min(r[0] for r in records)) if len(records) > 1 else 0.0
    return {
        "requests": len(records),
        "errors": len(errors),
        "error_rate": ratio(len(errors), len(records)),
        "rps": round(len(records) / span, 1) if span > 0 else 0.0,
        "p50_ms": round(percentile(ok_latencies, 50), 1),
        "p95_ms": round(percentile(ok_latencies, 95), 1),
        "p99_ms": round(percentile(ok_latencies, 99), 1),
        "statuses": {str(k): v for k, v in sorted(Counter(r[2] for r in records).items())},
        "in_outage_windows": inside,
        "outside_outage_windows": {
            "requests": len(outside),
            "errors": sum(1 for r in outside if is_error(r[2])),
            "error_rate": ratio(sum(1 for r in outside if is_error(r[2])), len(outside)),
        },
        "first_error_s": _first_error_times(errors),
        "operations": per_op,
    }


def _first_error_times(errors: Sequence[ApiRecord]) -> list[float]:
    """Wall times (epoch s) of the first error of each burst (errors more than 5 s apart start a new burst)."""
    starts: list[float] = []
    last = None
    for wall, *_ in sorted(errors):
        if last is None or wall - last > 5.0:
            starts.append(round(wall, 1))
        last = wall
    return starts[:20]


def ratio(numerator: float, denominator: float, digits: int = 4) -> float:
    return round(numerator / denominator, digits) if denominator else 0.0


def slope_per_minute(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, per minute (0 with fewer than two distinct times)."""
    if len(points) < 2:
        return 0.0
    mean_t = sum(t for t, _ in points) / len(points)
    mean_v = sum(v for _, v in points) / len(points)
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return 0.0
    cov = sum((t - mean_t) * (v - mean_v) for t, v in points)
    return cov / var * 60.0


def rss_figures(
    samples: Mapping[str, Sequence[RssSample]], *, warmup_s: float, settle_s: float
) -> dict[str, list[dict[str, Any]]]:
    """Per process name, per incarnation (pid, in order of appearance): start and end RSS, growth, trend."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name, series in samples.items():
        by_pid: dict[int, list[RssSample]] = defaultdict(list)
        for sample in series:
            by_pid[sample[1]].append(sample)
        incarnations = []
        for pid, mine in by_pid.items():
            first_t = mine[0][0]
            begin = max(warmup_s, first_t + settle_s) if first_t > 0 else warmup_s
            measured = [s for s in mine if s[0] >= begin]
            if len(measured) < 2:
                continue
            start, end = measured[0], measured[-1]
            incarnations.append({
                "pid": pid,
                "from_s": start[0],
                "to_s": end[0],
                "start_mib": round(start[2] / MIB, 1),
                "end_mib": round(end[2] / MIB, 1),
                "max_mib": round(max(s[2] for s in measured) / MIB, 1),
                "growth_pct": round((end[2] - start[2]) / start[2] * 100, 1),
                "trend_mib_per_min": round(slope_per_minute([(s[0], s[2] / MIB) for s in measured]), 2),
                "samples": len(measured),
            })  # fmt: skip
        out[name] = incarnations
    return out


def worst_growth(
    figures: Mapping[str, Sequence[Mapping[str, Any]]], names: Sequence[str], *, min_span_s: float
) -> tuple[str | None, float]:
    """The largest growth among the incarnations of `names` measured over at least `min_span_s`."""
    worst: tuple[str | None, float] = (None, 0.0)
    for name in names:
        for inc in figures.get(name, []):
            if inc["to_s"] - inc["from_s"] >= min_span_s and (worst[0] is None or inc["growth_pct"] > worst[1]):
                worst = (name, float(inc["growth_pct"]))
    return worst


def match_faults(
    faults: Sequence[Mapping[str, Any]], work_orders: Sequence[Mapping[str, Any]], *, run_end: datetime
) -> dict[str, Any]:
    """Faults (equipment and sensor) caught by a detector work order, and work orders that match no fault.

    `faults`: device_key, kind, category, onset, failure, end, detectable_at (None: never became detectable in
    the run); `work_orders`: device_key, raised_at."""
    counted = [f for f in faults if f["category"] in COUNTED_CATEGORIES]
    grace = timedelta(seconds=GRACE_S)
    matched_orders: set[int] = set()
    per_kind: dict[str, dict[str, int]] = {}
    caught = detectable = caught_detectable = 0
    for fault in counted:
        until = (fault.get("failure") or fault.get("end") or run_end) + grace
        hits = [
            i for i, wo in enumerate(work_orders)
            if wo["device_key"] == fault["device_key"] and fault["onset"] <= wo["raised_at"] <= until
        ]  # fmt: skip
        matched_orders.update(hits)
        entry = per_kind.setdefault(fault["kind"], {"injected": 0, "detectable": 0, "caught": 0})
        entry["injected"] += 1
        is_detectable = fault.get("detectable_at") is not None
        entry["detectable"] += is_detectable
        entry["caught"] += bool(hits)
        caught += bool(hits)
        detectable += is_detectable
        caught_detectable += bool(hits) and is_detectable
    return {
        "faults_injected": len(counted),
        "faults_detectable_during_run": detectable,
        "faults_caught": caught,
        "faults_caught_of_detectable": caught_detectable,
        "work_orders_opened": len(work_orders),
        "work_orders_matching_a_fault": len(matched_orders),
        "work_orders_false": len(work_orders) - len(matched_orders),
        "connectivity_losses": sum(1 for f in faults if f["category"] == "connectivity"),
        "per_kind": per_kind,
    }


def readings_figures(*, sent: int, stored: int, undelivered: int, backlog_dropped: int) -> dict[str, Any]:
    return {
        "readings_sent": sent,
        "readings_stored": stored,
        "readings_equal": sent == stored,
        "readings_missing": max(0, sent - stored),
        "readings_extra": max(0, stored - sent),
        "stored_ratio": ratio(stored, sent, 6),
        "readings_undelivered_at_stop": undelivered,
        "readings_dropped_by_device_buffers": backlog_dropped,
    }


def render_text(report: Mapping[str, Any]) -> str:
    """The figures and ratios for a person."""
    r = report
    api = r["api"]
    lines = [
        f"soak: {r['devices']} devices at {r['rate_per_device_hz']:g} reading/s each for {r['minutes']:g} min "
        f"({r['publisher_shards']} publisher processes, 2 ingestors, detector, API under {api['rps']:g} req/s)",
        f"readings: sent {r['readings_sent']}, stored {r['readings_stored']} "
        f"({'EQUAL' if r['readings_equal'] else 'NOT EQUAL: ' + str(r['readings_missing']) + ' missing'}); "
        f"{r['metric_values_stored']} metric values; "
        f"achieved {r['achieved_readings_per_s']:g}/s of {r['target_readings_per_s']:g}/s target "
        f"({r['achieved_ratio']:.2%})",
        f"faults injected {r['faults_injected']} (detectable during the run {r['faults_detectable_during_run']}), "
        f"caught {r['faults_caught']}; work orders opened {r['work_orders_opened']} "
        f"({r['detection']['work_orders_false']} matching no fault)",
        f"API: {api['requests']} requests, {api['errors']} errors, error rate {r['api_error_rate']:.2%} "
        f"(outside the outages {api['outside_outage_windows']['error_rate']:.2%}), p95 {api['p95_ms']} ms "
        f"(baseline before the first outage: p95 {r['baseline']['api_p95_ms']} ms, "
        f"error rate {r['baseline']['api_error_rate']:.2%})",
    ]
    for name, window in api["in_outage_windows"].items():
        lines.append(f"  during {name}: {window['requests']} requests, {window['errors']} errors")
    lines.append("outages:")
    for outage in r["outages"]:
        lines.append(f"  {outage['name']} at {outage['at_s']:.0f}s: {outage['detail']} "
                     f"(down {outage['down_s']:.1f}s)")  # fmt: skip
    lines.append(f"memory (RSS, MiB, start -> end; worst growth {r['rss_growth_pct']:+.1f}% "
                 f"in {r['rss_worst_process']}):")  # fmt: skip
    for name, incarnations in r["rss"].items():
        for inc in incarnations:
            lines.append(
                f"  {name:<12} pid {inc['pid']:<7} {inc['start_mib']:>8.1f} -> {inc['end_mib']:>8.1f} "
                f"({inc['growth_pct']:+.1f}%, trend {inc['trend_mib_per_min']:+.2f} MiB/min over "
                f"{inc['to_s'] - inc['from_s']:.0f}s)"
            )
    lines.append(f"drain after the load stopped: {r['drain_s']:.1f}s; total {r['timings'].get('total_s', 0):.0f}s")
    statements = r.get("database", {}).get("top_statements", [])
    if statements:
        lines.append("database time by statement (pg_stat_statements, from the first reading to the report):")
        for row in statements:
            lines.append(f"  {row['total_ms'] / 1000:>8.1f}s {row['calls']:>9} calls {row['mean_ms']:>9.2f} ms "
                         f"mean  {row['query'][:90]}")  # fmt: skip
    return "\n".join(lines)
