"""The two database baselines: the COPY ceiling (binary COPY straight into the readings table, nothing else)
and a naive ingestor (one autocommitted INSERT per reading, no batching) running as its own process."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from typing import Any

import paho.mqtt.client as mqtt
import psycopg

from ingest.bench.data import BenchSpec
from ingest.bench.database import BenchIds
from ingest.bench.publishers import make_client, subscribe
from ingest.bench.workers import Result
from ingest.copy_binary import ReadingColumns, pg_microseconds
from ingest.payloads import decode_telemetry, parse_topic

log = logging.getLogger(__name__)

COPY_READINGS = "COPY telemetry.readings (device_id, metric_id, ts, value) FROM STDIN (FORMAT BINARY)"
INSERT_READING = (
    "INSERT INTO telemetry.readings (device_id, metric_id, ts, value) VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING"
)
MAX_PAYLOAD_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class CopyOutcome:
    rows: int
    seconds: float  # COPY and COMMIT only; building the rows in Python is not counted

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def copy_ceiling(url: str, spec: BenchSpec, ids: BenchIds, *, batch_rows: int = 50_000) -> CopyOutcome:
    """Write every reading of `spec` with binary COPY, `batch_rows` per transaction."""
    per_batch = max(1, batch_rows // spec.metrics)
    rows_written, seconds = 0, 0.0
    with psycopg.connect(url, application_name="assetpulse-bench-copy", options="-c TimeZone=UTC") as conn:
        for start in range(0, spec.messages, per_batch):
            rows = list(spec.rows(range(start, min(spec.messages, start + per_batch)), ids.device_ids, ids.metric_ids))
            columns = ReadingColumns()
            for device_id, metric_id, ts, value in rows:
                columns.add_group(device_id, pg_microseconds(ts), [metric_id], [value])
            began = time.perf_counter()  # encoding (numpy, as the ingestor does) + COPY + commit
            with conn.cursor() as cur, cur.copy(COPY_READINGS) as copy:
                copy.write(columns.to_copy())
            conn.commit()
            seconds += time.perf_counter() - began
            rows_written += len(rows)
    return CopyOutcome(rows_written, seconds)


class NaiveIngestor:
    """An ingestor without batching: one INSERT and one commit per reading, inside the MQTT callback."""

    def __init__(self, conn: psycopg.Connection, devices: dict[str, int], metrics: dict[str, int]) -> None:
        self.conn = conn
        self.devices = devices
        self.metrics = metrics
        self.inserted = 0
        self.last_insert = 0.0

    def on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        device_id = self.devices[parse_topic(msg.topic).device_key]
        for group in decode_telemetry(bytes(msg.payload), max_bytes=MAX_PAYLOAD_BYTES):
            for name, value in group.metrics.items():
                self.conn.execute(INSERT_READING, (device_id, self.metrics[name], group.ts, value))
                self.inserted += 1
        self.last_insert = time.monotonic()


def naive_worker(
    *,
    mqtt_url: str,
    database_url: str,
    topic_filter: str,
    devices: dict[str, int],
    metrics: dict[str, int],
    expected_readings: int,
    timeout: float,
    ready: Event,
    results: Queue[Result],
) -> None:
    """Child process: run the naive ingestor until `expected_readings` are inserted (or `timeout`)."""
    with psycopg.connect(database_url, autocommit=True, application_name="assetpulse-bench-naive") as conn:
        ingestor = NaiveIngestor(conn, devices, metrics)
        client = make_client(mqtt_url, f"bench-naive-{os.getpid()}")
        client.on_message = ingestor.on_message
        subscribe(client, topic_filter)
        ready.set()
        deadline = time.monotonic() + timeout
        while ingestor.inserted < expected_readings and time.monotonic() < deadline:
            client.loop(0.1)
        client.disconnect()
    results.put({"inserted": ingestor.inserted, "last": ingestor.last_insert})
