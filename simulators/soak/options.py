"""What a soak run does (`assetpulse bench soak` options)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SoakOptions:
    minutes: float = 5.0
    devices: int = 2000
    sample_interval_s: float = 1.0  # per device: 1 reading/s
    publishers: int | None = None  # publisher processes; None: one per 1,000 devices
    api_rate: float = 30.0  # requests/s of the steady API load
    fault_fraction: float = 0.01  # share of the fleet with an injected device fault (at least one of each kind)
    seed: int = 7
    tenant: str = "soak"
    outage_s: float = 5.0  # how long PostgreSQL and the broker stay down when restarted
    drain_timeout_s: float = 180.0  # after the load stops: how long the pipeline may take to catch up
    train_units: int = 3  # per asset type, for the detector's models
    train_hours: float = 26.0
    train_interval_s: float = 120.0
    commissioning_interval_s: float | None = None  # each unit's own baseline history; None: a new fleet
    detector_interval_s: float = 1.0
    keep_dir: bool = False  # keep the working folder (logs, broker and database files) for a post-mortem

    @property
    def duration_s(self) -> float:
        return self.minutes * 60.0

    @property
    def shards(self) -> int:
        return self.publishers or max(1, -(-self.devices // 1000))

    @property
    def warmup_s(self) -> float:
        """RSS 'start' samples are taken this long after the fleet started (connections open, caches warm)."""
        return min(60.0, max(8.0, 0.1 * self.duration_s))

    def check(self) -> None:
        problems = []
        if self.minutes <= 0:
            problems.append("--minutes must be positive")
        if self.devices < 1:
            problems.append("--devices must be at least 1")
        if self.api_rate <= 0:
            problems.append("--api-rate must be positive")
        if not 0 <= self.fault_fraction <= 0.5:
            problems.append("--fault-fraction must be between 0 and 0.5")
        if self.outage_s < 0 or self.outage_s > self.duration_s / 8:
            problems.append("--outage-seconds must be between 0 and an eighth of the run")
        if problems:
            raise ValueError("; ".join(problems))
