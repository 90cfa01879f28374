"""Telemetry read models."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

Resolution = Literal["raw", "1m", "1h"]


class LatestValue(BaseModel):
    device_id: int
    device_key: str
    metric: str
    ts: datetime
    value: float


class Point(BaseModel):
    metric: str
    ts: datetime
    n: int
    mean: float
    min: float
    max: float


class FleetPoint(BaseModel):
    bucket: datetime
    device_type: str
    devices: int
    n: int
    mean: float
    min: float
    max: float
    stddev: float | None
