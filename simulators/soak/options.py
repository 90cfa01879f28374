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
    # The detector's models, per asset type.  Their features are counted in rows (lags and averages over the last
    # so many readings), so they must learn from history sampled as the live fleet is: trained on 120 s rows and
    # scored on 1 s rows, 175 of 500 healthy new compressors raised `overheating` in their first seconds (soak,
    # 2 minutes); trained on 1 s rows of 8 units x 3 h, none of 80 simulated new compressors came near the limit.
    # The units' histories are spread over the day (`setup.training_starts`), so every hour of it is known.
    train_units: int = 8
    train_hours: float = 3.0
    train_interval_s: float | None = None  # None: the fleet's own sampling interval
    commissioning_interval_s: float | None = None  # each unit's own baseline history; None: a new fleet
    detector_interval_s: float = 1.0
    keep_dir: bool = False  # keep the working folder (logs, broker and database files) for a post-mortem

    @property
    def duration_s(self) -> float:
        return self.minutes * 60.0

    @property
    def training_interval_s(self) -> float:
        return self.train_interval_s or self.sample_interval_s

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
