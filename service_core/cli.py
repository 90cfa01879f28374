"""The `assetpulse` command.  Each subcommand is a thin entry point into a composition root."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from service_core.auth.domain import Role
from service_core.config import CoreSettings
from service_core.devices.cli import broker_app
from service_core.exceptions import AssetPulseError

if TYPE_CHECKING:
    from pydantic import ValidationError

    from ingest.deadletter import Kind
    from service_core.devices.schemas import DeviceCredentialsPublic

app = typer.Typer(
    help="AssetPulse: from a sensor reading to cash in the bank.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema and upkeep.", no_args_is_help=True)
devices_app = typer.Typer(help="The device registry.", no_args_is_help=True)
deadletter_app = typer.Typer(help="Messages the ingestor could not store: inspect and replay.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(devices_app, name="devices")
app.add_typer(deadletter_app, name="deadletter")
app.add_typer(broker_app, name="broker")


users_app = typer.Typer(help="People who use the API, and their roles.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@app.command("api")
def api() -> None:
    """Serve the REST API on ASSETPULSE_HOST:ASSETPULSE_PORT (OpenAPI at /docs); applies pending migrations first."""
    from service_core.api.main import main as api_main

    api_main(core=_core())


@app.command("dashboard")
def dashboard(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port of the dashboard.")] = 8501,
    host: Annotated[str, typer.Option(help="Address the dashboard listens on.")] = "127.0.0.1",
    api_url: Annotated[
        str | None, typer.Option(envvar="ASSETPULSE_API_URL", help="The API it reads (default http://127.0.0.1:8000).")
    ] = None,
) -> None:
    """Serve the Streamlit dashboard; it reads only the API, with each user's own login."""
    import signal

    from dashboard.launch import start_dashboard

    process = start_dashboard(port=port, host=host, api_url=api_url)
    signal.signal(signal.SIGTERM, lambda *_: process.terminate())  # stopping us stops Streamlit too
    try:
        code = process.wait()
    except KeyboardInterrupt:
        process.terminate()
        code = process.wait()
    raise typer.Exit(code)


@app.command("doctor")
def doctor(as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False) -> None:
    """Check a deployment: database, migrations, storage, clocks, broker, anonymous access, API settings."""
    import json

    from ingest.config import IngestSettings
    from service_core.doctor.checks import run_checks
    from service_core.doctor.result import Level, render, verdict

    core = _core()
    checks = run_checks(database_url=_url(), mqtt_url=IngestSettings().mqtt_url, core=core)
    overall = verdict(checks)
    if as_json:
        typer.echo(json.dumps({"overall": overall.value, "checks": [c.as_dict() for c in checks]}))
    else:
        typer.echo(render(checks))
    if overall is Level.FAIL:
        raise typer.Exit(1)


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option()],
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, envvar="ASSETPULSE_USER_PASSWORD")
    ],
    role: Annotated[Role, typer.Option(case_sensitive=False)] = Role.VIEWER,
    full_name: Annotated[str, typer.Option()] = "",
    account_id: Annotated[
        int | None, typer.Option(min=1, help="The customer account of a customer-portal user (role customer only).")
    ] = None,
) -> None:
    """Create a user (the first admin, typically); the password is stored only as an argon2id hash."""
    import psycopg
    from pydantic import ValidationError

    from service_core.auth import service
    from service_core.auth.domain import account_problem
    from service_core.auth.schemas import UserCreate

    problem = account_problem(role, account_id)  # checked first: its message names the option to use
    if problem is not None:
        raise typer.BadParameter(problem.replace("account_id", "--account-id"), param_hint="--account-id")
    try:
        user_in = UserCreate(email=email, full_name=full_name, password=password, role=role, account_id=account_id)
    except ValidationError as exc:
        raise _bad_parameter(exc) from exc
    with psycopg.connect(_url()) as conn:
        user = service.create_user(conn, user_in=user_in)
    account = f"\taccount {user.account_id}" if user.account_id is not None else ""
    typer.echo(f"{user.id}\t{user.email}\t{user.role.value}{account}")


def _mount_tools() -> None:
    from dashboard.bench.cli import app as dashboard_bench_app
    from detection.bench_cli import app as detect_bench_app
    from detection.cli import eval_app
    from detection.detect_cli import detect_app
    from ingest.bench.cli import app as bench_app
    from service_core.api.bench.cli import app as api_bench_app
    from service_core.jobs.cli import app as jobs_app
    from service_core.scheduling.cli import app as schedule_app
    from service_core.seed.cli import app as seed_app
    from simulators.cli import app as simulate_app
    from simulators.soak.cli import app as soak_bench_app

    bench_app.add_typer(schedule_app)  # merges its `schedule` command: `assetpulse bench schedule`
    bench_app.add_typer(api_bench_app)  # `assetpulse bench api`
    bench_app.add_typer(detect_bench_app)  # `assetpulse bench detect`
    bench_app.add_typer(soak_bench_app)  # `assetpulse bench soak`
    bench_app.add_typer(dashboard_bench_app)  # `assetpulse bench dashboard`
    app.add_typer(simulate_app, name="simulate")
    app.add_typer(bench_app, name="bench", help="Benchmarks that print their figures and ratios to baselines.")
    app.add_typer(jobs_app, name="jobs", help="Periodic jobs: escalations, preventive work, invoices, dunning, credit.")
    app.add_typer(eval_app, name="eval", help="Evaluate the detection models on benchmarks (NAB, SKAB, C-MAPSS).")
    app.add_typer(detect_app, name="detect", help="Live detection: conditions and work orders from telemetry.")
    app.add_typer(seed_app, name="seed", help="Fill an empty database with a realistic demo company.")
    from service_core.scheduling.cli_ops import app as plan_app

    app.add_typer(plan_app, name="schedule", help="Plan field-service days with the optimizer (preview or apply).")


_mount_tools()


def _core() -> CoreSettings:
    from service_core.logging import configure_logging

    core = CoreSettings()
    configure_logging(core.log_level, core.log_format)
    return core


def _url() -> str:
    from service_core.db.resolve import database_url

    return database_url(_core())


@db_app.command("migrate")
def db_migrate(
    directory: Annotated[Path | None, typer.Option(help="Migrations folder (default: the packaged one).")] = None,
) -> None:
    """Apply pending schema migrations."""
    from service_core.db.migrate import migrate

    core = _core()
    applied = migrate(_url(), timescale=core.timescale, directory=directory)
    typer.echo("applied: " + ", ".join(applied) if applied else "schema is up to date")


@db_app.command("status")
def db_status() -> None:
    """List applied migrations."""
    from service_core.db.migrate import status

    for version, name, backend, applied_at in status(_url()):
        typer.echo(f"{version:04d}  {name:<30} {backend:<10} {applied_at}")


@db_app.command("maintain")
def db_maintain() -> None:
    """Create upcoming telemetry partitions and apply retention now."""
    from service_core.telemetry.maintenance import RetentionPolicy, run_maintenance

    report = run_maintenance(_url(), policy=RetentionPolicy.from_settings(_core()))
    if not report.ran:
        typer.echo("another process is running maintenance; nothing done")
        return
    typer.echo(f"backend {report.backend}; partitions ensured: {', '.join(report.partitions_ensured)}")
    typer.echo(
        f"partitions dropped: {', '.join(report.partitions_dropped) or 'none'}; "
        f"roll-up rows deleted: {report.rollup_rows_deleted}; "
        f"score history rows deleted: {report.health_history_rows_deleted}"
    )


@app.command("ingest")
def ingest(
    client_id: Annotated[str | None, typer.Option(help="MQTT client id (unique per ingestor process).")] = None,
    shared_group: Annotated[str | None, typer.Option(help="Shared-subscription group; '' for none.")] = None,
) -> None:
    """Run an ingestor: MQTT telemetry into PostgreSQL, acknowledged after commit."""
    from ingest.config import IngestSettings
    from ingest.main import main as ingest_main

    overrides = {k: v for k, v in {"client_id": client_id, "shared_group": shared_group}.items() if v is not None}
    ingest_main(IngestSettings(**overrides))  # type: ignore[arg-type]


@devices_app.command("register")
def devices_register(
    tenant: Annotated[str, typer.Option()],
    device: Annotated[list[str], typer.Option("--device", "-d", help="Device key; repeat for several.")],
    device_type: Annotated[str, typer.Option("--type")],
    asset_id: Annotated[int | None, typer.Option()] = None,
    password: Annotated[str | None, typer.Option(help="MQTT password; stored only hashed.")] = None,
) -> None:
    """Register devices (or update them) in the registry; `devices add` generates credentials instead."""
    import psycopg
    from pydantic import ValidationError

    from service_core.devices import service
    from service_core.devices.schemas import DeviceCreate

    try:
        devices_in = [
            DeviceCreate(tenant=tenant, device_key=d, device_type=device_type, asset_id=asset_id, password=password)
            for d in device
        ]
    except ValidationError as exc:
        raise _bad_parameter(exc) from exc
    with psycopg.connect(_url()) as conn:
        for d in service.register_many(conn, devices_in=devices_in):
            typer.echo(f"{d.id}\t{d.tenant}/{d.device_key}\t{d.device_type}")


@devices_app.command("list")
def devices_list(tenant: Annotated[str | None, typer.Option()] = None) -> None:
    """List registered devices with their status."""
    import psycopg

    from service_core.devices import service

    with psycopg.connect(_url()) as conn:
        for d in service.list_devices(conn, tenant=tenant):
            seen = d.last_seen_at.isoformat(timespec="seconds") if d.last_seen_at else "never"
            typer.echo(f"{d.id}\t{d.tenant}/{d.device_key}\t{d.device_type}\t{d.status}\tlast seen {seen}")


@devices_app.command("add")
def devices_add(
    tenant: Annotated[str, typer.Option()],
    device: Annotated[str, typer.Option("--device", "-d", help="Device key.")],
    device_type: Annotated[str, typer.Option("--type")],
    asset_id: Annotated[int | None, typer.Option()] = None,
) -> None:
    """Register a new device with generated MQTT credentials; its password is printed this once."""
    import psycopg
    from pydantic import ValidationError

    from service_core.devices import service
    from service_core.devices.schemas import DeviceCreate

    try:
        device_in = DeviceCreate(tenant=tenant, device_key=device, device_type=device_type, asset_id=asset_id)
    except ValidationError as exc:
        raise _bad_parameter(exc) from exc
    with psycopg.connect(_url()) as conn:
        credentials = service.add(conn, device_in=device_in)
    _echo_credentials(credentials)


@devices_app.command("rotate")
def devices_rotate(
    tenant: Annotated[str, typer.Option()], device: Annotated[str, typer.Option("--device", "-d")]
) -> None:
    """Issue a device a new MQTT password (printed this once); the old one works until the next broker sync."""
    import psycopg

    from service_core.devices import service

    with psycopg.connect(_url()) as conn:
        device_id = service.get(conn, tenant=tenant, device_key=device).id
        credentials = service.rotate_credentials(conn, device_id=device_id)
    _echo_credentials(credentials)


@devices_app.command("revoke")
def devices_revoke(
    tenant: Annotated[str, typer.Option()], device: Annotated[str, typer.Option("--device", "-d")]
) -> None:
    """Revoke a device's MQTT credentials; the broker refuses it from the next `broker sync-auth` on."""
    import psycopg

    from service_core.devices import service

    with psycopg.connect(_url()) as conn:
        device_id = service.get(conn, tenant=tenant, device_key=device).id
        d = service.revoke_credentials(conn, device_id=device_id)
    typer.echo(f"{d.id}\t{d.tenant}/{d.device_key}\trevoked at {d.revoked_at}")
    typer.secho("run `assetpulse broker sync-auth` to apply it on the broker", err=True)


def _echo_credentials(credentials: DeviceCredentialsPublic) -> None:
    d = credentials.device
    typer.echo(f"{d.id}\t{d.tenant}/{d.device_key}\t{d.device_type}")
    typer.echo(f"mqtt username: {credentials.username}")
    typer.echo(f"mqtt password: {credentials.password}")
    typer.secho(
        "The password is shown only now. Run `assetpulse broker sync-auth` to apply it on the broker.", err=True
    )


def _bad_parameter(exc: ValidationError) -> typer.BadParameter:
    problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False))
    return typer.BadParameter(problems)


KindOption = Annotated[str, typer.Option("--kind", help="dead_letters (malformed) or quarantine (held back).")]


def _kind(value: str) -> Kind:
    from ingest.deadletter import KINDS

    for kind in KINDS:
        if value == kind:
            return kind
    raise typer.BadParameter(f"--kind must be one of {', '.join(KINDS)}")


@deadletter_app.command("list")
def deadletter_list(
    kind: KindOption = "dead_letters",
    limit: Annotated[int, typer.Option(min=1)] = 50,
    include_replayed: Annotated[bool, typer.Option("--all", help="Also rows already replayed.")] = False,
    show_payload: Annotated[bool, typer.Option("--payload", help="Print the raw payload too.")] = False,
) -> None:
    """List dead-lettered or quarantined messages with their reason."""
    import psycopg

    from ingest.deadletter import list_rejects

    chosen = _kind(kind)
    with psycopg.connect(_url()) as conn:
        rows = list_rejects(conn, kind=chosen, limit=limit, include_replayed=include_replayed)
    for r in rows:
        state = f"replayed {r.replayed_at:%Y-%m-%d %H:%M:%S}" if r.replayed_at else "open"
        first = f"{r.first_seen_at:%Y-%m-%d %H:%M:%S}"
        typer.echo(f"{r.id}\t{first}\tx{r.seen}\t{state}\t{r.topic}\t{r.reason}: {r.detail}")
        if show_payload:
            typer.echo("\t" + r.payload[:2000].decode("utf-8", errors="backslashreplace"))
    if not rows:
        typer.echo(f"no open {kind}")


@deadletter_app.command("replay")
def deadletter_replay(
    kind: KindOption = "dead_letters",
    ids: Annotated[list[int] | None, typer.Option("--id", help="Only these rows; repeat for several.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 1000,
) -> None:
    """Run open dead letters or quarantined readings through the ingest path again."""
    from ingest.config import IngestSettings
    from ingest.deadletter import replay
    from service_core.telemetry.maintenance import RetentionPolicy

    chosen = _kind(kind)
    policy = RetentionPolicy.from_settings(_core())
    report = replay(_url(), IngestSettings(), policy, kind=chosen, ids=ids, limit=limit)
    typer.echo(f"replayed {report.replayed} message(s), {report.readings_stored} reading(s) stored")
    for reason, n in sorted(report.still_rejected.items()):
        typer.echo(f"still rejected: {n} ({reason})")


@app.command("demo")
def demo(
    devices: Annotated[int, typer.Option(min=1, max=500, help="Simulated devices.")] = 12,
    seconds: Annotated[float | None, typer.Option(help="Stop after this long (default: until Ctrl-C).")] = None,
    broker: Annotated[
        str, typer.Option(help="Local broker when no ASSETPULSE_MQTT_URL: auto, mosquitto, amqtt.")
    ] = "auto",
    dashboard: Annotated[bool, typer.Option("--dashboard/--no-dashboard", help="Serve the dashboard too.")] = True,
) -> None:
    """Zero-config demo: embedded PostgreSQL and broker, migrations, ingestor, a simulated fleet, the API and the
    dashboard."""
    from service_core.demo import run_demo

    if broker not in ("auto", "mosquitto", "amqtt"):
        raise typer.BadParameter("--broker must be auto, mosquitto or amqtt")
    run_demo(devices=devices, seconds=seconds, broker=broker, with_dashboard=dashboard)


def main() -> None:
    import psycopg

    try:
        app()
    except AssetPulseError as exc:
        _fail(str(exc))
    except psycopg.OperationalError as exc:
        _fail(f"cannot reach PostgreSQL: {_first_line(exc)}")
    except psycopg.Error as exc:
        _fail(f"database error: {_first_line(exc)}")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    sys.exit(2)
