"""The API load generator's summary: latency per slice of the run shows where the tail came from."""

from __future__ import annotations

from service_core.api.bench.loadgen import Sample, p95_by_slice, summarize


def _sample(due_s: float, latency_ms: float, op: str = "list_work_orders") -> Sample:
    return Sample(op, latency_ms, True, 200, due_s)


def test_each_slice_has_its_own_p95_in_time_order() -> None:
    quiet = [_sample(i * 0.05, 5.0) for i in range(100)]  # 0-5 s: all 5 ms
    bad = [_sample(5.0 + i * 0.05, 5.0 if i < 50 else 200.0) for i in range(100)]  # 5-10 s: half at 200 ms
    assert p95_by_slice(bad + quiet, 5.0) == [5.0, 200.0]


def test_an_empty_run_has_no_slices() -> None:
    assert p95_by_slice([], 5.0) == []


def test_summary_reports_slices_beside_the_overall_figures() -> None:
    samples = [_sample(i * 0.1, 10.0, "create_work_order") for i in range(120)]  # 12 s: three slices
    result = summarize(samples, elapsed=12.0)
    assert result["p95_ms_by_slice"] == [10.0, 10.0, 10.0]
    assert result["operations"]["create_work_order"]["requests"] == 120
