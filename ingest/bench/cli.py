"""`assetpulse bench ...`: the Typer sub-app (mounted by the main CLI as `bench`)."""

from __future__ import annotations

import logging
import signal
from types import FrameType
from typing import Annotated

import orjson
import typer

from ingest.bench.runner import BenchOptions, run_bench
from service_core.exceptions import AssetPulseError
from service_core.logging import configure_logging

log = logging.getLogger(__name__)

app = typer.Typer(
    help="Measure AssetPulse's throughput against its ceilings.", add_completion=False, no_args_is_help=True
)

EXIT_NOT_EXACT = 1
EXIT_FAILED = 2
EXIT_INTERRUPTED = 130


@app.callback()
def bench() -> None:
    """Benchmarks; each prints a human summary, or one JSON object with --json (logs go to stderr)."""


@app.command("ingest")
def ingest(
    *,
    messages: Annotated[int, typer.Option("--messages", min=1, help="Messages to send (N).")] = 100_000,
    metrics: Annotated[int, typer.Option("--metrics", min=1, max=256, help="Metrics per message (K).")] = 10,
    devices: Annotated[int, typer.Option("--devices", min=1, help="Devices the messages are spread over.")] = 100,
    publishers: Annotated[int, typer.Option("--publishers", min=1, help="Publisher processes.")] = 2,
    ingestors: Annotated[
        int, typer.Option("--ingestors", min=1, help="Ingestor processes (more than one share a subscription).")
    ] = 1,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a summary.")] = False,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="ASSETPULSE_BENCH_DATABASE_URL",
            help="PostgreSQL server where the benchmark may create (and drop) its own database; "
            "default: an embedded PostgreSQL in a temporary directory.",
        ),
    ] = None,
    mqtt_url: Annotated[
        str | None,
        typer.Option(
            "--mqtt-url",
            envvar="ASSETPULSE_BENCH_MQTT_URL",
            help="MQTT broker; default: a Mosquitto of its own (needs the mosquitto binary). Not a broker "
            "that a production ingestor listens to: it would receive the benchmark's messages too.",
        ),
    ] = None,
    naive_messages: Annotated[
        int, typer.Option("--naive-messages", min=1, help="Messages for the naive baseline (it is slow).")
    ] = 3_000,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, help="Seconds a phase may take before giving up.")
    ] = 300.0,
    log_level: Annotated[str, typer.Option("--log-level", help="Level of the logs on stderr.")] = "INFO",
) -> None:
    """Send N messages of K metrics through MQTT into PostgreSQL with the real ingestor; compare it with the
    broker's and COPY's ceilings and with a naive ingestor.  Exit code 1: what was stored is not exactly what
    was sent; 2: the benchmark could not run."""
    configure_logging(log_level)
    options = BenchOptions(
        messages=messages,
        metrics=metrics,
        devices=devices,
        publishers=publishers,
        ingestors=ingestors,
        database_url=database_url,
        mqtt_url=mqtt_url,
        naive_messages=naive_messages,
        timeout_seconds=timeout,
    )
    previous = signal.signal(signal.SIGTERM, _interrupt)  # so that clean-up runs on SIGTERM too
    try:
        report = run_bench(options)
    except AssetPulseError as exc:
        typer.echo(f"benchmark failed: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from exc
    except KeyboardInterrupt as exc:
        typer.echo("benchmark interrupted; its processes and database are cleaned up", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from exc
    finally:
        signal.signal(signal.SIGTERM, previous)
    if json_output:
        typer.echo(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode())
    else:
        typer.echo(report.summary())
    if not report.exact:
        raise typer.Exit(EXIT_NOT_EXACT)


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")
