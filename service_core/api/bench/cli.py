"""`assetpulse bench api`: the work-order list and create endpoints under load."""

from __future__ import annotations

import json
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("api")
def bench_api(  # noqa: PLR0917 - Typer options
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    work_orders: Annotated[int, typer.Option(min=1000, max=5_000_000)] = 100_000,
    invoices: Annotated[int, typer.Option(min=0, max=1_000_000)] = 20_000,
    rate: Annotated[float, typer.Option(min=1, max=20_000, help="Requests per second offered.")] = 500.0,
    seconds: Annotated[float, typer.Option(min=1, max=3600, help="Measured seconds (after warm-up).")] = 20.0,
    workers: Annotated[int, typer.Option(min=1, max=32, help="API worker processes.")] = 2,
    database_url: Annotated[
        str | None,
        typer.Option(envvar="ASSETPULSE_BENCH_DATABASE_URL", help="A server where a scratch database may be created."),
    ] = None,
) -> None:
    """Seed 100,000 work orders and 20,000 invoices, serve the API, and offer list+create load from another process."""
    from service_core.api.bench.runner import ApiBenchConfig, run_api_bench
    from service_core.api.bench.seed import SeedSize

    size = SeedSize(work_orders=work_orders, invoices=min(invoices, int(work_orders * 0.8)))
    result = run_api_bench(
        ApiBenchConfig(size=size, rate=rate, seconds=seconds, workers=workers, admin_url=database_url)
    )
    if as_json:
        typer.echo(json.dumps(result))
        return
    typer.echo(f"database: {result['database']}")
    for name, op in result["operations"].items():
        line = f"{name:>20}: {op['rps']:7.1f} req/s  p50 {op['p50_ms']:6.2f} ms  p95 {op['p95_ms']:6.2f} ms"
        typer.echo(f"{line}  errors {op['errors']}")
    typer.echo(
        f"{'all':>20}: {result['rps']:7.1f} req/s  p50 {result['p50_ms']:6.2f} ms  p95 {result['p95_ms']:6.2f} ms  "
        f"errors {result['errors']}  (target {result['target_rps']:.0f} req/s, p95 < 50 ms: "
        f"{'met' if result['targets_met'] else 'NOT met'})"
    )
    base = result["baseline_health"]
    typer.echo(
        f"{'baseline /health':>20}: {base['rps']:7.1f} req/s  p95 {base['p95_ms']:6.2f} ms  "
        f"(p95 ratio {result['p95_ratio_to_health']})"
    )
