"""One benchmark run, phase by phase, on one generated data set:

1. broker ceiling: publishers -> Mosquitto -> a subscriber that only counts;
2. COPY ceiling: the same readings written with binary COPY straight into telemetry.readings;
3. naive baseline: an ingestor that INSERTs and commits reading by reading (the first few thousand messages);
4. the real ingestor (`python -m ingest`), end to end, from the first publish to the last reading committed,
   then a check that exactly what was sent is stored.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass

from ingest.bench.baselines import copy_ceiling, naive_worker
from ingest.bench.data import BenchSpec
from ingest.bench.database import BenchIds, bench_database, prepare, reset_telemetry, verify
from ingest.bench.endtoend import EndToEnd, measure_ingestor
from ingest.bench.errors import BenchFailed
from ingest.bench.publishers import PublisherGroup, count_worker
from ingest.bench.report import BenchReport
from ingest.bench.services import start_services
from ingest.bench.workers import Worker
from ingest.config import IngestSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BenchOptions:
    messages: int = 100_000
    metrics: int = 10
    devices: int = 100
    publishers: int = 2
    ingestors: int = 1  # ingestor processes; more than one share a subscription group
    database_url: str | None = None  # a server where the benchmark may CREATE DATABASE; None: embedded
    mqtt_url: str | None = None  # None: a Mosquitto of its own
    naive_messages: int = 3_000
    copy_batch_rows: int = 50_000
    timeout_seconds: float = 300.0


def run_bench(options: BenchOptions) -> BenchReport:
    """Run every phase and return the figures; raises `BenchFailed` (or `ServiceUnavailable`) if it cannot."""
    with contextlib.ExitStack() as stack:
        admin_url, mqtt_url = start_services(options.database_url, options.mqtt_url, stack)
        spec = BenchSpec.generate(messages=options.messages, metrics=options.metrics, devices=options.devices)
        url = stack.enter_context(bench_database(admin_url))
        ids = prepare(url, spec)
        log.info("phase 1/4: broker ceiling, %d messages, %d publishers", spec.messages, options.publishers)
        broker_msgs_per_s = measure_broker(mqtt_url, spec, options)
        log.info("phase 2/4: COPY ceiling, %d readings", spec.sent_readings)
        copied = copy_ceiling(url, spec, ids, batch_rows=options.copy_batch_rows)
        reset_telemetry(url)
        naive_messages = min(spec.messages, options.naive_messages)
        log.info("phase 3/4: naive ingestor, %d messages", naive_messages)
        naive_readings_per_s = measure_naive(mqtt_url, url, spec, ids, messages=naive_messages, options=options)
        reset_telemetry(url)
        log.info("phase 4/4: the ingestor, %d messages", spec.messages)
        end_to_end = measure_ingestor(
            mqtt_url,
            url,
            spec,
            ids,
            publishers=options.publishers,
            ingestors=options.ingestors,
            timeout=options.timeout_seconds,
        )
        return _report(
            options,
            spec=spec,
            ids=ids,
            url=url,
            end_to_end=end_to_end,
            broker_msgs_per_s=broker_msgs_per_s,
            copy_readings_per_s=copied.rows_per_s,
            naive_messages=naive_messages,
            naive_readings_per_s=naive_readings_per_s,
        )
    raise AssertionError("unreachable")  # pragma: no cover - ExitStack does not swallow exceptions


def measure_broker(mqtt_url: str, spec: BenchSpec, options: BenchOptions) -> float:
    """Messages per second from the first publish to the last message the counting subscriber received."""
    counter = Worker.start(
        "counting subscriber",
        count_worker,
        mqtt_url=mqtt_url,
        topic_filter=_topic_filter(spec),
        expected=spec.messages,
        timeout=options.timeout_seconds,
    )
    try:
        counter.wait_ready(timeout=60)
        with PublisherGroup(mqtt_url, spec, count=spec.messages, publishers=options.publishers) as group:
            group.go()
            published = group.outcome(options.timeout_seconds)
        counted = counter.result(options.timeout_seconds)
    finally:
        counter.stop()
    if int(counted["received"]) < spec.messages:
        raise BenchFailed(f"the counting subscriber got {counted['received']} of {spec.messages} messages")
    return spec.messages / (float(counted["last"]) - published.first_publish)


def measure_naive(
    mqtt_url: str, url: str, spec: BenchSpec, ids: BenchIds, *, messages: int, options: BenchOptions
) -> float:
    """Readings per second of the naive ingestor over the first `messages` messages."""
    expected = messages * spec.metrics
    devices = dict(zip(spec.device_keys(), ids.device_ids, strict=True))
    metrics = dict(zip(spec.metric_names(), ids.metric_ids, strict=True))
    naive = Worker.start(
        "naive ingestor",
        naive_worker,
        mqtt_url=mqtt_url,
        database_url=url,
        topic_filter=_topic_filter(spec),
        devices=devices,
        metrics=metrics,
        expected_readings=expected,
        timeout=options.timeout_seconds,
    )
    try:
        naive.wait_ready(timeout=60)
        with PublisherGroup(mqtt_url, spec, count=messages, publishers=options.publishers) as group:
            group.go()
            published = group.outcome(options.timeout_seconds)
        result = naive.result(options.timeout_seconds)
    finally:
        naive.stop()
    if int(result["inserted"]) < expected:
        raise BenchFailed(f"the naive ingestor inserted {result['inserted']} of {expected} readings in time")
    return expected / (float(result["last"]) - published.first_publish)


def _topic_filter(spec: BenchSpec) -> str:
    return f"assetpulse/{spec.tenant}/+/telemetry"


def _report(
    options: BenchOptions,
    *,
    spec: BenchSpec,
    ids: BenchIds,
    url: str,
    end_to_end: EndToEnd,
    broker_msgs_per_s: float,
    copy_readings_per_s: float,
    naive_messages: int,
    naive_readings_per_s: float,
) -> BenchReport:
    started = time.monotonic()
    check = verify(url, spec, ids)
    log.info("verified the stored readings in %.1fs", time.monotonic() - started)
    settings = IngestSettings()
    seconds = end_to_end.seconds
    return BenchReport(
        messages=spec.messages,
        metrics=spec.metrics,
        devices=spec.devices,
        publishers=options.publishers,
        ingestors=options.ingestors,
        sent_readings=spec.sent_readings,
        stored_readings=check.stored,
        duplicates=check.duplicates,
        exact=check.exact(spec.sent_readings),
        seconds=seconds,
        msgs_per_s=_ratio(check.stored / spec.metrics, seconds),
        readings_per_s=_ratio(check.stored, seconds),
        publish_msgs_per_s=_ratio(spec.messages, end_to_end.publish_seconds),
        mismatched_series=check.mismatched_series,
        quarantined_readings=check.quarantined_readings,
        dead_letters=check.dead_letters,
        rollups_consistent=check.rollups_consistent,
        broker_msgs_per_s=broker_msgs_per_s,
        copy_readings_per_s=copy_readings_per_s,
        naive_messages=naive_messages,
        naive_readings_per_s=naive_readings_per_s,
        backend=ids.backend,
        ingestor_settings={
            "receive_maximum": settings.receive_maximum,
            "batch_max_messages": settings.batch_max_messages,
            "batch_max_wait_ms": settings.batch_max_wait_ms,
            "max_pending_messages": settings.max_pending_messages,
            "mqtt_protocol": settings.mqtt_protocol,
        },
    )


def _ratio(numerator: float, seconds: float) -> float:
    return numerator / seconds if seconds > 0 else 0.0
