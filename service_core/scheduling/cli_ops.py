"""`assetpulse schedule`: the field-service optimizer from the command line (optimize a day, insert an emergency,
re-plan a sick technician), as a preview or applied in one transaction.  Prints a plan table, or one JSON object
with --json.  Exit code 1 when the request is refused (a conflict, an unknown order or resource)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated

import psycopg
import typer

from service_core.exceptions import AssetPulseError
from service_core.scheduling import service as schedule_service
from service_core.scheduling.schemas import (
    MAX_TIME_LIMIT_SECONDS,
    EmergencyRequest,
    Mode,
    OptimizeRequest,
    SchedulePlanPublic,
    SickRequest,
)

ACTOR = "cli:schedule"
app = typer.Typer(help="Plan field-service days with the optimizer.", no_args_is_help=True)

ApplyOption = Annotated[bool, typer.Option("--apply", help="Write the plan as bookings (default: preview only).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")]
DayOption = Annotated[dt.datetime, typer.Option("--day", formats=["%Y-%m-%d"], help="The day, YYYY-MM-DD.")]


@app.command("optimize")
def optimize(
    day: DayOption,
    territory: Annotated[str | None, typer.Option("--territory", help="Territory id or name.")] = None,
    apply: ApplyOption = False,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.5, max=MAX_TIME_LIMIT_SECONDS, help="Optimizer seconds.")
    ] = 10.0,
    as_json: JsonOption = False,
) -> None:
    """Plan a day: every technician's stops, what cannot be scheduled and why, and the checker's verdict."""
    ref: int | str | None = int(territory) if territory and territory.isdigit() else territory
    request = OptimizeRequest(day=day.date(), territory=ref, mode=_mode(apply), time_limit_seconds=time_limit)
    _run(lambda conn: schedule_service.optimize(conn, request=request, actor=ACTOR), as_json)


@app.command("emergency")
def emergency(
    work_order: Annotated[str, typer.Option("--work-order", help="Work order id or number (WO-...).")],
    apply: ApplyOption = False,
    as_json: JsonOption = False,
) -> None:
    """Insert an unscheduled emergency order into today's plan with the least disruption."""

    def run(conn: psycopg.Connection) -> SchedulePlanPublic:
        request = EmergencyRequest(work_order_id=_work_order_id(conn, work_order), mode=_mode(apply))
        return schedule_service.insert_emergency_order(conn, request=request, actor=ACTOR)

    _run(run, as_json)


@app.command("sick")
def sick(
    resource: Annotated[int, typer.Option("--resource", min=1, help="Id of the technician calling in sick.")],
    day: DayOption,
    apply: ApplyOption = False,
    as_json: JsonOption = False,
) -> None:
    """Re-plan a day without a technician: their unlocked bookings go to the others."""
    request = SickRequest(resource_id=resource, day=day.date(), mode=_mode(apply))
    _run(lambda conn: schedule_service.replan_sick(conn, request=request, actor=ACTOR), as_json)


def _mode(apply: bool) -> Mode:
    return "apply" if apply else "preview"


def _work_order_id(conn: psycopg.Connection, reference: str) -> int:
    if reference.isdigit():
        return int(reference)
    row = conn.execute("SELECT id FROM work.work_orders WHERE number = %s", (reference,)).fetchone()
    if row is None:
        raise typer.BadParameter(f"no work order numbered {reference!r}", param_hint="--work-order")
    return int(row[0])


def _run(action: Callable[[psycopg.Connection], SchedulePlanPublic], as_json: bool) -> None:
    from service_core.api.deps import set_actor
    from service_core.cli import _url

    try:
        with psycopg.connect(_url()) as conn, conn.transaction():
            set_actor(conn, ACTOR)
            plan = action(conn)
    except AssetPulseError as exc:
        typer.echo(f"schedule: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(plan.model_dump_json() if as_json else render(plan))


def render(plan: SchedulePlanPublic) -> str:
    """The plan as a readable table, one block per technician."""
    lines = [f"{plan.mode} {plan.day} ({plan.method}, {plan.seconds:.1f} s)"]
    for route in plan.routes:
        lines.append(f"\n{route.name} (#{route.resource_id}, {route.territory}) "
                     f"{route.travel_km:.1f} km, {route.work_minutes:.0f} min work")  # fmt: skip
        for stop in route.stops:
            what = stop.work_order_number or stop.kind
            why = f"  {stop.explanation.skills}" if stop.explanation else ""
            lines.append(f"  {stop.start_at:%H:%M}-{stop.end_at:%H:%M}  {stop.kind:<11} {what:<12} "
                         f"travel {stop.travel_minutes:5.1f} min{why}")  # fmt: skip
    if plan.unscheduled:
        lines.append("\nunscheduled:")
        lines += [f"  {u.work_order_number:<12} {u.reason}: {u.detail}" for u in plan.unscheduled]
    t = plan.totals
    lines.append(f"\ntotals: {t.scheduled} scheduled, {t.unscheduled} unscheduled, {t.travel_km:.1f} km, "
                 f"SLA-critical {t.sla_critical_scheduled}/{t.sla_critical_total}; "
                 f"checker: {'ok' if plan.check.ok else f'{len(plan.check.violations)} violation(s)'}")  # fmt: skip
    if (d := plan.disruption) is not None:
        lines.append(f"disruption: {len(d.moved)} moved, {len(d.shifted)} shifted (max {d.max_shift_minutes:.0f} min), "
                     f"{len(d.dropped)} dropped, {len(d.added)} added")  # fmt: skip
    if plan.applied is not None:
        a = plan.applied
        lines.append(f"applied: {len(a.created_booking_ids)} booked, {len(a.canceled_booking_ids)} canceled, "
                     f"{len(a.unchanged_booking_ids)} unchanged")  # fmt: skip
    lines += [f"note: {note}" for note in plan.notes]
    return "\n".join(lines)
