"""Nothing is lost when the ingestor dies or the database goes away (real broker, real PostgreSQL, real
processes)."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest

from ingest.brokers import MosquittoProcess
from tests.factories import register_devices, scalar
from tests.support.processes import IngestorProcess, Publisher, wait_until
from tests.support.tcp_proxy import postgres_behind_proxy

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def stored(url: str) -> int:
    value = scalar(url, "SELECT count(*) FROM telemetry.readings")
    assert isinstance(value, int)
    return value


def assert_exactly_once(url: str, sent_messages: int, metrics: int) -> None:
    with psycopg.connect(url) as conn:
        total, distinct_keys, distinct_values = conn.execute(
            "SELECT count(*), count(DISTINCT (device_id, metric_id, ts)), count(DISTINCT value) FROM telemetry.readings"
        ).fetchone() or (0, 0, 0)
    assert total == distinct_keys == sent_messages * metrics
    assert distinct_values == sent_messages  # every message's own value made it, none twice
    assert scalar(url, "SELECT sum(n) FROM telemetry.rollup_1m") == total


def test_ingestor_killed_mid_stream_loses_and_duplicates_nothing(
    database_url: str, own_mosquitto: MosquittoProcess, tenant: str, tmp_path: Path
):
    devices = [f"d{i}" for i in range(20)]
    register_devices(database_url, tenant, devices)
    ingestor = IngestorProcess(database_url, own_mosquitto.url, tmp_path).start()
    publisher = Publisher(own_mosquitto.url, tenant, devices)
    total = 30_000
    try:
        publisher.publish_in_background(total, rate=None)
        wait_until(lambda: stored(database_url) > 15_000, timeout=60, message="ingest never got going")
        ingestor.kill()  # SIGKILL: no goodbye, batches in flight never acknowledged
        killed_at = stored(database_url)
        wait_until(lambda: publisher.sent >= total * 0.8, timeout=60)
        ingestor = IngestorProcess(database_url, own_mosquitto.url, tmp_path).start()  # same client id
        publisher.wait()
        wait_until(
            lambda: stored(database_url) >= total * 3,
            timeout=120,
            message=f"only {stored(database_url)} of {total * 3} stored",
        )
    finally:
        publisher.close()
        ingestor.stop()
    assert killed_at < total * 3
    assert_exactly_once(database_url, total, 3)


def test_database_outage_loses_nothing_and_memory_stays_bounded(
    database_url: str, own_mosquitto: MosquittoProcess, tenant: str, tmp_path: Path
):
    devices = [f"d{i}" for i in range(10)]
    register_devices(database_url, tenant, devices)
    proxy, proxied = postgres_behind_proxy(database_url)
    batch, writers, inbox = 500, 2, 1000
    bound = writers * batch + inbox  # held in memory at most: the batches being written plus the inbox
    ingestor = IngestorProcess(
        proxied,
        own_mosquitto.url,
        tmp_path,
        receive_maximum=str(batch),
        batch_max_messages=str(batch),
        writers=str(writers),
        max_pending_messages=str(inbox),
        retry_max_seconds="1",
    ).start()
    publisher = Publisher(own_mosquitto.url, tenant, devices)
    total = 20_000
    try:
        publisher.publish_in_background(total)
        wait_until(lambda: stored(database_url) > 3_000, timeout=60, message="ingest never got going")
        proxy.cut()
        wait_until(
            lambda: ingestor.metric("assetpulse_ingest_database_up") == 0.0,
            timeout=30,
            message="ingestor did not notice the outage",
        )
        at_cut = stored(database_url)
        rss_during = []
        for _ in range(25):  # five seconds of outage while the publisher keeps going
            m = ingestor.metrics()
            assert m["assetpulse_ingest_pending_messages"] <= bound
            # the broker is made to wait: received stays within the bound of what was committed
            assert m["assetpulse_ingest_messages_received_total"] <= at_cut / 3 + bound + 1
            rss_during.append(ingestor.rss_kib())
            time.sleep(0.2)
        assert stored(database_url) == at_cut  # nothing could be written...
        proxy.restore()
        publisher.wait()
        wait_until(
            lambda: stored(database_url) >= total * 3,
            timeout=120,
            message=f"only {stored(database_url)} of {total * 3} stored after the outage",
        )
        assert ingestor.metric("assetpulse_ingest_database_up") == 1.0
    finally:
        publisher.close()
        ingestor.stop()
        proxy.close()
    assert max(rss_during) < 400_000, f"ingestor RSS reached {max(rss_during)} KiB during the outage"
    assert_exactly_once(database_url, total, 3)
