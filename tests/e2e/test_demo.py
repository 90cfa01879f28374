"""`assetpulse demo` as a user runs it: no configuration, embedded parts, Ctrl-C, data kept between runs."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from ingest.brokers import mosquitto_binary

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # outside pytest's private basetemp: as root, the embedded PostgreSQL runs as another user
    base = Path(tempfile.mkdtemp(prefix="assetpulse-demo-"))
    base.chmod(0o755)
    yield base / "data"
    shutil.rmtree(base, ignore_errors=True)


def demo_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSETPULSE_")}
    env["ASSETPULSE_DATA_DIR"] = str(data_dir)
    return env


def run_until_readings(
    data_dir: Path, broker: str, minimum_reports: int = 2, *, while_running: Callable[[str], None] | None = None
) -> tuple[int, str]:
    """Start the demo, wait for `minimum_reports` progress lines, call `while_running` with the output so far,
    press Ctrl-C; returns (exit code, output)."""
    cli = [sys.executable, "-c", "from service_core.cli import main; main()"]
    proc = subprocess.Popen(
        [*cli, "demo", "--devices", "4", "--broker", broker],
        env=demo_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 300  # seeding the demo company takes a minute or two on a busy machine
    reports = 0
    for line in proc.stdout:
        lines.append(line)
        counts = stored_counts(line)
        if counts and counts[0] > 0:
            reports += 1
        if reports >= minimum_reports or time.monotonic() > deadline:
            break
    try:
        if while_running is not None:
            while_running("".join(lines))
    finally:
        proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=60)
    return proc.returncode, "".join(lines) + rest


def stored_counts(output: str) -> list[int]:
    return [
        int(line.split("readings stored ")[1].split(",")[0])
        for line in output.splitlines()
        if "readings stored " in line
    ]


def dashboard_answers(output: str) -> str:
    """What the demo's dashboard answers on its health route and its page, once it is up (Streamlit needs a few
    seconds to start)."""
    found = re.search(r"dashboard +(http://127\.0\.0\.1:\d+)", output)
    assert found, output
    deadline = time.monotonic() + 60
    while True:
        try:
            health = httpx.get(f"{found.group(1)}/_stcore/health", timeout=5)
            page = httpx.get(found.group(1), timeout=5)
            return f"{health.status_code} {health.text} {page.status_code} {'<title>Streamlit' in page.text}"
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@pytest.mark.skipif(mosquitto_binary() is None, reason="the demo prefers Mosquitto; it is not installed")
def test_demo_runs_stops_on_ctrl_c_and_keeps_its_data(data_dir: Path):
    answers: list[str] = []
    code, output = run_until_readings(data_dir, "mosquitto", while_running=lambda out: answers.append(
        dashboard_answers(out)))  # fmt: skip
    assert answers == ["200 ok 200 True"], output
    assert code == 0, output
    assert "PostgreSQL" in output and "MQTT broker      mqtt://127.0.0.1:" in output
    assert "demo stopped; data kept in" in output
    assert "REST API         http://127.0.0.1:" in output and "log in as admin@demo.assetpulse.dev" in output
    assert "Traceback" not in output
    first_run = stored_counts(output)
    assert first_run and first_run[-1] > 0

    code, output = run_until_readings(data_dir, "mosquitto", minimum_reports=1)
    assert code == 0, output
    assert stored_counts(output)[0] >= first_run[-1]  # the first run's readings are still there


def test_demo_on_the_pure_python_broker(data_dir: Path):
    code, output = run_until_readings(data_dir, "amqtt", minimum_reports=1)
    assert code == 0, output
    assert "MQTT 3.1.1" in output
    assert stored_counts(output)[-1] > 0


def connack(port: int, username: str | None, password: str | None) -> Any:
    """The reason code of the demo broker's CONNACK to an MQTT 3.1.1 client logging in as `username`."""
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"probe-{username}", protocol=MQTTProtocolVersion.MQTTv311
    )
    if username is not None:
        client.username_pw_set(username, password)
    answers: list[Any] = []
    client.on_connect = lambda _c, _u, _f, reason, _p: answers.append(reason)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        deadline = time.monotonic() + 15
        while not answers and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        client.disconnect()
        client.loop_stop()
    assert answers, "no CONNACK"
    return answers[0]


def broker_port(output: str) -> int:
    found = re.search(r"MQTT broker +mqtt://127\.0\.0\.1:(\d+)", output)
    assert found, output
    return int(found.group(1))


@pytest.mark.parametrize("broker", ["amqtt", "mosquitto"])
def test_the_demo_broker_refuses_strangers_while_its_fleet_publishes(data_dir: Path, broker: str):
    if broker == "mosquitto" and mosquitto_binary() is None:
        pytest.skip("mosquitto is not installed")
    refusals: dict[str, Any] = {}

    def probe(output: str) -> None:
        port = broker_port(output)
        refusals["anonymous"] = connack(port, None, None)
        refusals["unknown device"] = connack(port, "demo/no-such-device", "guessed-password-123")
        refusals["wrong password"] = connack(port, "demo/sim-pump-001", "guessed-password-123")
        refusals["ingestor without its password"] = connack(port, "assetpulse-ingest", "assetpulse-ingest-dev")

    code, output = run_until_readings(data_dir, broker, minimum_reports=1, while_running=probe)
    assert code == 0, output
    assert "anonymous refused" in output
    assert stored_counts(output)[-1] > 0  # the simulated devices got in with their registry credentials
    assert set(refusals) == {"anonymous", "unknown device", "wrong password", "ingestor without its password"}
    for who, reason in refusals.items():
        assert reason.is_failure, f"{who} was let in ({reason})"
