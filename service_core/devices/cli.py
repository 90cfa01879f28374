"""`assetpulse broker`: the broker's view of the device registry (mounted by `service_core.cli`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

broker_app = typer.Typer(help="The MQTT broker's users and ACL, generated from the registry.", no_args_is_help=True)


@broker_app.command("sync-auth")
def sync_auth(
    password_file: Annotated[Path, typer.Option(help="Mosquitto password_file to (re)write.")],
    acl_file: Annotated[Path, typer.Option(help="Mosquitto acl_file to (re)write.")],
    pid: Annotated[int | None, typer.Option(help="Broker process to send SIGHUP (reload).")] = None,
    pid_file: Annotated[Path | None, typer.Option(help="Mosquitto's pid_file, instead of --pid.")] = None,
) -> None:
    """Write Mosquitto's password and ACL files from the device registry and the service users' settings, then
    reload the broker: revoked devices are refused and disconnected, rotated passwords replace the old ones."""
    import psycopg
    from pydantic import ValidationError

    from service_core.config import CoreSettings
    from service_core.db.resolve import database_url
    from service_core.devices.broker_sync import BrokerAuthSettings, read_pid_file, sync_broker_auth
    from service_core.exceptions import ConfigurationError

    if pid is not None and pid_file is not None:
        raise typer.BadParameter("give --pid or --pid-file, not both")
    try:
        settings = BrokerAuthSettings()
    except ValidationError as exc:
        raise ConfigurationError("; ".join(str(e["msg"]) for e in exc.errors(include_url=False))) from exc
    target = read_pid_file(pid_file) if pid_file is not None else pid
    with psycopg.connect(database_url(CoreSettings())) as conn:
        report = sync_broker_auth(conn, password_file=password_file, acl_file=acl_file, settings=settings, pid=target)
    typer.echo(f"{report.devices} device(s) and {report.services} service user(s) written to {password_file}")
    if report.reloaded_pid is None:
        typer.secho("the broker was not signalled: reload it (SIGHUP) to apply the files", err=True)
    else:
        typer.echo(f"broker {report.reloaded_pid} reloaded")


@broker_app.command("sync-service-logins")
def sync_service_logins() -> None:
    """For an EMQX cluster (deploy/compose.emqx.yaml): write the ingestor's and detector's broker users into
    broker.service_logins, which EMQX reads with the devices through the views broker.logins and broker.acl."""
    import psycopg
    from pydantic import ValidationError

    from service_core.config import CoreSettings
    from service_core.db.resolve import database_url
    from service_core.devices.broker_sync import BrokerAuthSettings
    from service_core.devices.emqx_logins import sync_service_logins as write_logins
    from service_core.exceptions import ConfigurationError

    try:
        settings = BrokerAuthSettings()
    except ValidationError as exc:
        raise ConfigurationError("; ".join(str(e["msg"]) for e in exc.errors(include_url=False))) from exc
    with psycopg.connect(database_url(CoreSettings())) as conn:
        names = write_logins(conn, settings=settings)
    typer.echo(f"EMQX service logins: {', '.join(names)}")
