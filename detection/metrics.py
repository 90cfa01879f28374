"""Prometheus metrics of the live detector (served on /metrics like the ingestor's)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600)


class DetectMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        p = "assetpulse_detect"
        self.rows_scored = Counter(f"{p}_rows_scored", "Reading groups scored", registry=r)
        self.polls = Counter(f"{p}_polls", "Polls of new telemetry committed", registry=r)
        self.raised = Counter(f"{p}_episodes_raised", "Episodes reported as conditions", ["category"], registry=r)
        self.cleared = Counter(f"{p}_episodes_cleared", "Episodes cleared", ["category"], registry=r)
        self.poll_to_score = Histogram(
            f"{p}_poll_to_score_seconds",
            "From the poll that fetched a reading to the commit of its score (the detector's own delay)",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.event_to_score = Histogram(
            f"{p}_event_to_score_seconds",
            "From a reading's own timestamp to the commit of its score: device clock to score, which includes "
            "the network, the ingestor and the poll interval (only meaningful when device clocks run in real time)",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.devices_sampling_mismatch = Gauge(
            f"{p}_devices_sampling_mismatch",
            "Devices not scored: they sample too far from their model's training interval (the detector's warnings "
            "name them and why)",
            registry=r,
        )
        self.rows_sampling_mismatch = Counter(
            f"{p}_rows_sampling_mismatch", "Reading groups not scored: their device samples too far from its "
            "model's training interval", registry=r,
        )  # fmt: skip
        self.lag = Gauge(f"{p}_event_lag_seconds", "Now minus the newest reading time scored", registry=r)

    def serve(self, host: str, port: int) -> None:
        start_http_server(port, addr=host, registry=self.registry)
