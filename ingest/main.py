"""Composition root of the ingestor process (`assetpulse ingest`, `python -m ingest`)."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from ingest.config import IngestSettings
from ingest.metrics import IngestMetrics
from ingest.service import IngestService
from service_core.config import CoreSettings
from service_core.db.migrate import migrate
from service_core.db.resolve import database_url
from service_core.logging import configure_logging
from service_core.telemetry.maintenance import RetentionPolicy

log = logging.getLogger(__name__)


def stop_on_signals(stop: threading.Event) -> None:
    def _handler(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s received, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, _handler)
    signal.signal(signal.SIGTERM, _handler)


def build_ingest_service(settings: IngestSettings, core: CoreSettings, *, run_migrations: bool = True) -> IngestService:
    url = database_url(core)
    if run_migrations:
        migrate(url, timescale=core.timescale)
    metrics = IngestMetrics()
    if settings.metrics_port:
        metrics.serve(settings.metrics_host, settings.metrics_port)
        log.info("metrics on http://%s:%d/metrics", settings.metrics_host, settings.metrics_port)
    return IngestService(settings, url, metrics, RetentionPolicy.from_settings(core))


def main(settings: IngestSettings | None = None, core: CoreSettings | None = None) -> None:
    core = core or CoreSettings()
    settings = settings or IngestSettings()
    configure_logging(core.log_level, core.log_format)
    stop = threading.Event()
    stop_on_signals(stop)
    build_ingest_service(settings, core).run(stop)
