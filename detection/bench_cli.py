"""`assetpulse bench detect` (merged into the `bench` app by the main CLI)."""

from __future__ import annotations

from typing import Annotated

import orjson
import typer

from service_core.exceptions import AssetPulseError
from service_core.logging import configure_logging

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.command("detect")
def bench_detect(
    *,
    scenario: Annotated[str, typer.Option(help="Scenario with faults (packaged name or YAML path).")] = "all_faults",
    speed: Annotated[float, typer.Option(min=1, help="Simulated seconds per wall second in the live phase.")] = 240.0,
    train_units: Annotated[int, typer.Option(min=1, help="Training devices per asset type.")] = 4,
    train_hours: Annotated[float, typer.Option(min=1, help="Hours of healthy history per training device.")] = 36.0,
    healthy_units: Annotated[int, typer.Option(min=1, help="Healthy units per asset type (in memory).")] = 25,
    healthy_days: Annotated[
        float, typer.Option(min=0.05, help="Days per healthy unit (25 x 4 types x 30 days: 3,000 asset-days).")
    ] = 30.0,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="ASSETPULSE_BENCH_DATABASE_URL",
            help="Server for a scratch database; default: embedded PostgreSQL.",
        ),
    ] = None,
    mqtt_url: Annotated[
        str | None,
        typer.Option("--mqtt-url", envvar="ASSETPULSE_BENCH_MQTT_URL", help="Broker; default: a Mosquitto of its own."),
    ] = None,
    log_level: Annotated[str, typer.Option("--log-level")] = "WARNING",
) -> None:
    """Faults injected into a simulated fleet, through MQTT, ingestor, detector and work orders: recall,
    precision, lead time, onset-to-work-order delay, false work orders per 1,000 healthy asset-days."""
    from detection.bench import DetectBenchOptions, run_detect_bench

    configure_logging(log_level)
    options = DetectBenchOptions(
        scenario=scenario, speed=speed, train_units=train_units, train_hours=train_hours,
        healthy_units=healthy_units, healthy_days=healthy_days, database_url=database_url, mqtt_url=mqtt_url,
    )  # fmt: skip
    try:
        report = run_detect_bench(options)
    except AssetPulseError as exc:
        typer.echo(f"benchmark failed: {exc}", err=True)
        raise typer.Exit(2) from exc
    if json_output:
        typer.echo(orjson.dumps(report, option=orjson.OPT_NON_STR_KEYS).decode())
        return
    for key, value in report.items():
        typer.echo(f"{key}: {value}")
