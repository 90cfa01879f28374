"""The `assetpulse` command as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from ingest.pipeline import InboundMessage
from tests.factories import scalar, store, telemetry_payload

pytestmark = pytest.mark.e2e


def assetpulse(*args: str, database_url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSETPULSE_")}
    env["COLUMNS"] = "250"  # no line wrapping inside the error box
    if database_url:
        env["ASSETPULSE_DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-c", "from service_core.cli import main; main()", *args],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_migrate_status_and_register(empty_database_url: str, tenant: str):
    first = assetpulse("db", "migrate", database_url=empty_database_url)
    assert first.returncode == 0, first.stderr
    assert "0003_ingest_rejects" in first.stdout
    assert "up to date" in assetpulse("db", "migrate", database_url=empty_database_url).stdout
    assert "0002  telemetry" in assetpulse("db", "status", database_url=empty_database_url).stdout
    out = assetpulse(
        "devices",
        "register",
        "--tenant",
        tenant,
        "-d",
        "p1",
        "-d",
        "p2",
        "--type",
        "pump",
        "--password",
        "s3cret-pass",
        database_url=empty_database_url,
    )
    assert out.returncode == 0, out.stderr
    hashed = scalar(empty_database_url, "SELECT credentials_hash FROM fleet.devices WHERE device_key = 'p1'")
    assert isinstance(hashed, str) and hashed.startswith("scrypt$") and "s3cret" not in hashed
    listing = assetpulse("devices", "list", "--tenant", tenant, database_url=empty_database_url).stdout
    assert f"{tenant}/p1" in listing and f"{tenant}/p2" in listing


def test_deadletter_list_and_replay_after_registering_the_device(database_url: str, tenant: str):
    now = datetime.now(UTC)
    store(
        database_url,
        [
            InboundMessage(f"assetpulse/{tenant}/late/telemetry", telemetry_payload(now, a=1, b=2)),
            InboundMessage(f"assetpulse/{tenant}/p1/telemetry", b"\xffgarbage"),
        ],
    )

    held = assetpulse("deadletter", "list", "--kind", "quarantine", database_url=database_url)
    assert "unknown_device" in held.stdout and f"{tenant}/late" in held.stdout
    dead = assetpulse("deadletter", "list", "--payload", database_url=database_url)
    assert "not_json" in dead.stdout and "\\xffgarbage" in dead.stdout

    assert (
        assetpulse(
            "devices", "register", "--tenant", tenant, "-d", "late", "--type", "pump", database_url=database_url
        ).returncode
        == 0
    )
    replay = assetpulse("deadletter", "replay", "--kind", "quarantine", database_url=database_url)
    assert "replayed 1 message(s), 2 reading(s) stored" in replay.stdout, replay.stdout + replay.stderr
    assert scalar(database_url, "SELECT count(*) FROM telemetry.readings") == 2
    assert (
        "no open quarantine"
        in assetpulse("deadletter", "list", "--kind", "quarantine", database_url=database_url).stdout
    )
    still = assetpulse("deadletter", "replay", database_url=database_url)
    assert "still rejected: 1 (not_json)" in still.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("db", "status"), "cannot reach PostgreSQL"),
        (("deadletter", "list", "--kind", "bogus"), "--kind must be one of"),
        (
            ("devices", "register", "--tenant", "bad tenant!", "-d", "x", "--type", "pump"),
            "tenant: String should match pattern",
        ),
    ],
)
def test_bad_input_is_refused_clearly(args: tuple[str, ...], message: str):
    out = assetpulse(*args, database_url="postgresql://nobody@127.0.0.1:1/none")
    assert out.returncode == 2
    assert message in out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr
