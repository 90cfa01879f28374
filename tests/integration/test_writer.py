"""The ingest write path against a real PostgreSQL (no broker involved)."""

from datetime import UTC, datetime, timedelta

import pytest

from ingest.pipeline import InboundMessage
from tests.factories import batch_payload, register_devices, rows, scalar, store, telemetry_payload

pytestmark = pytest.mark.integration


def test_redelivered_messages_are_stored_once_and_counted_once_in_rollups(database_url: str, tenant: str):
    register_devices(database_url, tenant, ["p1"])
    t0 = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
    topic = f"assetpulse/{tenant}/p1/telemetry"
    msgs = [InboundMessage(topic, telemetry_payload(t0 + timedelta(seconds=i), a=i, b=1)) for i in range(30)]
    first = store(database_url, msgs)
    again = store(database_url, msgs[:10] + msgs[:10])  # a redelivery, and a duplicate inside one batch
    assert (first.stored, first.duplicates) == (60, 0)
    assert (again.stored, again.duplicates) == (0, 40)
    assert scalar(database_url, "SELECT count(*) FROM telemetry.readings") == 60
    n, total, lo, hi = rows(
        database_url,
        """
        SELECT sum(n), sum(sum_value), min(min_value), max(max_value) FROM telemetry.rollup_1m r
        JOIN telemetry.metrics m ON m.id = r.metric_id WHERE m.name = 'a'""",
    )[0]
    assert (n, total, lo, hi) == (30, sum(range(30)), 0, 29)
    assert scalar(database_url, "SELECT sum(n) FROM telemetry.rollup_1h") == 60


def test_latest_follows_event_time_not_arrival_order(database_url: str, tenant: str):
    register_devices(database_url, tenant, ["p1"])
    now = datetime.now(UTC)
    topic = f"assetpulse/{tenant}/p1/telemetry"
    store(database_url, [InboundMessage(topic, telemetry_payload(now, a=2.0))])
    store(database_url, [InboundMessage(topic, telemetry_payload(now - timedelta(hours=3), a=1.0))])  # late
    assert rows(database_url, "SELECT value FROM telemetry.latest") == [(2.0,)]
    assert scalar(database_url, "SELECT count(*) FROM telemetry.readings") == 2


def test_late_readings_from_days_ago_create_their_partition(database_url: str, tenant: str):
    register_devices(database_url, tenant, ["p1"])
    old = datetime.now(UTC) - timedelta(days=9)
    payload = batch_payload([(old, {"a": 1}), (old + timedelta(days=1), {"a": 2})])
    result = store(database_url, [InboundMessage(f"assetpulse/{tenant}/p1/telemetry", payload)])
    assert result.stored == 2
    parts = scalar(database_url, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'telemetry.readings'::regclass")
    assert isinstance(parts, int) and parts >= 2


def test_every_kind_of_bad_input_is_kept_with_its_reason(database_url: str, tenant: str):
    register_devices(database_url, tenant, ["p1"])
    now = datetime.now(UTC)
    good = f"assetpulse/{tenant}/p1/telemetry"
    msgs = [
        InboundMessage(good, b"\x00\x01 not json"),
        InboundMessage(good, b'{"ts": "2026-01-01T00:00:00Z", "metrics": {"a": "x"}}'),
        InboundMessage(good, b'{"ts": "2026-01-01T00:00:00Z", "metrics": {"a": NaN}}'),
        InboundMessage(good, b'{"ts": 1, "metrics": {"a": 1}}' + b" " * 70_000),
        InboundMessage(f"assetpulse/{tenant}/telemetry", telemetry_payload(now, a=1)),
        InboundMessage(f"assetpulse/{tenant}/stranger/telemetry", telemetry_payload(now, a=1)),
        InboundMessage(good, telemetry_payload(now + timedelta(hours=1), a=1)),
        InboundMessage(good, telemetry_payload(now, a=42)),
        InboundMessage(f"assetpulse/{tenant}/stranger2/status", b'{"state": "online"}'),
    ]
    result = store(database_url, msgs)
    assert result.stored == 1
    dead = dict(rows(database_url, "SELECT reason, payload FROM ingest.dead_letters"))
    assert set(dead) == {"not_json", "invalid_payload", "non_finite", "oversize", "bad_topic"}
    assert bytes(dead["not_json"]) == b"\x00\x01 not json"  # the raw bytes, untouched
    quarantined = rows(database_url, "SELECT reason, device_key, reading_count FROM ingest.quarantine ORDER BY 1, 2")
    assert quarantined == [
        ("future_timestamp", "p1", 1),
        ("unknown_device", "stranger", 1),
        ("unknown_device", "stranger2", 0),
    ]


def test_the_same_bad_message_twice_is_one_row_seen_twice(database_url: str, tenant: str):
    msg = InboundMessage(f"assetpulse/{tenant}/p1/telemetry", b"garbage")
    store(database_url, [msg])
    store(database_url, [msg])
    assert rows(database_url, "SELECT seen FROM ingest.dead_letters") == [(2,)]


def test_status_messages_update_the_registry_and_ignore_older_news(database_url: str, tenant: str):
    register_devices(database_url, tenant, ["p1"])
    topic = f"assetpulse/{tenant}/p1/status"
    now = datetime.now(UTC)
    store(database_url, [InboundMessage(topic, f'{{"state": "online", "ts": "{now.isoformat()}"}}'.encode())])
    assert scalar(database_url, "SELECT status FROM fleet.devices") == "online"
    later = (now + timedelta(seconds=5)).isoformat()
    store(database_url, [InboundMessage(topic, f'{{"state": "offline", "ts": "{later}"}}'.encode())])
    stale = (now - timedelta(minutes=5)).isoformat()
    store(database_url, [InboundMessage(topic, f'{{"state": "online", "ts": "{stale}"}}'.encode())])
    assert scalar(database_url, "SELECT status FROM fleet.devices") == "offline"


def test_touching_last_seen_skips_devices_another_ingestor_holds_instead_of_waiting(database_url: str, tenant: str):
    """Two ingestors writing the same devices' batches at once: the second does not wait for the first's locks (as
    it did, and two such waits in opposite orders deadlocked), and the devices are touched by one of them."""
    import psycopg

    from service_core.devices.service import touch_last_seen

    devices = register_devices(database_url, tenant, ["p1", "p2", "p3"])
    ids = [d.id for d in devices]
    first_at = datetime.now(UTC)
    with psycopg.connect(database_url) as first, psycopg.connect(database_url) as second:
        touch_last_seen(first, device_ids=[ids[2], ids[0]], at=first_at)  # holds p1 and p3, not committed
        second.execute("SET lock_timeout = '2s'")  # waiting would raise LockNotAvailable here
        touch_last_seen(second, device_ids=[ids[0], ids[1], ids[2]], at=first_at + timedelta(seconds=1))
        second.commit()
        first.commit()
    seen = dict(rows(database_url, "SELECT id, last_seen_at FROM fleet.devices WHERE id = ANY(%s)", (ids,)))
    assert seen == {ids[0]: first_at, ids[1]: first_at + timedelta(seconds=1), ids[2]: first_at}
    assert set(rows(database_url, "SELECT status FROM fleet.devices WHERE id = ANY(%s)", (ids,))) == {("online",)}
