"""`assetpulse bench dashboard` (merged into the `bench` app by the main CLI)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from service_core.exceptions import AssetPulseError

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.command("dashboard")
def bench_dashboard(  # noqa: PLR0917 - Typer options
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    assets: Annotated[int, typer.Option(min=10, max=20_000, help="Assets in the fleet.")] = 10_000,
    accounts: Annotated[int, typer.Option(min=1, max=20_000, help="Accounts (one site each).")] = 1_000,
    telemetry_days: Annotated[int, typer.Option(min=1, max=730, help="Days of 1 Hz history of one asset.")] = 365,
    raw_days: Annotated[int, typer.Option(min=1, max=30, help="Of those, the days stored as raw rows.")] = 2,
    runs: Annotated[int, typer.Option(min=1, max=50, help="Timed runs of each page.")] = 5,
    api_workers: Annotated[int, typer.Option(min=1, max=16)] = 2,
    chromium: Annotated[str | None, typer.Option(envvar="ASSETPULSE_CHROMIUM", help="Chromium executable.")] = None,
    screenshots: Annotated[Path | None, typer.Option(help="Folder for a screenshot of each timed page.")] = None,
    database_url: Annotated[
        str | None,
        typer.Option(envvar="ASSETPULSE_BENCH_DATABASE_URL", help="A server where a scratch database may be created."),
    ] = None,
) -> None:
    """Seed 10,000 assets and a year of 1 Hz telemetry of one asset, serve the API and the dashboard, and time the
    fleet page and the asset page (1 year) in headless Chromium; the target is 2 s each."""
    from dashboard.bench.runner import DashboardBenchConfig, run_dashboard_bench
    from dashboard.bench.seed import FleetSize

    size = FleetSize(
        assets=assets,
        accounts=min(accounts, assets),
        telemetry_days=telemetry_days,
        raw_days=min(raw_days, telemetry_days),
    )
    config = DashboardBenchConfig(size=size, runs=runs, api_workers=api_workers, admin_url=database_url,
                                  chromium=chromium, screenshots=screenshots)  # fmt: skip
    try:
        result = run_dashboard_bench(config)
    except AssetPulseError as exc:
        typer.echo(f"benchmark failed: {exc}", err=True)
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(result))
        return
    met = "met" if result["targets_met"] else "NOT met"
    typer.echo(f"fleet page ({result['assets']} assets): {result['fleet_page_s']:.2f} s  {result['fleet_page_runs_s']}")
    typer.echo(f"asset page (1 year):        {result['asset_page_s']:.2f} s  {result['asset_page_runs_s']}")
    typer.echo(f"target {result['target_s']:.0f} s each: {met}")
    typer.echo(f"baselines: login page {result['baseline_login_page_s']:.2f} s, "
               f"schedule page {result['baseline_light_page_s']:.2f} s")  # fmt: skip
    typer.echo(f"API: fleet-health {result['api']['fleet_health_s']:.3f} s; telemetry windows "
               + ", ".join(f"{k} {v['api_s']:.3f} s ({v['points']} points, {v['resolution']})"
                           for k, v in result["api"]["telemetry_window"].items()))  # fmt: skip
    typer.echo(f"raw days stored: {result['raw_days_stored']} (roll-ups for all {result['telemetry_days']} days)")
