"""Scenario files: what fleet to simulate, how fast, and which faults to inject (YAML, validated by pydantic).

    name: default
    seed: 42
    tenant: demo
    sample_interval_s: 10        # simulated seconds between two readings of a device
    speed: 60                    # simulated seconds per wall-clock second (1: real time)
    duration_s: 86400            # simulated seconds; omit or null: run until stopped
    start: null                  # first reading's time; null: see `simulators.fleet` (now, or ending now)
    fleet:
      key_prefix: sim            # device keys are <prefix>-<asset type>-<number>: sim-pump-001
      assets: {pump: 3, compressor: 2, chiller: 1, generator: 1}
    faults:
      - device: sim-pump-001     # a device key or a glob (sim-pump-*): one fault per matching device
        kind: bearing_wear       # see simulators.faults.FaultKind
        onset_s: 3600            # simulated seconds after the start
        time_to_failure_s: 43200 # degradations (bearing_wear, fouling); others take duration_s
        params: {vibration_gain_at_failure: 6}

Packaged scenarios live in `simulators/scenarios/*.yaml`; `scenario_path("all_faults")` finds one by name.
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Self

import yaml
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from service_core.exceptions import InvalidInput
from simulators.faults import FAULT_TYPES, Degradation, Fault, FaultKind, SensorFault
from simulators.signals import ASSET_TYPES, profile_for

SCENARIO_DIR = Path(__file__).parent / "scenarios"
AssetType = Annotated[str, StringConstraints(pattern="^(" + "|".join(ASSET_TYPES) + ")$")]
_BASE_FIELDS = {"device_key", "onset_s", "duration_s", "time_to_failure_s", "repair_after_s"}


class ScenarioError(InvalidInput):
    """A scenario file that cannot be used, with a message that says where and why."""


class FleetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key_prefix: str = Field(default="sim", pattern=r"^[A-Za-z0-9_-]{1,32}$")
    assets: dict[AssetType, Annotated[int, Field(ge=0, le=10_000)]] = Field(min_length=1)

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if sum(self.assets.values()) == 0:
            raise ValueError("the fleet has no devices")
        return self

    def device_keys(self) -> list[tuple[str, str, int]]:
        """(device key, asset type, number) of every device, in asset-type order."""
        return [
            (f"{self.key_prefix}-{asset_type}-{n:03d}", asset_type, n)
            for asset_type in ASSET_TYPES
            for n in range(1, self.assets.get(asset_type, 0) + 1)
        ]


class FaultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    device: str = Field(min_length=1, description="device key or glob pattern")
    kind: FaultKind
    onset_s: float = Field(ge=0)
    duration_s: float | None = Field(default=None, gt=0, description="sudden, sensor, connectivity faults")
    time_to_failure_s: float | None = Field(default=None, gt=0, description="degradations")
    repair_after_s: float | None = Field(default=None, gt=0, description="degradations: downtime after failure")
    params: dict[str, float | str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _fits_kind(self) -> Self:
        fault_type = FAULT_TYPES[self.kind]
        if issubclass(fault_type, Degradation):
            if self.time_to_failure_s is None:
                raise ValueError(f"{self.kind} is a degradation: give time_to_failure_s")
            if self.duration_s is not None:
                raise ValueError(
                    f"{self.kind} is a degradation: use time_to_failure_s (+ repair_after_s), not duration_s"
                )
        elif self.time_to_failure_s is not None or self.repair_after_s is not None:
            raise ValueError(f"{self.kind} is not a degradation: use duration_s, not time_to_failure_s/repair_after_s")
        _check_params(fault_type, self.params)
        return self

    def matches(self, device_key: str) -> bool:
        return fnmatch.fnmatchcase(device_key, self.device)


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "scenario"
    description: str = ""
    seed: int = 0
    tenant: str = Field(default="demo", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    sample_interval_s: float = Field(default=10.0, gt=0, le=86_400)
    speed: float = Field(default=1.0, gt=0, le=1e7)
    duration_s: float | None = Field(default=None, gt=0)
    start: AwareDatetime | None = None
    fleet: FleetIn
    faults: list[FaultIn] = Field(default_factory=list)

    @model_validator(mode="after")
    def _faults_hit_devices(self) -> Self:
        devices = self.fleet.device_keys()
        for i, fault in enumerate(self.faults):
            hit = [(key, asset_type) for key, asset_type, _ in devices if fault.matches(key)]
            if not hit:
                known = ", ".join(k for k, _, _ in devices[:6]) + (", ..." if len(devices) > 6 else "")
                raise ValueError(f"faults[{i}]: device {fault.device!r} matches no device of the fleet ({known})")
            for key, asset_type in hit:
                _check_metric(i, fault, key, asset_type)
        return self

    @property
    def device_count(self) -> int:
        return sum(self.fleet.assets.values())


def _check_params(fault_type: type[Fault], params: dict[str, float | str]) -> None:
    allowed = {f.name: f.type for f in fields(fault_type) if f.init and f.name not in _BASE_FIELDS}
    for name, value in params.items():
        if name not in allowed:
            names = ", ".join(sorted(allowed)) or "none"
            raise ValueError(f"unknown parameter {name!r} for {fault_type.kind}; allowed: {names}")
        wanted = str(allowed[name])
        if wanted == "str" and not isinstance(value, str):
            raise ValueError(f"parameter {name!r} must be a metric name (text)")
        if wanted in ("float", "int") and (not isinstance(value, int | float) or not math.isfinite(value)):
            raise ValueError(f"parameter {name!r} must be a finite number, got {value!r}")
        if wanted == "int" and not float(value).is_integer():
            raise ValueError(f"parameter {name!r} must be a whole number, got {value!r}")


def _check_metric(index: int, fault: FaultIn, device_key: str, asset_type: str) -> None:
    if not issubclass(FAULT_TYPES[fault.kind], SensorFault):
        return
    metric = str(fault.params.get("metric", "temperature"))
    metrics = profile_for(asset_type).metrics
    if metric not in metrics:
        raise ValueError(
            f"faults[{index}]: {device_key} ({asset_type}) has no metric {metric!r}; it has {', '.join(metrics)}"
        )


# -- loading -------------------------------------------------------------------------------------------------
def scenario_path(name_or_path: str | Path) -> Path:
    """A path as given, or the packaged scenario of that name (`default`, `all_faults`)."""
    path = Path(name_or_path)
    if path.exists() or path.suffix or len(path.parts) > 1:
        return path
    return SCENARIO_DIR / f"{name_or_path}.yaml"


def packaged_scenarios() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def load_scenario(name_or_path: str | Path = "default") -> Scenario:
    """Read and validate a scenario; every problem is a `ScenarioError` naming the file and the field."""
    path = scenario_path(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file (packaged: {', '.join(packaged_scenarios())})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read: {exc}") from exc
    return parse_scenario(text, source=str(path), default_name=path.stem)


def parse_scenario(text: str, *, source: str = "<scenario>", default_name: str = "scenario") -> Scenario:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{source}: not valid YAML{line}: {problem}") from exc
    if not isinstance(document, dict):
        raise ScenarioError(f"{source}: a scenario must be a YAML mapping, got {type(document).__name__}")
    document.setdefault("name", default_name)
    try:
        return Scenario.model_validate(document)
    except ValidationError as exc:
        raise ScenarioError(f"{source}: {summarise(exc)}") from exc


def summarise(exc: ValidationError, limit: int = 3) -> str:
    parts = []
    for err in exc.errors(include_url=False)[:limit]:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
        message = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


# -- command-line overrides ----------------------------------------------------------------------------------
def with_overrides(
    scenario: Scenario,
    *,
    devices: int | None = None,
    seed: int | None = None,
    speed: float | None = None,
    duration_s: float | None = None,
    start: datetime | None = None,
) -> Scenario:
    """A copy with some settings replaced.  A new fleet size is spread over the scenario's asset types in
    proportion; faults whose devices no longer exist are then dropped by the plan (with a warning)."""
    changes: dict[str, Any] = {}
    if devices is not None:
        if devices < 1:
            raise ScenarioError(f"--devices must be at least 1, got {devices}")
        assets = spread(devices, scenario.fleet.assets)
        changes["fleet"] = scenario.fleet.model_copy(update={"assets": assets})
    for name, value in (("seed", seed), ("speed", speed), ("duration_s", duration_s), ("start", start)):
        if value is not None:
            changes[name] = value
    if speed is not None and speed <= 0:
        raise ScenarioError(f"--speed must be positive, got {speed}")
    if duration_s is not None and duration_s <= 0:
        raise ScenarioError(f"--duration must be positive, got {duration_s}")
    return scenario.model_copy(update=changes)


def spread(total: int, weights: dict[str, int]) -> dict[str, int]:
    """`total` devices over the asset types in proportion to `weights` (largest remainder); every weighted
    type keeps at least one device while there are enough."""
    types = [t for t in ASSET_TYPES if weights.get(t, 0) > 0] or list(ASSET_TYPES)
    weight = {t: weights.get(t, 0) or 1 for t in types}
    shares = {t: total * weight[t] / sum(weight.values()) for t in types}
    counts = {t: int(shares[t]) for t in types}
    left = total - sum(counts.values())
    for t in sorted(types, key=lambda t: shares[t] - int(shares[t]), reverse=True)[:left]:
        counts[t] += 1
    for t in types:
        if counts[t] == 0 and total >= len(types):
            counts[max(types, key=counts.__getitem__)] -= 1
            counts[t] = 1
    return counts
