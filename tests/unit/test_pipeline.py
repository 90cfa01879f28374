from datetime import UTC, datetime, timedelta

from ingest.pipeline import InboundMessage, Limits, triage
from tests.factories import batch_payload, telemetry_payload

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
LIMITS = Limits(max_payload_bytes=4096, future_skew=timedelta(minutes=5), retention=timedelta(days=30))
TOPIC = "assetpulse/acme/p1/telemetry"


def test_late_and_out_of_order_readings_are_accepted():
    msgs = [
        InboundMessage(TOPIC, telemetry_payload(NOW - timedelta(days=3), a=1)),
        InboundMessage(TOPIC, telemetry_payload(NOW - timedelta(seconds=1), a=2)),
        InboundMessage(TOPIC, telemetry_payload(NOW - timedelta(hours=5), a=3)),
    ]
    out = triage(msgs, now=NOW, limits=LIMITS)
    assert out.reading_count == 3 and not out.quarantined and not out.dead


def test_future_and_too_old_readings_in_a_batch_are_split_off_to_quarantine():
    payload = batch_payload(
        [
            (NOW - timedelta(days=40), {"a": 1}),
            (NOW, {"a": 2, "b": 3}),
            (NOW + timedelta(minutes=4), {"a": 4}),
            (NOW + timedelta(hours=2), {"a": 5}),
        ]
    )
    out = triage([InboundMessage(TOPIC, payload)], now=NOW, limits=LIMITS)
    assert out.reading_count == 3
    by_reason = {q.reason: q for q in out.quarantined}
    assert set(by_reason) == {"future_timestamp", "beyond_retention"}
    assert by_reason["future_timestamp"].reading_count == 1
    assert by_reason["beyond_retention"].groups[0].ts == NOW - timedelta(days=40)


def test_each_message_lands_in_exactly_one_outcome():
    msgs = [
        InboundMessage(TOPIC, b"{oops"),
        InboundMessage("assetpulse/acme/p1/status", b'{"state": "online"}'),
        InboundMessage("assetpulse/acme/telemetry", telemetry_payload(NOW, a=1)),
        InboundMessage(TOPIC, telemetry_payload(NOW, a=1)),
    ]
    out = triage(msgs, now=NOW, limits=LIMITS)
    assert [d.reason for d in out.dead] == ["not_json", "bad_topic"]
    assert len(out.statuses) == 1 and len(out.telemetry) == 1
