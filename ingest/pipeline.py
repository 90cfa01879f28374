"""Pure triage of a batch of MQTT messages: what is telemetry to store, what is a device status, what goes to
quarantine (well-formed but not acceptable yet) and what goes to the dead-letter table (malformed)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ingest.payloads import (
    ReadingGroup,
    Rejected,
    StatusMessage,
    Topic,
    decode_status,
    decode_telemetry,
    encode_readings,
    parse_topic,
)


@dataclass(frozen=True, slots=True)
class InboundMessage:
    topic: str
    payload: bytes
    mid: int = 0
    qos: int = 1
    generation: int = 0


@dataclass(frozen=True, slots=True)
class Limits:
    max_payload_bytes: int
    future_skew: timedelta
    retention: timedelta


@dataclass(frozen=True, slots=True)
class DeadLetter:
    topic: str
    payload: bytes
    reason: str
    detail: str

    @property
    def sha256(self) -> bytes:
        return hashlib.sha256(self.payload).digest()


@dataclass(frozen=True, slots=True)
class Quarantined:
    topic: str
    tenant: str
    device_key: str
    reason: str
    detail: str
    groups: tuple[ReadingGroup, ...]
    raw: bytes | None = None  # a status message is kept as it came

    @property
    def payload(self) -> bytes:
        return self.raw if self.raw is not None else encode_readings(list(self.groups))

    @property
    def reading_count(self) -> int:
        return sum(len(g.metrics) for g in self.groups)


@dataclass(frozen=True, slots=True)
class DeviceTelemetry:
    topic: Topic
    groups: tuple[ReadingGroup, ...]


@dataclass(slots=True)
class Triage:
    telemetry: list[DeviceTelemetry] = field(default_factory=list)
    statuses: list[tuple[Topic, StatusMessage, bytes]] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)

    @property
    def reading_count(self) -> int:
        return sum(len(g.metrics) for t in self.telemetry for g in t.groups)


def triage(messages: list[InboundMessage], *, now: datetime, limits: Limits) -> Triage:
    """Sort every message of a batch into exactly one (or, for split batches, several) of the outcomes."""
    out = Triage()
    oldest_allowed, newest_allowed = now - limits.retention, now + limits.future_skew
    for msg in messages:
        try:
            topic = parse_topic(msg.topic)
            if topic.kind == "status":
                out.statuses.append((topic, decode_status(msg.payload), msg.payload))
                continue
            groups = decode_telemetry(msg.payload, max_bytes=limits.max_payload_bytes)
        except Rejected as exc:
            out.dead.append(DeadLetter(msg.topic, msg.payload, exc.reason, exc.detail))
            continue
        _split_by_time(out, msg.topic, topic, groups, oldest=oldest_allowed, newest=newest_allowed, limits=limits)
    return out


def _split_by_time(
    out: Triage,
    raw_topic: str,
    topic: Topic,
    groups: list[ReadingGroup],
    *,
    oldest: datetime,
    newest: datetime,
    limits: Limits,
) -> None:
    if all(oldest <= g.ts <= newest for g in groups):  # the usual case: one pass
        out.telemetry.append(DeviceTelemetry(topic, tuple(groups)))
        return
    future = tuple(g for g in groups if g.ts > newest)
    too_old = tuple(g for g in groups if g.ts < oldest)
    accepted = tuple(g for g in groups if oldest <= g.ts <= newest)
    if future:
        detail = f"{len(future)} reading group(s) later than now + {limits.future_skew}, first at {future[0].ts}"
        out.quarantined.append(
            Quarantined(raw_topic, topic.tenant, topic.device_key, "future_timestamp", detail, future)
        )
    if too_old:
        detail = f"{len(too_old)} reading group(s) older than the raw retention ({limits.retention})"
        out.quarantined.append(
            Quarantined(raw_topic, topic.tenant, topic.device_key, "beyond_retention", detail, too_old)
        )
    if accepted:
        out.telemetry.append(DeviceTelemetry(topic, accepted))


def unknown_status_source(topic: Topic, state: str, raw: bytes) -> Quarantined:
    detail = f"status {state!r} from device {topic.tenant}/{topic.device_key}, which is not in the registry"
    return Quarantined(topic.render(), topic.tenant, topic.device_key, "unknown_device", detail, (), raw)


def unknown_device(item: DeviceTelemetry, raw_topic: str) -> Quarantined:
    t = item.topic
    return Quarantined(
        raw_topic,
        t.tenant,
        t.device_key,
        "unknown_device",
        f"device {t.tenant}/{t.device_key} is not in the registry",
        item.groups,
    )
