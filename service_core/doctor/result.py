"""The outcome of one check, and the verdict over all of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Level(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    level: Level
    detail: str
    advice: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "level": self.level.value}


def verdict(checks: Sequence[Check]) -> Level:
    """The worst level among the checks."""
    levels = {c.level for c in checks}
    if Level.FAIL in levels:
        return Level.FAIL
    return Level.WARN if Level.WARN in levels else Level.OK


def skew_level(skew_seconds: float, *, warn_at: float = 2.0, fail_at: float = 30.0) -> Level:
    """Clock skew between two machines: event times and SLA clocks drift with it."""
    size = abs(skew_seconds)
    if size >= fail_at:
        return Level.FAIL
    return Level.WARN if size >= warn_at else Level.OK


def render(checks: Sequence[Check]) -> str:
    lines = []
    for c in checks:
        line = f"{c.level.value.upper():>4}  {c.name}: {c.detail}"
        if c.advice and c.level is not Level.OK:
            line += f"\n      -> {c.advice}"
        lines.append(line)
    lines.append(f"overall: {verdict(checks).value.upper()}")
    return "\n".join(lines)
