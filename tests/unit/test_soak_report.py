"""The soak's report arithmetic: error rates and outage windows, RSS growth and trend, faults matched to work
orders, readings equality."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from simulators.soak import report

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
MIB = report.MIB


def test_api_figures_count_non_2xx_and_failed_requests_and_split_by_window():
    records = [
        (100.0, "list_work_orders", 200, 10.0),
        (101.0, "get_work_order", 404, 5.0),  # a 4xx is an error too
        (105.0, "fleet_health", 503, 20.0),
        (106.0, "fleet_health", 0, 10_000.0),  # no response at all
        (120.0, "list_work_orders", 201, 12.0),
    ]
    figures = report.api_figures(records, [("restart_postgres", 104.0, 110.0)])
    assert figures["requests"] == 5
    assert figures["errors"] == 3
    assert figures["error_rate"] == 0.6
    assert figures["in_outage_windows"] == {"restart_postgres": {"requests": 2, "errors": 2}}
    assert figures["outside_outage_windows"] == {"requests": 3, "errors": 1, "error_rate": 0.3333}
    assert figures["statuses"] == {"0": 1, "200": 1, "201": 1, "404": 1, "503": 1}
    assert figures["p95_ms"] == 12.0  # latency of successful requests only
    assert figures["first_error_s"] == [101.0]  # 101, 105, 106: one burst
    assert figures["operations"]["fleet_health"] == {"requests": 2, "errors": 2, "p95_ms": 10_000.0}


def test_api_figures_of_no_requests_are_zero():
    figures = report.api_figures([], [("x", 0.0, 1.0)])
    assert figures["error_rate"] == 0.0 and figures["requests"] == 0
    assert figures["in_outage_windows"] == {"x": {"requests": 0, "errors": 0}}


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert report.percentile(values, 50) == 50
    assert report.percentile(values, 95) == 95
    assert report.percentile([7.0], 99) == 7.0
    assert report.percentile([], 50) == 0.0


def test_slope_per_minute_of_a_steady_rise_and_of_flat_or_too_few_points():
    assert report.slope_per_minute([(0, 100.0), (30, 101.0), (60, 102.0)]) == pytest.approx(2.0)
    assert report.slope_per_minute([(0, 5.0), (60, 5.0)]) == 0.0
    assert report.slope_per_minute([(10, 5.0)]) == 0.0
    assert report.slope_per_minute([(10, 5.0), (10, 6.0)]) == 0.0


def test_rss_figures_per_incarnation_start_after_warmup_and_settling():
    samples = {
        # pid 1 from the start, killed at 40 s; pid 2 its replacement from 41 s
        "ingestor-1": [(0.0, 1, 50 * MIB), (10.0, 1, 60 * MIB), (20.0, 1, 60 * MIB), (40.0, 1, 66 * MIB),
                       (41.0, 2, 40 * MIB), (51.0, 2, 70 * MIB), (61.0, 2, 70 * MIB), (120.0, 2, 77 * MIB)],
        "api": [(0.0, 9, 100 * MIB)],  # one sample: nothing to say
    }  # fmt: skip
    figures = report.rss_figures(samples, warmup_s=10.0, settle_s=10.0)
    first, second = figures["ingestor-1"]
    assert (first["pid"], first["start_mib"], first["end_mib"], first["growth_pct"]) == (1, 60.0, 66.0, 10.0)
    assert (second["pid"], second["from_s"], second["start_mib"], second["growth_pct"]) == (2, 51.0, 70.0, 10.0)
    assert second["max_mib"] == 77.0 and second["samples"] == 3
    assert figures["api"] == []


def test_worst_growth_ignores_short_incarnations_and_unwatched_processes():
    figures = {
        "ingestor-1": [{"from_s": 10.0, "to_s": 15.0, "growth_pct": 80.0},  # too short to say anything
                       {"from_s": 50.0, "to_s": 300.0, "growth_pct": 4.0}],
        "detector": [{"from_s": 10.0, "to_s": 300.0, "growth_pct": 6.5}],
        "postgres": [{"from_s": 10.0, "to_s": 300.0, "growth_pct": 40.0}],  # not watched (its cache fills)
    }  # fmt: skip
    assert report.worst_growth(figures, ["ingestor-1", "detector"], min_span_s=100) == ("detector", 6.5)
    assert report.worst_growth({}, ["api"], min_span_s=1) == (None, 0.0)


def _fault(
    device: str,
    kind: str,
    category: str,
    onset_s: float,
    end_s: float | None,
    *,
    failure_s: float | None = None,
    detectable: bool = True,
) -> dict[str, object]:
    return {
        "device_key": device,
        "kind": kind,
        "category": category,
        "onset": T0 + timedelta(seconds=onset_s),
        "end": T0 + timedelta(seconds=end_s) if end_s is not None else None,
        "failure": T0 + timedelta(seconds=failure_s) if failure_s is not None else None,
        "detectable_at": T0 + timedelta(seconds=onset_s + 5) if detectable else None,
    }


def _order(device: str, at_s: float) -> dict[str, object]:
    return {"device_key": device, "raised_at": T0 + timedelta(seconds=at_s)}


def test_match_faults_counts_caught_false_and_detectable():
    faults = [
        _fault("d1", "overheating", "equipment", 10, 100),
        _fault("d2", "bearing_wear", "equipment", 10, None, failure_s=200),
        _fault("d3", "stuck", "sensor", 10, 100, detectable=False),
        _fault("d4", "connectivity_loss", "connectivity", 10, 50),  # never counted
    ]
    orders = [
        _order("d1", 30),  # caught d1
        _order("d1", 40),  # a second order on the same fault: matches, no second catch
        _order("d2", 5),  # before its onset: false
        _order("d9", 30),  # a healthy device: false
        _order("d4", 20),  # connectivity is not a counted fault: false
    ]
    result = report.match_faults(faults, orders, run_end=T0 + timedelta(seconds=300))
    assert result["faults_injected"] == 3
    assert result["faults_detectable_during_run"] == 2
    assert result["faults_caught"] == 1
    assert result["faults_caught_of_detectable"] == 1
    assert result["work_orders_opened"] == 5
    assert result["work_orders_matching_a_fault"] == 2
    assert result["work_orders_false"] == 3
    assert result["connectivity_losses"] == 1
    assert result["per_kind"]["overheating"] == {"injected": 1, "detectable": 1, "caught": 1}
    assert result["per_kind"]["stuck"] == {"injected": 1, "detectable": 0, "caught": 0}


def test_match_faults_allows_grace_after_the_end():
    fault = _fault("d1", "leak", "equipment", 0, 100)
    late = _order("d1", 100 + report.GRACE_S - 1)
    too_late = _order("d1", 100 + report.GRACE_S + 1)
    assert report.match_faults([fault], [late], run_end=T0)["faults_caught"] == 1
    assert report.match_faults([fault], [too_late], run_end=T0)["faults_caught"] == 0


def test_readings_figures_equal_missing_and_extra():
    equal = report.readings_figures(sent=1000, stored=1000, undelivered=0, backlog_dropped=0)
    assert equal["readings_equal"] and equal["readings_missing"] == 0 and equal["stored_ratio"] == 1.0
    short = report.readings_figures(sent=1000, stored=990, undelivered=3, backlog_dropped=2)
    assert not short["readings_equal"] and short["readings_missing"] == 10 and short["readings_extra"] == 0
    assert short["readings_undelivered_at_stop"] == 3 and short["readings_dropped_by_device_buffers"] == 2
    assert report.readings_figures(sent=0, stored=0, undelivered=0, backlog_dropped=0)["stored_ratio"] == 0.0
