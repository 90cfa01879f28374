"""`assetpulse jobs run|list`: the periodic work of the service core (escalations, preventive work, periodic
invoices, dunning, credit checks), once or on an interval."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from datetime import datetime
from typing import Annotated

import typer

from service_core.jobs.registry import JOBS, run_all

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_jobs() -> None:
    """The periodic jobs and what each does."""
    for job in JOBS:
        typer.echo(f"{job.name:<18} {job.description}")


@app.command("run")
def run_jobs(
    once: Annotated[bool, typer.Option("--once", help="Run every job once and exit.")] = False,
    interval: Annotated[float, typer.Option(min=10, max=86_400, help="Seconds between rounds.")] = 300.0,
    only: Annotated[list[str] | None, typer.Option("--only", help="Run only these jobs (repeatable).")] = None,
    now: Annotated[
        datetime | None, typer.Option(help="Pretend it is this moment (aware, e.g. 2026-05-01T09:00:00+00:00).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per round.")] = False,
) -> None:
    """Run the periodic jobs; several runners may run at once (each job is locked while it runs)."""
    from service_core.cli import _url

    names = {j.name for j in JOBS}
    unknown = set(only or ()) - names
    if unknown:
        raise typer.BadParameter(f"unknown job(s) {sorted(unknown)}; known: {sorted(names)}")
    if now is not None and now.tzinfo is None:
        raise typer.BadParameter("--now needs a time zone, e.g. +00:00")
    url = _url()
    while True:
        runs = run_all(url, now=now, only=set(only) if only else None)
        if as_json:
            typer.echo(json.dumps({"runs": [asdict(r) for r in runs]}))
        else:
            for r in runs:
                typer.echo(f"{r.status:>7}  {r.name:<18} {r.detail} ({r.seconds:.2f} s)")
        if once:
            if any(r.status == "failed" for r in runs):
                raise typer.Exit(1)
            return
        time.sleep(interval)
