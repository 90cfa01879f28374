"""`assetpulse bench soak` (merged into the `bench` app by the main CLI)."""

from __future__ import annotations

from typing import Annotated

import orjson
import typer

from service_core.exceptions import AssetPulseError
from service_core.logging import configure_logging

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.command("soak")
def bench_soak(
    *,
    minutes: Annotated[float, typer.Option(min=0.5, max=720, help="How long the fleet publishes.")] = 5.0,
    devices: Annotated[int, typer.Option(min=1, max=20_000, help="Simulated devices, 1 reading/s each.")] = 2000,
    publishers: Annotated[
        int | None, typer.Option(min=1, max=16, help="Publisher processes (default: one per 1,000 devices).")
    ] = None,
    api_rate: Annotated[float, typer.Option(min=1, max=500, help="Steady API load, requests/s.")] = 30.0,
    fault_fraction: Annotated[
        float, typer.Option(min=0, max=0.5, help="Share of devices with an injected fault (at least one per kind).")
    ] = 0.01,
    outage_seconds: Annotated[
        float, typer.Option(min=0, max=120, help="How long PostgreSQL and the broker stay down when restarted.")
    ] = 5.0,
    drain_timeout: Annotated[
        float, typer.Option(min=10, max=3600, help="Seconds the pipeline may take to catch up after the load.")
    ] = 180.0,
    commissioning_interval: Annotated[
        float | None,
        typer.Option(
            min=60,
            help="Write each unit's day of commissioning history at this interval (s), so the "
            "detector scores it against its own baseline; slow (~0.1 s per device). Default: a new fleet.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the fleet and its faults.")] = 7,
    keep: Annotated[
        bool, typer.Option("--keep", help="Keep the working folder (logs, data) and print its path.")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    log_level: Annotated[str, typer.Option("--log-level")] = "WARNING",
) -> None:
    """A fleet with injected faults through broker, two ingestors, detector and API under a steady request load,
    while an ingestor is killed, PostgreSQL restarted and the broker restarted: readings sent vs stored, work
    orders vs faults, API error rate, memory of every process at the start and the end."""
    from simulators.soak.options import SoakOptions
    from simulators.soak.report import render_text
    from simulators.soak.runner import run_soak

    configure_logging(log_level)
    options = SoakOptions(
        minutes=minutes, devices=devices, publishers=publishers, api_rate=api_rate, fault_fraction=fault_fraction,
        outage_s=outage_seconds, drain_timeout_s=drain_timeout, commissioning_interval_s=commissioning_interval,
        seed=seed, keep_dir=keep,
    )  # fmt: skip
    try:
        options.check()
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        report = run_soak(options)
    except AssetPulseError as exc:
        typer.echo(f"soak failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    if json_output:
        typer.echo(orjson.dumps(report, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z).decode())
    else:
        typer.echo(render_text(report))
    if not report["readings_equal"]:
        raise typer.Exit(1)
