"""Phase 4: the real ingestor, end to end.  It is started first and proven to store (a probe message), the
store is emptied, then the publishers send everything while the store is polled until it holds it all."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
import psycopg

from ingest.bench.data import BenchSpec
from ingest.bench.database import PROBE_DEVICE_KEY, BenchIds, count_readings, reset_telemetry, stored_so_far
from ingest.bench.errors import BenchFailed
from ingest.bench.ingestor import IngestorGroup
from ingest.bench.publishers import PublisherGroup, QoS1Publisher, make_client
from ingest.payloads import telemetry_topic
from service_core.db.connection import connect

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05
STALL_SECONDS = 60.0  # give up this long after the last progress, once the publishers are done


@dataclass(frozen=True, slots=True)
class EndToEnd:
    seconds: float  # first publish to the poll that saw the last reading (or the last progress)
    complete: bool
    publish_seconds: float


def measure_ingestor(
    mqtt_url: str, url: str, spec: BenchSpec, ids: BenchIds, *, publishers: int, ingestors: int, timeout: float
) -> EndToEnd:
    with IngestorGroup(database_url=url, mqtt_url=mqtt_url, count=ingestors) as ingestor:
        ingestor.wait_subscribed(timeout=120)
        _probe(mqtt_url, url, spec, ingestor)
        reset_telemetry(url)
        with (
            PublisherGroup(mqtt_url, spec, count=spec.messages, publishers=publishers) as group,
            connect(url, autocommit=True, application="assetpulse-bench-poll") as conn,
        ):
            group.go()
            done_at, complete = _wait_for_readings(conn, ids.backend, spec.sent_readings, ingestor, timeout)
            published = group.outcome(timeout)
    seconds = done_at - published.first_publish
    log.info(
        "ingestor phase: %s after %.2fs (publishing took %.2fs)",
        "complete" if complete else "INCOMPLETE",
        seconds,
        published.last_ack - published.first_publish,
    )
    return EndToEnd(seconds, complete, published.last_ack - published.first_publish)


def _wait_for_readings(
    conn: psycopg.Connection, backend: str, expected: int, ingestor: IngestorGroup, timeout: float
) -> tuple[float, bool]:
    """(time.monotonic() when all `expected` readings were seen, or of the last progress; all seen?)."""
    started = time.monotonic()
    deadline = started + timeout
    seen, progress_at = 0, started
    while True:
        now = time.monotonic()
        stored = stored_so_far(conn, backend)
        if stored != seen:
            seen, progress_at = stored, now
        if stored >= expected:
            return now, True
        if now > deadline or now - progress_at > STALL_SECONDS:
            log.warning("gave up waiting: %d of %d readings stored", stored, expected)
            return progress_at, False
        ingestor.check_alive()
        time.sleep(POLL_SECONDS)


def _probe(mqtt_url: str, url: str, spec: BenchSpec, ingestor: IngestorGroup) -> None:
    """Publish one message for the probe device until the ingestor has stored it (a message published before the
    broker has the subscription is not delivered; the same payload again is stored once)."""
    payload = orjson.dumps(
        {"ts": datetime.now(UTC).isoformat(), "metrics": {name: 1.0 for name in spec.metric_names()}}
    )
    deadline = time.monotonic() + 60
    with connect(url, autocommit=True, application="assetpulse-bench-probe") as conn:
        while count_readings(conn) < spec.metrics:
            ingestor.check_alive()
            if time.monotonic() > deadline:
                raise BenchFailed("the ingestor did not store the probe message within 60s")
            client = make_client(mqtt_url, f"bench-probe-{ingestor.client_id}")
            try:
                topic = telemetry_topic(spec.tenant, PROBE_DEVICE_KEY)
                QoS1Publisher(client).publish_all([(topic, payload)], timeout=30)
            finally:
                client.disconnect()
            for _ in range(20):
                if count_readings(conn) >= spec.metrics:
                    break
                time.sleep(0.1)
    log.info("the ingestor stores readings; starting the measurement")
