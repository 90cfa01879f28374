from datetime import UTC, datetime

import pytest

from ingest.payloads import (
    Rejected,
    decode_status,
    decode_telemetry,
    encode_readings,
    parse_topic,
    reading,
)

LIMIT = 10_000


def rejected(payload: bytes, max_bytes: int = LIMIT) -> Rejected:
    with pytest.raises(Rejected) as info:
        decode_telemetry(payload, max_bytes=max_bytes)
    return info.value


def test_single_group_with_iso_timestamp():
    [group] = decode_telemetry(
        b'{"ts": "2026-11-22T08:00:00.250Z", "metrics": {"temp": 61.5, "rpm": 1450}}', max_bytes=LIMIT
    )
    assert group.ts == datetime(2026, 11, 22, 8, 0, 0, 250000, tzinfo=UTC)
    assert group.metrics == {"temp": 61.5, "rpm": 1450.0}


def test_epoch_seconds_are_utc():
    [group] = decode_telemetry(b'{"ts": 1700000000.5, "metrics": {"a": 1}}', max_bytes=LIMIT)
    assert group.ts == datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC)


def test_batch_of_groups_keeps_each_timestamp():
    groups = decode_telemetry(
        b'{"readings": [{"ts": "2026-01-01T00:00:00Z", "metrics": {"a": 1}},'
        b' {"ts": "2026-01-01T00:00:01Z", "metrics": {"a": 2}, "seq": 7}]}',
        max_bytes=LIMIT,
    )
    assert [g.ts.second for g in groups] == [0, 1]
    assert groups[1].seq == 7


def test_encode_round_trips():
    groups = [
        reading(datetime(2026, 1, 1, tzinfo=UTC), {"a": 1.5}, seq=3),
        reading(datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC), {"b": -2.0}),
    ]
    assert decode_telemetry(encode_readings(groups), max_bytes=LIMIT) == groups


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not json at all", "not_json"),
        (b"\xff\xfe\x00", "not_json"),
        (b"[1, 2]", "invalid_payload"),
        (b'{"ts": "2026-01-01T00:00:00", "metrics": {"a": 1}}', "invalid_payload"),  # naive time
        (b'{"ts": "yesterday", "metrics": {"a": 1}}', "invalid_payload"),
        (b'{"ts": "2026-01-01T00:00:00Z", "metrics": {"a": "hot"}}', "invalid_payload"),
        (b'{"ts": "2026-01-01T00:00:00Z", "metrics": {"a": true}}', "invalid_payload"),
        (b'{"ts": "2026-01-01T00:00:00Z", "metrics": {}}', "invalid_payload"),
        (b'{"ts": "2026-01-01T00:00:00Z", "metrics": {"1bad name": 1}}', "invalid_payload"),
        (b'{"ts": "2026-01-01T00:00:00Z", "metrics": {"a": 1}, "extra": 1}', "invalid_payload"),
        (b'{"readings": []}', "invalid_payload"),
        (b'{"ts": "2026-01-01T00:00:00Z", "metrics": {"a": NaN}}', "non_finite"),
        (b'{"ts": "2026-01-01T00:00:00Z", "metrics": {"a": Infinity}}', "non_finite"),
        (b'{"ts": "2026-01-01T00:00:00Z", "metrics": {"a": -Infinity}}', "non_finite"),
        (b'{"ts": "2026-01-01T00:00:00Z", "metrics": {"a": 1e999}}', "non_finite"),
    ],
)
def test_malformed_payloads_are_rejected_with_a_reason(payload: bytes, reason: str):
    err = rejected(payload)
    assert err.reason == reason
    assert err.detail


def test_oversize_payload_is_rejected_before_parsing():
    err = rejected(b'{"ts": 1, "metrics": {"a": 1}}' + b" " * 100, max_bytes=64)
    assert err.reason == "oversize"
    assert "limit is 64" in err.detail


@pytest.mark.parametrize(
    "topic",
    [
        "assetpulse/acme/telemetry",
        "other/acme/p1/telemetry",
        "assetpulse/acme/p1/commands",
        "assetpulse/acme/p 1/telemetry",
        "assetpulse//p1/telemetry",
        "assetpulse/ac.me/p1/telemetry",
        "assetpulse/acme/p1/extra/telemetry",
    ],
)
def test_bad_topics(topic: str):
    with pytest.raises(Rejected) as info:
        parse_topic(topic)
    assert info.value.reason == "bad_topic"


def test_good_topics():
    t = parse_topic("assetpulse/acme/pump-01.a:b/status")
    assert (t.tenant, t.device_key, t.kind) == ("acme", "pump-01.a:b", "status")
    assert t.render() == "assetpulse/acme/pump-01.a:b/status"


def test_status_message():
    status = decode_status(b'{"state": "offline", "ts": "2026-01-01T00:00:00Z", "reason": "lwt"}')
    assert status.state == "offline"
    with pytest.raises(Rejected):
        decode_status(b'{"state": "sleeping"}')
