from dataclasses import replace
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from ingest.pipeline import InboundMessage
from service_core.telemetry.maintenance import RetentionPolicy, run_maintenance
from tests.factories import TEST_LIMITS, insert_asset, register_devices, rows, scalar, store, telemetry_payload

pytestmark = pytest.mark.integration


def partitions(url: str) -> list[str]:
    return [
        r[0]
        for r in rows(
            url,
            """SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                                       WHERE i.inhparent = 'telemetry.readings'::regclass ORDER BY 1""",
        )
    ]


def test_retention_drops_whole_old_partitions_and_creates_coming_ones(database_url: str, tenant: str):
    register_devices(database_url, tenant, ["p1"])
    now = datetime.now(UTC)
    store(
        database_url,
        [
            InboundMessage(f"assetpulse/{tenant}/p1/telemetry", telemetry_payload(now - timedelta(days=d), a=d))
            for d in (0, 10, 40)
        ],
        limits=replace(TEST_LIMITS, retention=timedelta(days=60)),
    )
    before = partitions(database_url)
    report = run_maintenance(database_url, policy=RetentionPolicy(days_ahead=2, raw_days=30))
    after = partitions(database_url)
    old_day = (now - timedelta(days=40)).strftime("%Y%m%d")
    assert f"readings_{old_day}" in before and f"readings_{old_day}" not in after
    assert report.partitions_dropped == [f"readings_{old_day}"]
    assert f"readings_{(now + timedelta(days=2)).strftime('%Y%m%d')}" in after
    assert scalar(database_url, "SELECT count(*) FROM telemetry.readings") == 2


def test_retention_trims_the_score_history_like_the_rollups_of_its_resolution(database_url: str):
    today = datetime.now(UTC).date()
    midnight = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    with psycopg.connect(database_url) as conn:
        asset = insert_asset(conn, name="Chiller 1")
        conn.cursor().executemany(
            "INSERT INTO detection.health_history (asset_id, resolution, bucket, health_score, anomaly_score) "
            "VALUES (%s, %s, %s, 80, 0.5)",
            [(asset, resolution, midnight - timedelta(days=days))
             for resolution in ("1m", "1h") for days in (1, 11, 40)],
        )  # fmt: skip
    report = run_maintenance(database_url, policy=RetentionPolicy(rollup_1m_days=10, rollup_1h_days=30))
    kept = rows(database_url, "SELECT resolution, bucket FROM detection.health_history ORDER BY 1, 2")
    assert report.health_history_rows_deleted == 3
    assert kept == [("1h", midnight - timedelta(days=d)) for d in (11, 1)] + [("1m", midnight - timedelta(days=1))]
