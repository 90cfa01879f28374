"""`assetpulse demo`: the whole telemetry spine on one machine with no configuration.

Composition root: embedded PostgreSQL (unless `ASSETPULSE_DATABASE_URL`), a local broker (Mosquitto when
installed, else the in-process amqtt; unless `ASSETPULSE_MQTT_URL`), migrations, one ingestor, a simulated fleet.
The local broker authenticates every client (see `service_core.demo_broker`): each simulated device logs in with
credentials issued in the device registry and may use only its own topics, the ingestor with its own service
identity; anonymous clients are refused.
Data persists in `ASSETPULSE_DATA_DIR` (default ./.assetpulse) between runs; Ctrl-C stops everything cleanly.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from ingest.brokers import AmqttBroker, MosquittoProcess, RunningBroker, free_port, start_local_broker
from ingest.config import IngestSettings
from ingest.main import build_ingest_service, stop_on_signals
from service_core.api.serve import stop as stop_process
from service_core.api.settings import ApiSettings
from service_core.config import CoreSettings
from service_core.db.connection import redact
from service_core.db.migrate import migrate
from service_core.db.resolve import database_url
from service_core.demo_api import ApiThread, ensure_demo_admin
from service_core.demo_broker import demo_broker_logins
from service_core.exceptions import ServiceUnavailable
from service_core.logging import configure_logging
from service_core.seed.demo import LOGINS_FILE, ensure_demo_company
from simulators.scenarios import load_scenario, with_overrides

log = logging.getLogger(__name__)

DEMO_BROKER_PORT = 18830
DEMO_METRICS_PORT = 9464
DEMO_DASHBOARD_PORT = 8501
DASHBOARD_LOG = "dashboard.log"


def _port_or_free(port: int) -> int:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return free_port()
    return port


def run_demo(
    *, devices: int = 12, seconds: float | None = None, broker: str = "auto", with_dashboard: bool = True
) -> None:
    core = CoreSettings()
    configure_logging(core.log_level, core.log_format)
    stop = threading.Event()
    stop_on_signals(stop)
    ingest_settings = IngestSettings()
    with contextlib.ExitStack() as stack:
        url = database_url(core)
        migrate(url, timescale=core.timescale)
        company_logins = ensure_demo_company(url, core.data_dir, devices=devices)  # nothing runs yet
        broker_url = ingest_url = ingest_settings.mqtt_url
        local: RunningBroker | None = None
        fleet_logins: dict[str, tuple[str, str]] = {}
        if "mqtt_url" not in ingest_settings.model_fields_set:
            scenario = with_overrides(load_scenario("default"), devices=devices)
            fleet = [(key, asset_type) for key, asset_type, _ in scenario.fleet.device_keys()]
            logins = demo_broker_logins(url, tenant=scenario.tenant, devices=fleet)
            local = start_local_broker(
                core.data_dir, port=_port_or_free(DEMO_BROKER_PORT), prefer=broker, auth=logins.auth
            )
            stack.callback(local.stop)
            broker_url, ingest_url, fleet_logins = local.url, logins.ingest_url(local.url), logins.devices
            if isinstance(local, AmqttBroker):  # MQTT 3.1.1 only: no shared subscriptions
                ingest_settings = ingest_settings.model_copy(update={"mqtt_protocol": "3.1.1", "shared_group": ""})
        metrics_port = (
            _port_or_free(DEMO_METRICS_PORT)
            if "metrics_port" not in ingest_settings.model_fields_set
            else ingest_settings.metrics_port
        )
        ingest_settings = ingest_settings.model_copy(
            update={"mqtt_url": ingest_url, "metrics_port": metrics_port, "client_id": "assetpulse-demo-ingest"}
        )
        service = build_ingest_service(
            ingest_settings, core.model_copy(update={"database_url": url}), run_migrations=False
        )
        ingestor = threading.Thread(target=service.run, args=(stop,), name="ingestor")
        ingestor.start()
        stack.callback(ingestor.join, 30)
        if not service.source.connected.wait(20):
            stop.set()
            raise SystemExit("error: the ingestor could not subscribe to " + broker_url)
        api_settings = ApiSettings()
        api_settings = api_settings.model_copy(update={"port": _port_or_free(api_settings.port)})
        api = ApiThread(url, api_settings).start()
        stack.callback(api.stop)
        admin = ensure_demo_admin(url, core.data_dir)
        dashboard_url = _start_dashboard(stack, api.base_url, core.data_dir) if with_dashboard else None
        fleet_thread = threading.Thread(
            target=_run_fleet,
            args=(broker_url, ingest_settings.mqtt_protocol, url, devices, stop),
            kwargs={"credentials": fleet_logins},
            name="fleet",
        )
        fleet_thread.start()
        stack.callback(fleet_thread.join, 30)
        _banner(core, url, broker_url, ingest_settings, devices, secured=local is not None)
        print(f"  REST API         {api.base_url}/docs  (log in as {admin[0]} / {admin[1]})", flush=True)
        if dashboard_url is not None:
            print(f"  dashboard        {dashboard_url}  (same login; its log: {core.data_dir / DASHBOARD_LOG})")
        shown = [f"  demo company     {line}" for line in company_logins[:3]]
        print("\n".join([*shown, f"  all its logins   {core.data_dir / LOGINS_FILE}", ""]), flush=True)
        _report_until_stopped(url, stop, seconds, on_tick=_auth_follower(local))
        stop.set()
    print("demo stopped; data kept in", core.data_dir)


def _start_dashboard(stack: contextlib.ExitStack, api_url: str, data_dir: Path) -> str:
    """The Streamlit dashboard as a child process reading the demo's API; stopped with the demo."""
    from dashboard.launch import start_dashboard

    port = _port_or_free(DEMO_DASHBOARD_PORT)
    log_file = stack.enter_context((data_dir / DASHBOARD_LOG).open("ab"))
    stack.callback(stop_process, start_dashboard(port=port, api_url=api_url, output=log_file))
    return f"http://127.0.0.1:{port}"


def _auth_follower(local: RunningBroker | None) -> Callable[[], None] | None:
    """For the demo's Mosquitto: re-render its password and ACL files from the registry on every tick, so that a
    device revoked or rotated meanwhile is refused within seconds (amqtt reads the registry at each CONNECT)."""
    if not isinstance(local, MosquittoProcess) or local.auth is None:
        return None
    broker = local

    def follow() -> None:
        if broker.sync_auth():
            log.info("device registry changed: broker password and ACL files reloaded")

    return follow


def _run_fleet(
    broker_url: str,
    protocol: str,
    url: str,
    devices: int,
    stop: threading.Event,
    *,
    credentials: dict[str, tuple[str, str]],
) -> None:
    from simulators import SimulatorSettings, run_fleet

    scenario = load_scenario("default")
    # Simulated time runs `speed` times faster than the clock; start it in the past so that it reaches "now"
    # exactly when the simulated day ends, and no reading is ever stamped in the future.
    lead = scenario.duration_s * (scenario.speed - 1) / scenario.speed if scenario.duration_s else 0.0
    scenario = with_overrides(scenario, devices=devices, start=datetime.now(UTC) - timedelta(seconds=lead))
    try:
        settings = SimulatorSettings(mqtt_url=broker_url, mqtt_protocol=protocol, database_url=url)
        run_fleet(settings, scenario, stop, credentials=credentials)
    except Exception:
        log.exception("simulated fleet failed")
        stop.set()


def _banner(
    core: CoreSettings, url: str, broker_url: str, settings: IngestSettings, devices: int, *, secured: bool
) -> None:
    logins = (
        "devices with their registry credentials, the ingestor as its own service user; anonymous refused"
        if secured
        else "as ASSETPULSE_MQTT_URL says"
    )
    lines = [
        "",
        "AssetPulse demo is running",
        f"  data directory   {core.data_dir}",
        f"  PostgreSQL       {redact(url)}",
        f"  MQTT broker      {broker_url}  (telemetry on assetpulse/<tenant>/<device>/telemetry)",
        f"  broker logins    {logins}",
        f"  ingestor         {settings.client_id}, MQTT {settings.mqtt_protocol}, "
        f"metrics on http://{settings.metrics_host}:{settings.metrics_port}/metrics",
        f"  simulated fleet  {devices} devices of tenant 'demo' (scenario 'default')",
        "  try              ASSETPULSE_DATABASE_URL='" + url + "' assetpulse devices list",
        "  stop             Ctrl-C",
        "",
    ]
    print("\n".join(lines), flush=True)


def _report_until_stopped(
    url: str, stop: threading.Event, seconds: float | None, *, on_tick: Callable[[], None] | None = None
) -> None:
    deadline = time.monotonic() + seconds if seconds else None
    while not stop.wait(5.0):
        if on_tick is not None:
            try:
                on_tick()
            except (psycopg.Error, OSError, ServiceUnavailable) as exc:
                print(f"broker logins not refreshed: {exc}", flush=True)
        try:
            with psycopg.connect(url, connect_timeout=3) as conn:
                stored, online, dead, held = conn.execute(
                    "SELECT (SELECT count(*) FROM telemetry.readings),"
                    " (SELECT count(*) FROM fleet.devices WHERE status = 'online'),"
                    " (SELECT count(*) FROM ingest.dead_letters WHERE replayed_at IS NULL),"
                    " (SELECT count(*) FROM ingest.quarantine WHERE replayed_at IS NULL)"
                ).fetchone() or (0, 0, 0, 0)
            print(
                f"[{datetime.now(UTC):%H:%M:%S}] readings stored {stored}, devices online {online}, "
                f"dead letters {dead}, quarantined {held}",
                flush=True,
            )
        except psycopg.Error as exc:
            print(f"database not reachable: {exc}", flush=True)
        if deadline is not None and time.monotonic() >= deadline:
            return
