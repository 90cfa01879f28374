"""Issuing and revoking device credentials through the API and the CLI, against a real PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service_core.auth.domain import Role
from service_core.cli import app as cli_app
from service_core.devices.broker_auth import verify_mosquitto_hash
from service_core.exceptions import Conflict
from tests.factories import register_devices, scalar
from tests.support.api import headers_for

pytestmark = pytest.mark.integration


def broker_hash(url: str, device_id: int) -> str | None:
    value = scalar(url, "SELECT broker_password_hash FROM fleet.devices WHERE id = %s", (device_id,))
    assert value is None or isinstance(value, str)
    return value


def test_rotate_returns_the_new_password_once_and_stores_only_hashes(api: TestClient, database_url: str, tenant: str):
    (device,) = register_devices(database_url, tenant, ["p1"])
    dispatcher = headers_for(database_url, Role.DISPATCHER)

    first = api.post(f"/devices/{device.id}/credentials", headers=dispatcher)
    assert first.status_code == 200, first.text
    assert first.headers["cache-control"] == "no-store"
    body = first.json()
    assert body["username"] == f"{tenant}/p1" and len(body["password"]) >= 43
    assert body["device"]["id"] == device.id and body["device"]["credentials_rotated_at"] is not None
    stored = broker_hash(database_url, device.id)
    assert stored is not None and verify_mosquitto_hash(body["password"], stored)

    second = api.post(f"/devices/{device.id}/credentials", headers=dispatcher).json()
    assert second["password"] != body["password"]
    stored = broker_hash(database_url, device.id)
    assert stored is not None and verify_mosquitto_hash(second["password"], stored)
    assert not verify_mosquitto_hash(body["password"], stored)
    read = api.get(f"/devices/{device.id}", headers=dispatcher).json()
    assert "password" not in read and "broker_password_hash" not in read


def test_revoke_forgets_the_credentials(api: TestClient, database_url: str, tenant: str):
    (device,) = register_devices(database_url, tenant, ["p1"])
    admin = headers_for(database_url, Role.ADMIN)
    api.post(f"/devices/{device.id}/credentials", headers=admin)

    revoked = api.post(f"/devices/{device.id}/revoke", headers=admin)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    assert broker_hash(database_url, device.id) is None
    assert scalar(database_url, "SELECT credentials_hash FROM fleet.devices WHERE id = %s", (device.id,)) is None
    again = api.post(f"/devices/{device.id}/revoke", headers=admin)
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"], "revoking twice keeps the first time"


def test_only_admins_and_dispatchers_manage_credentials(api: TestClient, database_url: str, tenant: str):
    (device,) = register_devices(database_url, tenant, ["p1"])
    for role in (Role.VIEWER, Role.TECHNICIAN, Role.FINANCE):
        headers = headers_for(database_url, role)
        assert api.post(f"/devices/{device.id}/credentials", headers=headers).status_code == 403
        assert api.post(f"/devices/{device.id}/revoke", headers=headers).status_code == 403
    assert api.post(f"/devices/{device.id}/credentials").status_code == 401
    assert broker_hash(database_url, device.id) is None
    dispatcher = headers_for(database_url, Role.DISPATCHER)
    assert api.post("/devices/999999/credentials", headers=dispatcher).status_code == 404
    assert api.post("/devices/999999/revoke", headers=dispatcher).status_code == 404


def test_registering_with_a_password_lifts_a_revocation(api: TestClient, database_url: str, tenant: str):
    dispatcher = headers_for(database_url, Role.DISPATCHER)
    device = {"tenant": tenant, "device_key": "p1", "device_type": "pump", "password": "first-password"}
    device_id = api.post("/devices", json=device, headers=dispatcher).json()["id"]
    api.post(f"/devices/{device_id}/revoke", headers=dispatcher)
    without_password = {k: v for k, v in device.items() if k != "password"}
    assert api.post("/devices", json=without_password, headers=dispatcher).json()["revoked_at"] is not None

    renewed = api.post("/devices", json={**device, "password": "second-password"}, headers=dispatcher).json()
    assert renewed["revoked_at"] is None
    stored = broker_hash(database_url, device_id)
    assert stored is not None and verify_mosquitto_hash("second-password", stored)


HANGUP_EXIT = 42
STAND_IN_BROKER = (
    "import signal, sys, time\n"
    f"signal.signal(signal.SIGHUP, lambda *_: sys.exit({HANGUP_EXIT}))\n"
    "print('ready', flush=True)\n"
    "time.sleep(60)\n"
)


def test_cli_add_rotate_revoke_and_sync(database_url: str, tenant: str, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("ASSETPULSE_DATABASE_URL", database_url)
    monkeypatch.setenv("ASSETPULSE_ENVIRONMENT", "development")
    runner = CliRunner()

    added = runner.invoke(cli_app, ["devices", "add", "--tenant", tenant, "-d", "p:1", "--type", "pump"])
    assert added.exit_code == 0, added.output
    password = next(line.split(": ", 1)[1] for line in added.stdout.splitlines() if line.startswith("mqtt password"))
    assert f"mqtt username: {tenant}/p%3A1" in added.stdout
    duplicate = runner.invoke(cli_app, ["devices", "add", "--tenant", tenant, "-d", "p:1", "--type", "pump"])
    assert isinstance(duplicate.exception, Conflict), duplicate.output

    # a process standing in for the broker: it must receive exactly one SIGHUP.  It handles the signal itself (a
    # runner started under nohup passes SIGHUP on ignored) and says when it is ready for it.
    sleeper = subprocess.Popen([sys.executable, "-c", STAND_IN_BROKER], stdout=subprocess.PIPE, text=True)
    assert sleeper.stdout is not None and sleeper.stdout.readline() == "ready\n"
    files = ["--password-file", str(tmp_path / "passwd"), "--acl-file", str(tmp_path / "acl")]
    try:
        synced = runner.invoke(cli_app, ["broker", "sync-auth", *files, "--pid", str(sleeper.pid)])
        assert synced.exit_code == 0, synced.output
        assert sleeper.wait(timeout=10) == HANGUP_EXIT
    finally:
        if sleeper.poll() is None:
            os.kill(sleeper.pid, signal.SIGKILL)
            sleeper.wait()
    line = next(x for x in (tmp_path / "passwd").read_text().splitlines() if x.startswith(f"{tenant}/p%3A1:"))
    assert verify_mosquitto_hash(password, line.split(":", 1)[1])
    assert f"user {tenant}/p%3A1" in (tmp_path / "acl").read_text()
    assert "assetpulse-ingest:" in (tmp_path / "passwd").read_text()

    rotated = runner.invoke(cli_app, ["devices", "rotate", "--tenant", tenant, "-d", "p:1"])
    assert rotated.exit_code == 0 and password not in rotated.stdout
    revoked = runner.invoke(cli_app, ["devices", "revoke", "--tenant", tenant, "-d", "p:1"])
    assert revoked.exit_code == 0, revoked.output
    assert runner.invoke(cli_app, ["broker", "sync-auth", *files]).exit_code == 0
    assert f"{tenant}/p%3A1" not in (tmp_path / "passwd").read_text()
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT revoked_at IS NOT NULL FROM fleet.devices WHERE tenant = %s AND device_key = 'p:1'", (tenant,)
        ).fetchone()
    assert row == (True,)
