"""`assetpulse bench ingest`: how fast the real ingestor moves telemetry from MQTT into PostgreSQL, next to
the broker's and COPY's ceilings and a naive ingestor, on the same generated data, with an exactness check."""

from ingest.bench.errors import BenchFailed
from ingest.bench.report import BenchReport
from ingest.bench.runner import BenchOptions, run_bench

__all__ = ["BenchFailed", "BenchOptions", "BenchReport", "run_bench"]
