"""The ingest loop: take a batch from MQTT, triage it, commit it in one transaction, then acknowledge it.

Nothing is acknowledged before it is durable.  When PostgreSQL is down or slow the loop keeps retrying the same
batch with exponential backoff and jitter; the broker, seeing no acknowledgements, stops sending once our
receive window is full, so memory stays bounded and nothing is lost.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg

from ingest.config import IngestSettings
from ingest.metrics import IngestMetrics
from ingest.mqtt_client import MqttSource
from ingest.pipeline import DeadLetter, InboundMessage, Limits, Triage, triage
from ingest.writer import TelemetryWriter, WriteResult
from service_core.telemetry.maintenance import RetentionPolicy, run_maintenance

log = logging.getLogger(__name__)


def limits_from(settings: IngestSettings, policy: RetentionPolicy) -> Limits:
    return Limits(
        max_payload_bytes=settings.max_payload_bytes,
        future_skew=timedelta(seconds=settings.future_skew_seconds),
        retention=timedelta(days=policy.raw_days),
    )


class BatchCommitter:
    """Commits batches of messages, retrying through database outages and isolating poison messages."""

    def __init__(
        self, writer: TelemetryWriter, settings: IngestSettings, limits: Limits, metrics: IngestMetrics
    ) -> None:
        self.writer = writer
        self.settings = settings
        self.limits = limits
        self.metrics = metrics

    def commit(self, messages: list[InboundMessage], stop: threading.Event) -> bool:
        """True once every message is durable (stored, quarantined or dead-lettered); False if stopped first."""
        delay = 0.2
        partitions_refreshed = False
        while not stop.is_set():
            try:
                self._write(messages)
                self.metrics.db_up.set(1)
                return True
            except psycopg.errors.TransactionRollback as exc:  # deadlock or serialization failure with a peer
                self.metrics.write_failures.labels("conflict").inc()
                log.info("batch rolled back by a concurrent writer (%s); retrying", type(exc).__name__)
                continue
            except psycopg.OperationalError as exc:
                self._database_trouble(exc)
            except psycopg.IntegrityError as exc:
                if not partitions_refreshed:  # a partition dropped under our cache: look again, retry once
                    partitions_refreshed = True
                    self.writer.forget_partitions()
                    continue
                return self._isolate(messages, exc, stop)
            except psycopg.Error as exc:
                return self._isolate(messages, exc, stop)
            stop.wait(delay * (0.5 + random.random()))
            delay = min(delay * 2, self.settings.retry_max_seconds)
        return False

    def _write(self, messages: list[InboundMessage]) -> WriteResult:
        batch = triage(messages, now=datetime.now(UTC), limits=self.limits)
        started = time.monotonic()
        watchdog = threading.Timer(self.settings.write_timeout_seconds, self._stuck)
        watchdog.daemon = True
        watchdog.start()
        try:
            result = self.writer.write(batch)
        finally:
            watchdog.cancel()
        self._count(result, len(messages), time.monotonic() - started)
        return result

    def _stuck(self) -> None:
        log.warning("a write took over %.0fs; breaking the database connection", self.settings.write_timeout_seconds)
        self.writer.abort()

    def _database_trouble(self, exc: Exception) -> None:
        self.metrics.db_up.set(0)
        self.metrics.write_failures.labels("database").inc()
        log.warning("database unavailable, batch kept for retry: %s", str(exc).strip().splitlines()[0:1])
        self.writer.close()

    def _isolate(self, messages: list[InboundMessage], exc: psycopg.Error, stop: threading.Event) -> bool:
        """The database rejected the batch's content: store message by message, dead-letter what still fails."""
        self.metrics.write_failures.labels("rejected").inc()
        if len(messages) > 1:
            log.warning("batch of %d rejected (%s); writing its messages one by one", len(messages), exc)
            return all(self.commit([m], stop) for m in messages)
        msg = messages[0]
        log.error("message on %s rejected by the database, dead-lettered: %s", msg.topic, exc)
        detail = f"{type(exc).__name__}: {str(exc).strip()}"[:2000]
        dead = Triage(dead=[DeadLetter(msg.topic, msg.payload, "store_rejected", detail)])
        while not stop.is_set():
            try:
                self._count(self.writer.write(dead), 0, 0.0)
                return True
            except psycopg.OperationalError as op_exc:
                self._database_trouble(op_exc)
                stop.wait(1.0)
        return False

    def _count(self, result: WriteResult, messages: int, seconds: float) -> None:
        m = self.metrics
        m.readings_stored.inc(result.stored)
        m.readings_duplicate.inc(result.duplicates)
        m.statuses.inc(result.statuses)
        for reason, n in result.dead_lettered.items():
            m.dead_lettered.labels(reason).inc(n)
        for reason, n in result.quarantined.items():
            m.quarantined.labels(reason).inc(n)
        if messages:
            m.batches.inc()
            m.batch_size.observe(messages)
            m.commit_latency.observe(seconds)
        if result.newest_event is not None:
            m.event_lag.set((datetime.now(UTC) - result.newest_event).total_seconds())


class IngestService:
    """Receives with one MQTT session and commits with `writers` threads, each with its own connection: while one
    waits on PostgreSQL, another validates the next batch.  Every batch is acknowledged after its own commit."""

    def __init__(
        self,
        settings: IngestSettings,
        database_url: str,
        metrics: IngestMetrics | None = None,
        policy: RetentionPolicy | None = None,
    ) -> None:
        self.settings = settings
        self.database_url = database_url
        self.metrics = metrics or IngestMetrics()
        self.policy = policy or RetentionPolicy()
        self.source = MqttSource(settings, self.metrics)
        application = f"assetpulse-{settings.client_id}"
        limits = limits_from(settings, self.policy)
        self.committers = [
            BatchCommitter(
                TelemetryWriter(database_url, application=f"{application}-w{n}"), settings, limits, self.metrics
            )
            for n in range(settings.writers)
        ]
        self._in_commit = [0] * settings.writers
        self.metrics.pending.set_function(lambda: self.source.pending() + sum(self._in_commit))

    def run(self, stop: threading.Event) -> None:
        maintenance = threading.Thread(target=self._maintain, args=(stop,), name="maintenance", daemon=True)
        maintenance.start()
        workers = [
            threading.Thread(target=self._commit_loop, args=(n, stop), name=f"writer-{n}")
            for n in range(len(self.committers))
        ]
        self.source.start()
        log.info("ingestor %s started with %d writer(s)", self.settings.client_id, len(workers))
        try:
            for w in workers:
                w.start()
            for w in workers:
                w.join()
        finally:
            stop.set()
            self.source.stop()
            for committer in self.committers:
                committer.writer.close()
            log.info("ingestor %s stopped", self.settings.client_id)

    def _commit_loop(self, n: int, stop: threading.Event) -> None:
        committer = self.committers[n]
        try:
            while not stop.is_set():
                messages = self.source.take(self.settings.batch_max_messages, self.settings.batch_max_wait_ms / 1000.0)
                self._in_commit[n] = len(messages)
                if messages and committer.commit(messages, stop):
                    self.source.ack(messages)
                self._in_commit[n] = 0
        except BaseException:
            log.exception("writer %d failed; stopping the ingestor (unacknowledged messages will be redelivered)", n)
            stop.set()
            raise

    def _maintain(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                run_maintenance(self.database_url, policy=self.policy)
            except psycopg.Error as exc:
                log.warning("telemetry maintenance failed, will retry: %s", exc)
                stop.wait(30)
                continue
            stop.wait(self.settings.maintenance_interval_seconds)
