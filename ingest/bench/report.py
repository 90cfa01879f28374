"""What a benchmark run found: its figures, their ratios to the ceilings and the naive baseline, targets."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

TARGET_RATIO_TO_CEILING = 0.5
TARGET_RATIO_TO_NAIVE = 10.0


@dataclass(frozen=True, slots=True)
class BenchReport:
    messages: int
    metrics: int
    devices: int
    publishers: int
    ingestors: int
    # the real ingestor, end to end: first publish to last reading committed
    sent_readings: int
    stored_readings: int
    duplicates: int
    exact: bool
    seconds: float
    msgs_per_s: float
    readings_per_s: float
    publish_msgs_per_s: float  # how fast the publishers got their messages acknowledged meanwhile
    mismatched_series: int
    quarantined_readings: int
    dead_letters: int
    rollups_consistent: bool
    # the baselines
    broker_msgs_per_s: float
    copy_readings_per_s: float
    naive_messages: int
    naive_readings_per_s: float
    backend: str
    ingestor_settings: dict[str, Any]

    @property
    def broker_readings_per_s(self) -> float:
        return self.broker_msgs_per_s * self.metrics

    @property
    def ceiling(self) -> str:
        return "broker" if self.broker_readings_per_s <= self.copy_readings_per_s else "copy"

    @property
    def ceiling_readings_per_s(self) -> float:
        return min(self.broker_readings_per_s, self.copy_readings_per_s)

    @property
    def ratio_to_ceiling(self) -> float:
        return _ratio(self.readings_per_s, self.ceiling_readings_per_s)

    @property
    def ratio_to_naive(self) -> float:
        return _ratio(self.readings_per_s, self.naive_readings_per_s)

    @property
    def target_ceiling_met(self) -> bool:
        return self.ratio_to_ceiling >= TARGET_RATIO_TO_CEILING

    @property
    def target_naive_met(self) -> bool:
        return self.ratio_to_naive >= TARGET_RATIO_TO_NAIVE

    @property
    def targets_met(self) -> bool:
        return self.target_ceiling_met and self.target_naive_met

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, float):
                out[key] = round(value, 3 if key == "seconds" else 1)
        out |= {
            "broker_readings_per_s": round(self.broker_readings_per_s, 1),
            "ceiling": self.ceiling,
            "ceiling_readings_per_s": round(self.ceiling_readings_per_s, 1),
            "ratio_to_ceiling": round(self.ratio_to_ceiling, 3),
            "ratio_to_naive": round(self.ratio_to_naive, 2),
            "target_ratio_to_ceiling": TARGET_RATIO_TO_CEILING,
            "target_ratio_to_naive": TARGET_RATIO_TO_NAIVE,
            "target_ceiling_met": self.target_ceiling_met,
            "target_naive_met": self.target_naive_met,
            "targets_met": self.targets_met,
        }
        return out

    def summary(self) -> str:
        def met(flag: bool) -> str:
            return "met" if flag else "NOT met"

        return "\n".join(
            [
                f"AssetPulse ingest benchmark: {self.messages:,} messages x {self.metrics} metrics = "
                f"{self.sent_readings:,} readings, {self.devices} devices, {self.publishers} publishers, "
                f"{self.ingestors} ingestor(s) "
                f"({self.backend} PostgreSQL)",
                f"  broker ceiling   {self.broker_msgs_per_s:>12,.0f} msg/s       "
                f"= {self.broker_readings_per_s:,.0f} readings/s",
                f"  COPY ceiling     {self.copy_readings_per_s:>12,.0f} readings/s",
                f"  naive ingestor   {self.naive_readings_per_s:>12,.0f} readings/s  "
                f"(first {self.naive_messages:,} messages)",
                f"  real ingestor    {self.readings_per_s:>12,.0f} readings/s  "
                f"= {self.msgs_per_s:,.0f} msg/s, {self.seconds:.2f} s from first publish to last commit",
                f"  stored {self.stored_readings:,} of {self.sent_readings:,} readings, "
                f"{self.duplicates} duplicates, "
                f"{self.mismatched_series} series differing, {self.quarantined_readings} quarantined, "
                f"{self.dead_letters} dead letters: exact = {'yes' if self.exact else 'NO'}",
                f"  vs the lower ceiling ({self.ceiling}): {self.ratio_to_ceiling:.2f} "
                f"(target >= {TARGET_RATIO_TO_CEILING}: {met(self.target_ceiling_met)})",
                f"  vs the naive ingestor: {self.ratio_to_naive:.1f}x "
                f"(target >= {TARGET_RATIO_TO_NAIVE:.0f}x: {met(self.target_naive_met)})",
            ]
        )


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else 0.0
