"""What the soak breaks and when (pure: no I/O).

* `outage_schedule`: the infrastructure faults at fixed fractions of the run (an ingestor killed at 25 %,
  PostgreSQL restarted at 50 %, the broker at 75 %);
* `shard_scenarios`: the fleet split into publisher shards (one process each), as scenario documents for
  `simulators.scenarios.parse_scenario`, with device faults (the simulator's own fault injection, so the ground
  truth is known) spread over the fleet.  Each fault kind goes to an asset type that has its symptoms; every
  fault starts and ends inside the run (a connectivity loss ends early enough for the backlog to be flushed).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from simulators.scenarios import spread
from simulators.signals import ASSET_TYPES


@dataclass(frozen=True, slots=True)
class PlannedOutage:
    name: str  # kill_ingestor | restart_postgres | restart_broker
    at_s: float  # seconds after the fleet started publishing


OUTAGE_FRACTIONS = (("kill_ingestor", 0.25), ("restart_postgres", 0.50), ("restart_broker", 0.75))


def outage_schedule(duration_s: float) -> list[PlannedOutage]:
    if duration_s <= 0:
        raise ValueError(f"the run must last a positive time, got {duration_s}")
    return [PlannedOutage(name, round(duration_s * fraction, 1)) for name, fraction in OUTAGE_FRACTIONS]


@dataclass(frozen=True, slots=True)
class FaultTemplate:
    kind: str
    asset_type: str
    onset: float  # fraction of the run
    length: float  # fraction of the run: duration, or time to failure for degradations
    params: dict[str, float | str]
    degradation: bool = False
    min_run_s: float = 0.0  # left out of shorter runs (a drift of a few degrees an hour needs hours)


FAULT_TEMPLATES = (
    FaultTemplate("overheating", "compressor", 0.15, 0.55, {"delta_c": 30.0}),
    FaultTemplate(
        "electrical", "chiller", 0.20, 0.50, {"imbalance_pct": 12.0, "spike_probability": 0.2, "spike_factor": 2.5}
    ),
    FaultTemplate("leak", "compressor", 0.20, 0.50, {"severity": 0.4}),
    FaultTemplate("bearing_wear", "pump", 0.10, 0.55, {"vibration_gain_at_failure": 6.0}, degradation=True),
    FaultTemplate("fouling", "pump", 0.10, 0.60, {}, degradation=True),
    FaultTemplate("stuck", "chiller", 0.20, 0.50, {"metric": "supply_temperature"}),
    FaultTemplate("spike", "generator", 0.20, 0.50, {"metric": "vibration_rms", "probability": 0.2, "magnitude": 3.0}),
    FaultTemplate("dropout", "generator", 0.30, 0.40, {"metric": "voltage"}),
    FaultTemplate("drift", "generator", 0.10, 0.80, {"metric": "temperature", "rate_per_hour": 4.0}, min_run_s=7200),
    FaultTemplate("connectivity_loss", "pump", 0.35, 0.10, {}),
)


def fault_count(devices: int, fraction: float, kinds: int) -> int:
    """How many devices get a fault: `fraction` of the fleet, at least one of every kind, at most half the fleet."""
    return max(0, min(devices // 2, max(kinds, round(devices * fraction))))


def shard_sizes(devices: int, shards: int) -> list[int]:
    if devices < 1 or shards < 1:
        raise ValueError("devices and shards must be at least 1")
    shards = min(shards, devices)
    return [devices // shards + (1 if i < devices % shards else 0) for i in range(shards)]


def shard_scenarios(
    *,
    devices: int,
    shards: int,
    duration_s: float,
    seed: int,
    tenant: str,
    fault_fraction: float,
    sample_interval_s: float = 1.0,
) -> list[dict[str, Any]]:
    """One scenario document per shard (fleet prefix `soak<i>`, paced at real time for `duration_s`)."""
    fleets = []
    for i, size in enumerate(shard_sizes(devices, shards)):
        assets = spread(size, dict.fromkeys(ASSET_TYPES, 1))
        keys = [(f"soak{i}-{t}-{n:03d}", t) for t in ASSET_TYPES for n in range(1, assets.get(t, 0) + 1)]
        fleets.append((assets, keys))
    all_keys = [key for _, keys in fleets for key in keys]
    faults = plan_device_faults(all_keys, duration_s=duration_s, fraction=fault_fraction, seed=seed)
    documents = []
    for i, (assets, keys) in enumerate(fleets):
        mine = {k for k, _ in keys}
        documents.append({
            "name": f"soak-{i}",
            "description": "assetpulse bench soak",
            "seed": seed + i,
            "tenant": tenant,
            "sample_interval_s": sample_interval_s,
            "speed": 1.0,
            "duration_s": duration_s,
            "fleet": {"key_prefix": f"soak{i}", "assets": {t: n for t, n in assets.items() if n}},
            "faults": [f for f in faults if f["device"] in mine],
        })  # fmt: skip
    return documents


def plan_device_faults(
    devices: list[tuple[str, str]], *, duration_s: float, fraction: float, seed: int
) -> list[dict[str, Any]]:
    """Scenario fault entries: templates in turn, each on a device of its asset type not used yet (seeded
    choice), its onset moved by up to 5 % of the run so that the faults do not all start at once."""
    templates = [t for t in FAULT_TEMPLATES if duration_s >= t.min_run_s]
    rng = random.Random(seed)
    free: dict[str, list[str]] = {t: [] for t in ASSET_TYPES}
    for key, asset_type in devices:
        free[asset_type].append(key)
    for keys in free.values():
        rng.shuffle(keys)
    entries: list[dict[str, Any]] = []
    for n in range(fault_count(len(devices), fraction, len(templates))):
        template = templates[n % len(templates)]
        if not free[template.asset_type]:
            continue
        onset = max(0.02, template.onset + rng.uniform(-0.05, 0.05)) * duration_s
        length = template.length * duration_s
        entry: dict[str, Any] = {
            "device": free[template.asset_type].pop(),
            "kind": template.kind,
            "onset_s": round(onset, 1),
        }
        entry["time_to_failure_s" if template.degradation else "duration_s"] = round(length, 1)
        if template.params:
            entry["params"] = dict(template.params)
        entries.append(entry)
    return entries
