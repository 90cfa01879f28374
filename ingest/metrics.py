"""Prometheus counters of the ingestor, served on /metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server


class IngestMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        p = "assetpulse_ingest"
        self.messages_received = Counter(f"{p}_messages_received", "MQTT messages received", registry=r)
        self.readings_stored = Counter(f"{p}_readings_stored", "Readings committed to the store", registry=r)
        self.readings_duplicate = Counter(
            f"{p}_readings_duplicate", "Readings already stored (redelivered or duplicated)", registry=r
        )
        self.dead_lettered = Counter(
            f"{p}_messages_dead_lettered",
            "Malformed messages written to the dead-letter table",
            ["reason"],
            registry=r,
        )
        self.quarantined = Counter(f"{p}_readings_quarantined", "Readings held in quarantine", ["reason"], registry=r)
        self.statuses = Counter(f"{p}_status_messages", "Device birth/last-will messages applied", registry=r)
        self.batches = Counter(f"{p}_batches_committed", "Transactions committed", registry=r)
        self.write_failures = Counter(
            f"{p}_write_failures", "Batch writes that failed and will be retried", ["kind"], registry=r
        )
        self.pending = Gauge(f"{p}_pending_messages", "Messages received but not yet committed", registry=r)
        self.db_up = Gauge(f"{p}_database_up", "1 when the last write reached PostgreSQL", registry=r)
        self.mqtt_connected = Gauge(f"{p}_mqtt_connected", "1 while connected to the broker", registry=r)
        self.event_lag = Gauge(
            f"{p}_event_lag_seconds", "Commit time minus the newest event time of the last batch", registry=r
        )
        self.commit_latency = Histogram(
            f"{p}_receive_to_commit_seconds",
            "Time from receiving a batch's first message to its commit",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=r,
        )
        self.batch_size = Histogram(
            f"{p}_batch_messages",
            "Messages per committed batch",
            buckets=(1, 10, 50, 100, 500, 1000, 2000, 5000, 10000),
            registry=r,
        )

    def serve(self, host: str, port: int) -> None:
        start_http_server(port, addr=host, registry=self.registry)
