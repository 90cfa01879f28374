"""The wire format of device messages, and its validation.

Topics:   assetpulse/<tenant>/<device>/telemetry   and   assetpulse/<tenant>/<device>/status

Telemetry payload (JSON, UTF-8), either one reading group or a batch of them (store-and-forward backlog):
    {"ts": "2026-11-22T08:00:00.250Z", "metrics": {"temperature": 61.2, "vibration_rms": 2.1}}
    {"readings": [{"ts": ..., "metrics": {...}}, ...]}
`ts` is ISO 8601 with a UTC offset, or Unix epoch seconds (a number).  Optional "seq" (device counter).

Status payload (birth, graceful goodbye and last will; published retained):
    {"state": "online" | "offline", "ts": ..., "device_type": "pump"}
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Literal

import orjson
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

TOPIC_ROOT = "assetpulse"
SEGMENT_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.:")
MAX_READINGS_PER_MESSAGE = 10_000
MAX_METRICS_PER_READING = 256
_NON_FINITE_TOKEN = re.compile(rb"(?<![A-Za-z\"])-?(?:NaN|Infinity)(?![A-Za-z\"])")

MetricName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.]{0,63}$")]
# strict: a JSON number (integer or not) but never `true` or "1.5"; finite: NaN and Infinity are refused
MetricValue = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class Rejected(Exception):
    """A message that cannot be stored as it is; `reason` is a short machine-readable code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Topic:
    tenant: str
    device_key: str
    kind: Literal["telemetry", "status"]

    def render(self) -> str:
        return f"{TOPIC_ROOT}/{self.tenant}/{self.device_key}/{self.kind}"


def telemetry_topic(tenant: str, device_key: str) -> str:
    return Topic(tenant, device_key, "telemetry").render()


def status_topic(tenant: str, device_key: str) -> str:
    return Topic(tenant, device_key, "status").render()


def parse_topic(topic: str) -> Topic:
    parts = topic.split("/")
    if len(parts) != 4 or parts[0] != TOPIC_ROOT or parts[3] not in ("telemetry", "status"):
        raise Rejected("bad_topic", f"expected {TOPIC_ROOT}/<tenant>/<device>/telemetry|status, got {topic!r}")
    tenant, device_key = parts[1], parts[2]
    for label, value, limit in (("tenant", tenant, 64), ("device", device_key, 128)):
        if not value or len(value) > limit or not set(value) <= SEGMENT_CHARS:
            raise Rejected("bad_topic", f"{label} segment {value!r} is empty, too long or has forbidden characters")
    if not set(tenant) <= SEGMENT_CHARS - {".", ":"}:
        raise Rejected("bad_topic", f"tenant segment {tenant!r} has forbidden characters")
    kind: Literal["telemetry", "status"] = "telemetry" if parts[3] == "telemetry" else "status"
    return Topic(tenant, device_key, kind)


class ReadingGroup(BaseModel):
    """Values of several metrics measured at one instant."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ts: AwareDatetime
    metrics: dict[MetricName, MetricValue] = Field(min_length=1, max_length=MAX_METRICS_PER_READING)
    seq: int | None = None


class TelemetryBatch(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    readings: list[ReadingGroup] = Field(min_length=1, max_length=MAX_READINGS_PER_MESSAGE)


class StatusMessage(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    state: Literal["online", "offline"]
    ts: AwareDatetime | None = None
    device_type: str | None = None


_group_adapter = TypeAdapter(ReadingGroup)
_batch_adapter = TypeAdapter(TelemetryBatch)
_status_adapter = TypeAdapter(StatusMessage)


def decode_telemetry(payload: bytes, *, max_bytes: int) -> list[ReadingGroup]:
    """The reading groups of one telemetry message, or `Rejected` with the reason.

    Parsing and validation happen in one pass in pydantic-core (no intermediate Python objects)."""
    if len(payload) > max_bytes:
        raise Rejected("oversize", f"payload is {len(payload)} bytes, the limit is {max_bytes}")
    try:
        if b'"readings"' in payload:
            try:
                return _batch_adapter.validate_json(payload).readings
            except ValidationError:
                return [_group_adapter.validate_json(payload)]  # a metric may be named "readings"
        return [_group_adapter.validate_json(payload)]
    except ValidationError as exc:
        raise _rejection(exc, payload) from exc


def _rejection(exc: ValidationError, payload: bytes) -> Rejected:
    kinds = {e["type"] for e in exc.errors(include_url=False)}
    if "json_invalid" in kinds:
        if _NON_FINITE_TOKEN.search(payload):
            return Rejected("non_finite", "payload carries NaN or Infinity, which JSON forbids")
        return Rejected("not_json", f"payload is not UTF-8 JSON: {_summarise(exc)}")
    if "finite_number" in kinds:
        return Rejected("non_finite", _summarise(exc))
    if kinds == {"model_type"}:
        return Rejected("invalid_payload", "payload must be a JSON object")
    return Rejected("invalid_payload", _summarise(exc))


def decode_status(payload: bytes) -> StatusMessage:
    try:
        return _status_adapter.validate_json(payload)
    except ValidationError as exc:
        raise Rejected("invalid_status", _summarise(exc)) from exc


def _summarise(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False)[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "payload"
        parts.append(f"{where}: {err['msg']}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def encode_readings(groups: list[ReadingGroup]) -> bytes:
    """A telemetry payload holding `groups` (used by devices, the simulator and quarantine)."""
    if len(groups) == 1:
        return orjson.dumps(_group_dict(groups[0]))
    return orjson.dumps({"readings": [_group_dict(g) for g in groups]})


def _group_dict(group: ReadingGroup) -> dict[str, object]:
    out: dict[str, object] = {"ts": group.ts.astimezone(UTC).isoformat(), "metrics": group.metrics}
    if group.seq is not None:
        out["seq"] = group.seq
    return out


def reading(ts: datetime, metrics: dict[str, float], seq: int | None = None) -> ReadingGroup:
    return ReadingGroup(ts=ts, metrics=metrics, seq=seq)
