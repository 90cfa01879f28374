"""Keep a Mosquitto broker's password and ACL files in step with the device registry.

`sync_broker_auth` renders both files from the registry and the service users' settings, replaces them
atomically (a broker reloading at the wrong moment reads the old file or the new one, never half of one) and
sends the broker SIGHUP, on which Mosquitto re-reads them and disconnects clients whose credentials are gone.
Called by `assetpulse broker sync-auth`; a deployment runs it after every `devices add|rotate|revoke`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Self

import psycopg
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from service_core.devices import service as devices_service
from service_core.devices.broker_auth import (
    BrokerAccount,
    detector_account,
    ingest_account,
    mosquitto_hash,
    render_acl_file,
    render_password_file,
)
from service_core.exceptions import ServiceUnavailable

log = logging.getLogger(__name__)

# Development only: a broker on a laptop needs no secrets of its own.  Refused in any other environment.
DEVELOPMENT_PASSWORDS = {"ingest": "assetpulse-ingest-dev", "detector": "assetpulse-detector-dev"}


class BrokerAuthSettings(BaseSettings):
    """`ASSETPULSE_BROKER_*`: the broker users of the AssetPulse services (devices come from the registry).

    The ingestor connects with the same user and password in its `ASSETPULSE_MQTT_URL`
    (mqtt://assetpulse-ingest:<password>@broker:1883)."""

    model_config = SettingsConfigDict(env_prefix="ASSETPULSE_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    broker_ingest_username: str = Field(default="assetpulse-ingest", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    broker_ingest_password: SecretStr | None = None
    broker_detector_username: str = Field(default="assetpulse-detector", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    broker_detector_password: SecretStr | None = None

    @model_validator(mode="after")
    def _no_default_secrets(self) -> Self:
        for service, default in DEVELOPMENT_PASSWORDS.items():
            field = f"broker_{service}_password"
            value: SecretStr | None = getattr(self, field)
            if self.environment == "development":
                if value is None:
                    setattr(self, field, SecretStr(default))
            elif value is None or value.get_secret_value() == default:
                raise ValueError(f"ASSETPULSE_{field.upper()} must be set to a secret outside development")
            elif len(value.get_secret_value()) < 16:
                raise ValueError(f"ASSETPULSE_{field.upper()} is too short: use at least 16 characters")
        return self

    def service_accounts(self) -> list[BrokerAccount]:
        """The ingestor's and the detector's broker accounts, their passwords freshly hashed."""
        assert self.broker_ingest_password is not None and self.broker_detector_password is not None
        return [
            ingest_account(self.broker_ingest_username, mosquitto_hash(self.broker_ingest_password.get_secret_value())),
            detector_account(
                self.broker_detector_username, mosquitto_hash(self.broker_detector_password.get_secret_value())
            ),
        ]


@dataclass(frozen=True, slots=True)
class BrokerSyncReport:
    devices: int
    services: int
    reloaded_pid: int | None


def sync_broker_auth(
    conn: psycopg.Connection,
    *,
    password_file: Path,
    acl_file: Path,
    settings: BrokerAuthSettings,
    pid: int | None = None,
) -> BrokerSyncReport:
    """Write the broker's password and ACL files from the registry, then make the broker at `pid` reload them."""
    devices = devices_service.broker_accounts(conn)
    services = settings.service_accounts()  # their names have no '/', a device's always has: no collision
    write_atomically(acl_file, render_acl_file(devices + services))
    write_atomically(password_file, render_password_file(devices + services))
    log.info("broker auth files written: %d devices, %d service users", len(devices), len(services))
    if pid is not None:
        reload_broker(pid)
    return BrokerSyncReport(devices=len(devices), services=len(services), reloaded_pid=pid)


def write_atomically(path: Path, text: str, *, mode: int = 0o640) -> None:
    """Replace `path` with `text` in one rename; an existing file's owner and mode are kept (so a file the
    operator made `root:mosquitto 0640` stays readable by the broker and nobody else)."""
    path = Path(path)
    existing = path.stat() if path.exists() else None
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp_name, existing.st_mode & 0o777 if existing else mode)
        if existing is not None and hasattr(os, "chown"):
            with contextlib.suppress(PermissionError):
                os.chown(tmp_name, existing.st_uid, existing.st_gid)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def reload_broker(pid: int) -> None:
    """SIGHUP to Mosquitto: it re-reads its password and ACL files and drops clients no longer allowed in."""
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError as exc:
        raise ServiceUnavailable(f"no broker process {pid} to reload") from exc
    except PermissionError as exc:
        raise ServiceUnavailable(f"not allowed to signal broker process {pid}: run as its user") from exc
    log.info("sent SIGHUP to broker process %d", pid)


def read_pid_file(path: Path) -> int:
    """The pid in Mosquitto's `pid_file`."""
    try:
        return int(Path(path).read_text().strip())
    except (OSError, ValueError) as exc:
        raise ServiceUnavailable(f"cannot read a broker pid from {path}: {exc}") from exc
