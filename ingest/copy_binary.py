"""PostgreSQL binary COPY of reading rows, built with numpy in one pass instead of one Python call per row.

Layout (https://www.postgresql.org/docs/current/sql-copy.html, "Binary Format"): a signature and two int32s,
then per row an int16 field count and, per field, an int32 byte length and the value in network byte order
(int4, int4, timestamptz as int64 microseconds since 2000-01-01 UTC, float8); a trailing int16 -1.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("device_len", ">i4"),
        ("device_id", ">i4"),
        ("metric_len", ">i4"),
        ("metric_id", ">i4"),
        ("ts_len", ">i4"),
        ("ts", ">i8"),
        ("value_len", ">i4"),
        ("value", ">f8"),
    ]
)


def pg_microseconds(ts: datetime) -> int:
    """A timezone-aware time as PostgreSQL stores timestamptz: microseconds since 2000-01-01 UTC."""
    return (ts - PG_EPOCH) // _MICROSECOND


class ReadingColumns:
    """Reading rows gathered column by column (cheap list extends per message), then encoded at once."""

    __slots__ = ("device_ids", "metric_ids", "timestamps", "values")

    def __init__(self) -> None:
        self.device_ids: list[int] = []
        self.metric_ids: list[int] = []
        self.timestamps: list[int] = []
        self.values: list[float] = []

    def __len__(self) -> int:
        return len(self.values)

    def add_group(self, device_id: int, ts_us: int, metric_ids: list[int], values: list[float]) -> None:
        n = len(values)
        self.device_ids.extend([device_id] * n)
        self.metric_ids.extend(metric_ids)
        self.timestamps.extend([ts_us] * n)
        self.values.extend(values)

    def to_copy(self) -> bytes:
        rows = np.empty(len(self.values), dtype=ROW)
        rows["fields"] = 4
        rows["device_len"] = rows["metric_len"] = 4
        rows["ts_len"] = rows["value_len"] = 8
        rows["device_id"] = self.device_ids
        rows["metric_id"] = self.metric_ids
        rows["ts"] = self.timestamps
        rows["value"] = self.values
        return HEADER + rows.tobytes() + TRAILER
