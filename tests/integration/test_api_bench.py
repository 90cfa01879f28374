"""`assetpulse bench api` end to end at a small size: seeded database (with its SLA policy), the API in its own
processes, the load generator in another; the report says what was measured, and the orders it created went
through the whole intake (SLA due times on the business calendar included)."""

from __future__ import annotations

from service_core.api.bench.runner import ApiBenchConfig, run_api_bench
from service_core.api.bench.seed import SeedSize


def test_small_bench_reports_what_it_measured(pg_admin_url: str) -> None:
    size = SeedSize(accounts=20, assets=100, work_orders=1_000, invoices=200)
    report = run_api_bench(ApiBenchConfig(size=size, rate=40.0, seconds=3.0, warmup=0.5, workers=1,
                                          admin_url=pg_admin_url))  # fmt: skip

    assert report["errors"] == 0
    assert report["requests"] == 120  # 40/s for 3 s, the warm-up not counted
    assert set(report["operations"]) == {"create_work_order", "list_work_orders"}
    assert report["operations"]["create_work_order"]["statuses"] == {
        "201": report["operations"]["create_work_order"]["requests"]
    }
    assert 0 < report["p50_ms"] <= report["p95_ms"] <= report["p99_ms"]
    assert len(report["p95_ms_by_slice"]) == 1  # one 5-second slice in a 3-second run
    assert report["database"]["work_orders"] == 1_000
    assert report["database"]["invoices"] == 200
    assert report["database"]["sla_targets"] == 4
    created = report["created_during_run"]
    assert created["work_orders"] >= report["operations"]["create_work_order"]["requests"]
    assert created["with_sla_due_times"] == created["work_orders"]
