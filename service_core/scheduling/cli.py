"""`assetpulse bench schedule`: a Typer sub-app with the one command `schedule`.

Mount it without a name into the `bench` group (`bench_app.add_typer(app)`), which merges the command; run on
its own (`app()`), Typer runs the single command directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer

from service_core.exceptions import AssetPulseError
from service_core.logging import configure_logging
from service_core.scheduling.bench import DEFAULT_INSTANCES_DIR, ScheduleBenchOptions, run_schedule_bench
from service_core.scheduling.bench.fieldservice import FieldServiceBenchOptions, run_field_service_bench

EXIT_INFEASIBLE = 1
EXIT_BAD_INPUT = 2

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.command("schedule")
def schedule(
    *,
    instances: Annotated[
        Path, typer.Option("--instances", help="Folder with instances (or instances/) and best_known.csv.")
    ] = DEFAULT_INSTANCES_DIR,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.1, help="Solver seconds per instance (one core).")
    ] = 30.0,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Run only this instance (repeatable), e.g. c1_2_1.")
    ] = None,
    solutions_dir: Annotated[
        Path | None, typer.Option("--solutions-dir", help="Write each solution here in the SINTEF format.")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the solver's random numbers.")] = 0,
    log_level: Annotated[str, typer.Option("--log-level", help="Level of the progress logs on stderr.")] = "INFO",
    field_service: Annotated[
        bool, typer.Option("--field-service/--no-field-service", help="Also plan a generated field-service day.")
    ] = True,
    fs_orders: Annotated[int, typer.Option("--fs-orders", min=1, help="Field service: work orders.")] = 300,
    fs_technicians: Annotated[int, typer.Option("--fs-technicians", min=4, help="Field service: technicians.")] = 40,
    fs_time_limit: Annotated[
        float, typer.Option("--fs-time-limit", min=0.1, help="Field service: engine seconds for the day plan.")
    ] = 12.0,
    fs_replan_time_limit: Annotated[
        float, typer.Option("--fs-replan-time-limit", min=0.1, help="Field service: engine seconds per re-plan.")
    ] = 1.0,
    fs_seed: Annotated[int, typer.Option("--fs-seed", help="Field service: seed of the generated day.")] = 0,
) -> None:
    """Solve the Gehring-Homberger VRPTW instances with the solver and the cheapest-insertion baseline; report
    vehicles, distance, gap to the best-known and the independent checker's verdict.  Exit code 1: a solution
    is infeasible; 2: bad input.  With --field-service (the default) it then plans a generated field-service day
    (optimizer and insertion baseline), inserts an emergency and re-plans a sick technician; exit code 1 also when
    the independent plan checker rejects one of those plans."""
    try:
        configure_logging(log_level)
    except ValueError as exc:
        typer.echo(f"bench schedule: bad --log-level {log_level!r}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    options = ScheduleBenchOptions(
        instances_dir=instances,
        time_limit_seconds=time_limit,
        only=tuple(only or ()),
        solutions_dir=solutions_dir,
        seed=seed,
    )
    try:
        report = run_schedule_bench(options)
    except (AssetPulseError, OSError) as exc:
        typer.echo(f"bench schedule: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    field_report = None
    if field_service:
        field_options = FieldServiceBenchOptions(
            fs_orders, fs_technicians, fs_seed, fs_time_limit, fs_replan_time_limit
        )
        field_report = run_field_service_bench(field_options)
    if json_output:
        payload = report.to_dict()
        if field_report is not None:
            payload["field_service"] = field_report.to_dict()
        typer.echo(orjson.dumps(payload).decode())
    else:
        typer.echo(report.table())
        typer.echo("")
        typer.echo(report.summary())
        if field_report is not None:
            typer.echo("")
            typer.echo(field_report.summary())
    if not report.all_feasible or (field_report is not None and not field_report.checker_ok):
        raise typer.Exit(EXIT_INFEASIBLE)
