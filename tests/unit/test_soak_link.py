"""Found by the soak: after a broker restart Mosquitto drops telemetry until the ingestors re-subscribe to their
shared subscription, answering the device's PUBACK with "no matching subscribers".  A device keeps those readings
and sends them again instead of counting them as delivered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from ingest.mqtt_url import parse_mqtt_url
from ingest.payloads import ReadingGroup
from simulators import link as link_module
from simulators.devices import Backlog
from simulators.link import DeviceLink
from simulators.mqtt_loop import NetworkLoop

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def group(i: int) -> ReadingGroup:
    return ReadingGroup(ts=T0 + timedelta(seconds=i), metrics={"temperature": float(i)})


def test_backlog_requeue_puts_readings_back_in_front_in_order():
    backlog = Backlog(10)
    for i in range(5):
        backlog.append(group(i))
    taken = backlog.take_batch(3)
    backlog.append(group(5))
    backlog.requeue(taken)
    assert [g.ts for g in backlog.take_batch(10)] == [group(i).ts for i in range(6)]
    assert backlog.dropped == 0


def test_backlog_requeue_into_a_full_backlog_drops_the_newest_and_counts_it():
    backlog = Backlog(3)
    for i in range(3):
        backlog.append(group(i))
    taken = backlog.take_batch(2)
    backlog.append(group(3))
    backlog.append(group(4))
    backlog.requeue(taken)
    assert [g.metrics["temperature"] for g in backlog.take_batch(3)] == [0.0, 1.0, 2.0]
    assert backlog.dropped == 2


class FakeInfo:
    def __init__(self, mid: int) -> None:
        self.mid = mid


def make_link(monkeypatch) -> tuple[DeviceLink, list[int]]:
    link = DeviceLink(endpoint=parse_mqtt_url("mqtt://127.0.0.1:1"), loop=NetworkLoop(), tenant="t",
                      device_key="d1", device_type="pump", batch_size=10)  # fmt: skip
    mids: list[int] = []

    def publish(topic: str, payload: bytes, qos: int = 0, retain: bool = False) -> FakeInfo:
        mids.append(len(mids) + 1)
        return FakeInfo(mids[-1])

    monkeypatch.setattr(link._client, "publish", publish)
    link.connected = True
    return link, mids


def puback(code: int) -> ReasonCode:
    return ReasonCode(PacketTypes.PUBACK, identifier=code)


def test_puback_without_subscribers_requeues_and_pauses_then_sends_again(monkeypatch):
    link, mids = make_link(monkeypatch)
    link.submit(group(1))
    assert link.stats.readings_sent == 1 and link.unacked == 1
    link._on_publish(link._client, None, mids[-1], puback(16), None)
    assert link.stats.readings_sent == 0  # not delivered: not counted as sent
    assert link.stats.requeued_no_subscribers == 1
    assert len(link.backlog) == 1 and link.unacked == 0
    link.submit(group(2))  # paused: nothing leaves while nobody is subscribed
    assert len(mids) == 1 and len(link.backlog) == 2
    monkeypatch.setattr(link_module.time, "monotonic", lambda: 10**9)  # the pause is over
    link.maintain()
    assert len(mids) == 2 and link.unacked == 1 and not link.backlog  # both readings in one batch message
    link._on_publish(link._client, None, mids[-1], puback(0), None)
    assert link.stats.readings_sent == 2 and link.drained


def test_successful_puback_just_acknowledges(monkeypatch):
    link, mids = make_link(monkeypatch)
    link.submit(group(1))
    link._on_publish(link._client, None, mids[-1], puback(0), None)
    assert link.stats.readings_sent == 1 and link.stats.requeued_no_subscribers == 0 and link.drained
