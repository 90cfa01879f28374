"""`assetpulse simulate`: run a simulated fleet (the default command) or replay a data set over MQTT.

Bad input (a missing or invalid scenario or data file, a bad option or setting) prints one line to stderr and
exits with code 2; an unreachable broker or database exits with code 1.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, NoReturn, TypeVar

import typer
from pydantic import ValidationError

from service_core.exceptions import AssetPulseError, InvalidInput, ServiceUnavailable
from service_core.logging import configure_logging
from simulators.config import SimulatorSettings
from simulators.fleet import FleetReport, run_fleet
from simulators.replay import ReplayReport, replay_file
from simulators.scenarios import load_scenario, packaged_scenarios, summarise, with_overrides

log = logging.getLogger(__name__)
T = TypeVar("T")

app = typer.Typer(
    help="Simulated devices for tests without hardware: a fleet with injected faults or a replayed data set.",
    invoke_without_command=True,
    no_args_is_help=False,
)

ScenarioOpt = Annotated[
    str,
    typer.Option("--scenario", help=f"Scenario YAML file, or a packaged one: {', '.join(packaged_scenarios())}."),
]
DevicesOpt = Annotated[
    int | None, typer.Option("--devices", min=1, help="Fleet size, spread over the scenario's asset types.")
]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Random seed (same seed, same signals and faults).")]
SpeedOpt = Annotated[
    float | None, typer.Option("--speed", help="Simulated seconds per wall-clock second (1: real time).")
]
DurationOpt = Annotated[
    float | None, typer.Option("--duration", help="Simulated seconds to run (default: the scenario's).")
]
SamplesOpt = Annotated[
    int | None,
    typer.Option("--samples", min=1, help="Fast mode: N readings per device, published as fast as possible."),
]
TenantOpt = Annotated[str | None, typer.Option("--tenant", help="Tenant of the devices (default: the scenario's).")]
TruthOpt = Annotated[Path | None, typer.Option("--truth", help="Write the ground truth here (.json, else CSV).")]
RegisterOpt = Annotated[
    bool | None,
    typer.Option(
        "--register/--no-register",
        help="Register the devices in ASSETPULSE_DATABASE_URL first (default: when that is set).",
    ),
]


class DatasetFormat(StrEnum):
    AUTO = "auto"
    SKAB = "skab"
    NAB = "nab"


_FORMATS: dict[DatasetFormat, Literal["auto", "skab", "nab"]] = {
    DatasetFormat.AUTO: "auto",
    DatasetFormat.SKAB: "skab",
    DatasetFormat.NAB: "nab",
}


@app.callback()
def simulate(
    ctx: typer.Context,
    *,
    scenario: ScenarioOpt = "default",
    devices: DevicesOpt = None,
    seed: SeedOpt = None,
    speed: SpeedOpt = None,
    duration: DurationOpt = None,
    samples: SamplesOpt = None,
    tenant: TenantOpt = None,
    truth: TruthOpt = None,
    register: RegisterOpt = None,
) -> None:
    """Run a simulated fleet (the same as `simulate run`) unless a sub-command is given."""
    if ctx.invoked_subcommand is None:
        run(
            scenario=scenario,
            devices=devices,
            seed=seed,
            speed=speed,
            duration=duration,
            samples=samples,
            tenant=tenant,
            truth=truth,
            register=register,
        )


@app.command()
def run(
    *,
    scenario: ScenarioOpt = "default",
    devices: DevicesOpt = None,
    seed: SeedOpt = None,
    speed: SpeedOpt = None,
    duration: DurationOpt = None,
    samples: SamplesOpt = None,
    tenant: TenantOpt = None,
    truth: TruthOpt = None,
    register: RegisterOpt = None,
) -> None:
    """Run a simulated fleet against the broker in ASSETPULSE_MQTT_URL until done or Ctrl-C."""
    _ensure_logging()
    settings = _guarded(SimulatorSettings)
    chosen = _guarded(lambda: load_scenario(scenario))
    chosen = _guarded(lambda: with_overrides(chosen, devices=devices, seed=seed, speed=speed, duration_s=duration))
    if tenant is not None:
        chosen = chosen.model_copy(update={"tenant": _valid_tenant(tenant)})
    report = _guarded(
        lambda: run_fleet(settings, chosen, _stop_on_sigterm(), samples=samples, truth_path=truth, register=register)
    )
    typer.echo(_fleet_summary(report, truth))


@app.command()
def replay(
    *,
    path: Annotated[Path, typer.Argument(help="A SKAB (;-separated) or NAB (timestamp,value) CSV file.")],
    device: Annotated[str, typer.Option("--device", help="Device key to publish as.")] = "replay-001",
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant of the device.")] = "demo",
    speed: Annotated[float, typer.Option("--speed", help="Time compression (> 0).")] = 1.0,
    fmt: Annotated[DatasetFormat, typer.Option("--format", help="File format.")] = DatasetFormat.AUTO,
    device_type: Annotated[
        str | None, typer.Option("--device-type", help="Default: pump (SKAB), sensor (NAB).")
    ] = None,
    start: Annotated[
        datetime | None, typer.Option("--start", help="First reading's time (default: so the last is now).")
    ] = None,
    truth: TruthOpt = None,
    register: RegisterOpt = None,
) -> None:
    """Replay a data set as one device, time-compressed; its labels become the ground truth."""
    _ensure_logging()
    settings = _guarded(SimulatorSettings)
    report = _guarded(
        lambda: replay_file(
            settings,
            path,
            device_key=_valid_device_key(device),
            tenant=_valid_tenant(tenant),
            speed=speed,
            fmt=_FORMATS[fmt],
            device_type=device_type,
            start=_as_utc(start),
            stop_event=_stop_on_sigterm(),
            truth_path=truth,
            register=register,
        )
    )
    typer.echo(_replay_summary(report, truth))


# -- helpers -------------------------------------------------------------------------------------------------
def _guarded(action: Callable[[], T]) -> T:
    """Run `action`, turning our errors into a one-line message and an exit code (2: bad input)."""
    try:
        return action()
    except (InvalidInput, ValidationError) as exc:
        _fail(exc, code=2)
    except ServiceUnavailable as exc:
        _fail(exc, code=1)
    except AssetPulseError as exc:  # ConfigurationError and the like: a setting is wrong
        _fail(exc, code=2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(130) from None


def _fail(exc: Exception, *, code: int) -> NoReturn:
    message = summarise(exc) if isinstance(exc, ValidationError) else str(exc)
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _valid_tenant(tenant: str) -> str:
    if not tenant or len(tenant) > 64 or not all(c.isalnum() or c in "_-" for c in tenant) or not tenant.isascii():
        raise typer.BadParameter(f"{tenant!r}: use 1-64 letters, digits, '_' or '-'", param_hint="--tenant")
    return tenant


def _valid_device_key(key: str) -> str:
    if not key or len(key) > 128 or not key.isascii() or not all(c.isalnum() or c in "_-.:" for c in key):
        raise typer.BadParameter(f"{key!r}: use 1-128 letters, digits, '_', '-', '.' or ':'", param_hint="--device")
    return key


def _stop_on_sigterm() -> threading.Event:
    """An event SIGTERM sets (Ctrl-C is handled as KeyboardInterrupt), so both end the run cleanly."""
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    return stop


def _ensure_logging() -> None:
    """Log to stderr when nobody set logging up (the `assetpulse` entry point normally does)."""
    if not logging.getLogger().handlers:
        configure_logging("INFO")


def _as_utc(moment: datetime | None) -> datetime | None:
    """A time given without a zone is UTC."""
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _fleet_summary(report: FleetReport, truth: Path | None) -> str:
    devices = len(report.readings_sent)
    lines = [
        f"published {report.total_sent} readings from {devices} devices "
        f"(simulated {report.start.isoformat()} .. {report.end.isoformat() if report.end else '-'})"
    ]
    undelivered = sum(report.undelivered.values())
    if undelivered:
        lines.append(f"{undelivered} readings were still buffered when the fleet stopped")
    lines.append(f"ground truth: {len(report.truth.faults)} faults" + (f", written to {truth}" if truth else ""))
    return "\n".join(lines)


def _replay_summary(report: ReplayReport, truth: Path | None) -> str:
    text = f"replayed {report.rows} rows ({report.readings_sent} readings sent)"
    if report.undelivered:
        text += f", {report.undelivered} undelivered"
    return text + f"; {len(report.truth.faults)} labels" + (f" written to {truth}" if truth else "")
