"""Physically plausible, correlated signals of one simulated asset (pure: numpy only, no I/O).

Each asset alternates between running and stopped periods (its duty cycle).  While it runs, a slowly wandering
load (an Ornstein-Uhlenbeck process around a daily demand curve) drives the electrical current; the winding
temperature follows I^2 heating through a first-order thermal lag; vibration and flow rise with load; pressure
follows flow with a short lag.  While it is stopped, current and flow are ~0 and the temperature decays toward
the ambient temperature, which itself follows a daily cycle.  Every metric carries measurement noise.

Equipment faults act on the physics through `Effects` (made by `simulators.faults`), so a failing bearing
heats the machine through the same thermal lag as real load does.  The random numbers drawn per step do not
depend on the effects, so a faulty and a healthy run with the same seed differ only by what the fault does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

ASSET_TYPES: tuple[str, ...] = ("pump", "compressor", "chiller", "generator")
CORE_METRICS: tuple[str, ...] = (
    "running",
    "ambient_temperature",
    "temperature",
    "vibration_rms",
    "pressure",
    "current",
    "current_imbalance",
    "flow",
    "run_hours",
)
_NOISE_DRAWS = 16  # normal draws per step, fixed so the random stream never depends on state or faults
_PRESSURE_TAU_S = 20.0
_LOAD_TAU_S = 900.0


@dataclass(frozen=True, slots=True)
class AssetProfile:
    """Nameplate and behaviour of one asset type.  Units: A, bar, degC, mm/s, seconds; flow per type."""

    asset_type: str
    rated_current: float
    idle_current_fraction: float
    nominal_flow: float
    stopped_pressure: float
    running_pressure: float
    temperature_rise: float
    thermal_time_constant_s: float
    vibration_idle: float
    vibration_per_load: float
    mean_on_s: float
    mean_off_s: float
    base_load: float
    extra_metrics: tuple[str, ...] = ()

    @property
    def metrics(self) -> tuple[str, ...]:
        return CORE_METRICS + self.extra_metrics


PROFILES: dict[str, AssetProfile] = {
    "pump": AssetProfile(
        "pump",
        rated_current=30.0,
        idle_current_fraction=0.30,
        nominal_flow=120.0,
        stopped_pressure=0.6,
        running_pressure=6.0,
        temperature_rise=35.0,
        thermal_time_constant_s=900.0,
        vibration_idle=1.2,
        vibration_per_load=1.6,
        mean_on_s=3600.0,
        mean_off_s=1200.0,
        base_load=0.65,
        extra_metrics=("suction_pressure",),
    ),
    "compressor": AssetProfile(
        "compressor",
        rated_current=60.0,
        idle_current_fraction=0.35,
        nominal_flow=10.0,
        stopped_pressure=6.4,
        running_pressure=7.6,
        temperature_rise=45.0,
        thermal_time_constant_s=1200.0,
        vibration_idle=2.0,
        vibration_per_load=2.5,
        mean_on_s=900.0,
        mean_off_s=600.0,
        base_load=0.70,
        extra_metrics=("discharge_temperature",),
    ),
    "chiller": AssetProfile(
        "chiller",
        rated_current=120.0,
        idle_current_fraction=0.25,
        nominal_flow=80.0,
        stopped_pressure=8.0,
        running_pressure=14.0,
        temperature_rise=30.0,
        thermal_time_constant_s=1800.0,
        vibration_idle=1.0,
        vibration_per_load=1.2,
        mean_on_s=2400.0,
        mean_off_s=900.0,
        base_load=0.60,
        extra_metrics=("supply_temperature",),
    ),
    "generator": AssetProfile(
        "generator",
        rated_current=200.0,
        idle_current_fraction=0.10,
        nominal_flow=40.0,
        stopped_pressure=0.0,
        running_pressure=4.5,
        temperature_rise=60.0,
        thermal_time_constant_s=600.0,
        vibration_idle=3.0,
        vibration_per_load=2.0,
        mean_on_s=7200.0,
        mean_off_s=1800.0,
        base_load=0.55,
        extra_metrics=("voltage", "frequency"),
    ),
}


@dataclass(frozen=True, slots=True)
class Effects:
    """What equipment faults do to the physics at one instant (neutral values: no fault)."""

    vibration_gain: float = 1.0
    extra_heat: float = 0.0
    flow_factor: float = 1.0
    pressure_factor: float = 1.0
    current_factor: float = 1.0
    current_imbalance: float = 0.0
    current_spike: float = 1.0
    tripped: bool = False

    def combine(self, other: Effects) -> Effects:
        return Effects(
            vibration_gain=self.vibration_gain * other.vibration_gain,
            extra_heat=self.extra_heat + other.extra_heat,
            flow_factor=self.flow_factor * other.flow_factor,
            pressure_factor=self.pressure_factor * other.pressure_factor,
            current_factor=self.current_factor * other.current_factor,
            current_imbalance=self.current_imbalance + other.current_imbalance,
            current_spike=max(self.current_spike, other.current_spike),
            tripped=self.tripped or other.tripped,
        )


NO_EFFECTS = Effects()


@dataclass(slots=True)
class AssetState:
    """The physical state that carries over from one step to the next."""

    elapsed_s: float
    scheduled_on: bool
    phase_left_s: float
    load: float
    temperature: float
    pressure: float
    run_hours: float
    extra: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Instant:
    """The true (noise-free) physical quantities of one step, before measurement."""

    running: bool
    ambient: float
    load: float
    current: float
    flow: float
    vibration: float
    imbalance: float


class AssetModel:
    """One simulated asset.  `step(dt_seconds)` advances it and returns the measured metrics."""

    def __init__(self, profile: AssetProfile, rng: np.random.Generator, *, start: datetime) -> None:
        self.profile = profile
        self._rng = rng
        self._start_hour = _hour_of_day(start)
        self._ambient_mean = 18.0 + 6.0 * float(rng.random())
        self._ambient_swing = 3.0 + 3.0 * float(rng.random())
        self._size = 0.9 + 0.2 * float(rng.random())  # unit-to-unit spread of nameplate values
        self.state = self._initial_state()

    @property
    def metrics(self) -> tuple[str, ...]:
        return self.profile.metrics

    def step(self, dt_seconds: float, effects: Effects = NO_EFFECTS) -> dict[str, float]:
        if dt_seconds < 0:
            raise ValueError("dt_seconds must not be negative")
        noise = self._rng.standard_normal(_NOISE_DRAWS)
        self.state.elapsed_s += dt_seconds
        self._advance_duty_cycle(dt_seconds)
        now = self._physics(dt_seconds, effects, noise)
        return self._measure(now, noise)

    # -- dynamics --------------------------------------------------------------------------------------------
    def _initial_state(self) -> AssetState:
        p = self.profile
        on = bool(self._rng.random() < p.mean_on_s / (p.mean_on_s + p.mean_off_s))
        phase = float(self._rng.exponential(p.mean_on_s if on else p.mean_off_s))
        ambient = self.ambient_at(0.0)
        load = p.base_load
        current_ratio = (p.idle_current_fraction + (1 - p.idle_current_fraction) * load) if on else 0.0
        temperature = ambient + p.temperature_rise * current_ratio**2
        pressure = self._pressure_target(on, load, NO_EFFECTS)
        run_hours = float(self._rng.uniform(200.0, 20_000.0))
        return AssetState(0.0, on, phase, load, temperature, pressure, run_hours, _initial_extra(p, on))

    def ambient_at(self, elapsed_s: float) -> float:
        hour = (self._start_hour + elapsed_s / 3600.0) % 24.0
        return self._ambient_mean + self._ambient_swing * math.cos(2 * math.pi * (hour - 15.0) / 24.0)

    def _advance_duty_cycle(self, dt: float) -> None:
        s, p = self.state, self.profile
        s.phase_left_s -= dt
        while s.phase_left_s <= 0:
            s.scheduled_on = not s.scheduled_on
            mean = p.mean_on_s if s.scheduled_on else p.mean_off_s
            s.phase_left_s += max(60.0, float(self._rng.exponential(mean)))

    def _physics(self, dt: float, effects: Effects, noise: np.ndarray) -> Instant:
        s, p = self.state, self.profile
        running = s.scheduled_on and not effects.tripped
        ambient = self.ambient_at(s.elapsed_s)
        s.load = _ou_step(s.load, self._load_target(ambient), dt, sigma=0.10, shock=float(noise[0]))
        load = s.load if running else 0.0
        current = 0.0
        if running:
            ratio = p.idle_current_fraction + (1 - p.idle_current_fraction) * load
            current = self._size * p.rated_current * ratio * effects.current_factor * effects.current_spike
        heat = p.temperature_rise * (current / (self._size * p.rated_current)) ** 2
        target = ambient + heat + (effects.extra_heat if running else 0.0)
        s.temperature = _lag(s.temperature, target, dt, p.thermal_time_constant_s)
        s.pressure = _lag(s.pressure, self._pressure_target(running, load, effects), dt, _PRESSURE_TAU_S)
        if running:
            s.run_hours += dt / 3600.0
        flow = self._size * p.nominal_flow * load * effects.flow_factor if running else 0.0
        vibration = (p.vibration_idle + p.vibration_per_load * load) * effects.vibration_gain if running else 0.02
        imbalance = 1.5 + effects.current_imbalance if running else 0.0
        _EXTRA_DYNAMICS[p.asset_type](s, running, load, ambient, dt)
        return Instant(running, ambient, load, current, flow, vibration, imbalance)

    def _load_target(self, ambient: float) -> float:
        # demand follows the working day and, for cooling equipment, the ambient temperature
        hour = (self._start_hour + self.state.elapsed_s / 3600.0) % 24.0
        daily = 0.15 * math.sin(2 * math.pi * (hour - 9.0) / 24.0)
        thermal = 0.02 * (ambient - self._ambient_mean) if self.profile.asset_type == "chiller" else 0.0
        return min(1.0, max(0.2, self.profile.base_load + daily + thermal))

    def _pressure_target(self, running: bool, load: float, effects: Effects) -> float:
        p = self.profile
        if not running:
            return p.stopped_pressure * effects.pressure_factor
        rise = (p.running_pressure - p.stopped_pressure) * (0.6 + 0.4 * load)
        return (p.stopped_pressure + rise) * effects.pressure_factor

    # -- measurement -----------------------------------------------------------------------------------------
    def _measure(self, now: Instant, noise: np.ndarray) -> dict[str, float]:
        s, p = self.state, self.profile
        spread = self._size
        out = {
            "running": 1.0 if now.running else 0.0,
            "ambient_temperature": now.ambient + 0.15 * noise[1],
            "temperature": s.temperature + 0.2 * noise[2],
            "vibration_rms": max(0.0, now.vibration * (1.0 + 0.05 * noise[3]) + 0.01 * noise[4]),
            "pressure": max(0.0, s.pressure + 0.02 * max(p.running_pressure, 1.0) * noise[5]),
            "current": max(0.0, now.current + 0.004 * spread * p.rated_current * noise[6]) if now.running else 0.0,
            "current_imbalance": max(0.0, now.imbalance + 0.2 * noise[7]) if now.running else 0.0,
            "flow": max(0.0, now.flow + 0.006 * spread * p.nominal_flow * noise[8]) if now.running else 0.0,
            "run_hours": s.run_hours,
        }
        out.update(_EXTRA_MEASURES[p.asset_type](s, now, out, noise[9:]))
        return {name: round(float(value), 4) for name, value in out.items()}


# -- type-specific metrics -----------------------------------------------------------------------------------
def _initial_extra(profile: AssetProfile, on: bool) -> dict[str, float]:
    if profile.asset_type == "chiller":
        return {"supply_temperature": 7.0 if on else 12.0}
    return {}


def _chiller_dynamics(s: AssetState, running: bool, load: float, ambient: float, dt: float) -> None:
    # chilled-water supply settles near its set point while running and warms toward the return side when off
    target = 6.5 + 1.5 * load if running else 12.0 + 0.2 * (ambient - 20.0)
    s.extra["supply_temperature"] = _lag(s.extra["supply_temperature"], target, dt, 600.0)


def _no_dynamics(s: AssetState, running: bool, load: float, ambient: float, dt: float) -> None:
    return None


def _pump_measures(s: AssetState, now: Instant, out: dict[str, float], noise: np.ndarray) -> dict[str, float]:
    suction = 0.9 - (0.25 * now.load if now.running else 0.0)
    return {"suction_pressure": suction + 0.01 * noise[0]}


def _compressor_measures(s: AssetState, now: Instant, out: dict[str, float], noise: np.ndarray) -> dict[str, float]:
    # adiabatic compression heats the air well above the motor temperature while loaded
    return {"discharge_temperature": s.temperature + (40.0 * now.load if now.running else 0.0) + 0.3 * noise[0]}


def _chiller_measures(s: AssetState, now: Instant, out: dict[str, float], noise: np.ndarray) -> dict[str, float]:
    return {"supply_temperature": s.extra["supply_temperature"] + 0.05 * noise[0]}


def _generator_measures(s: AssetState, now: Instant, out: dict[str, float], noise: np.ndarray) -> dict[str, float]:
    if not now.running:
        return {"voltage": 0.0, "frequency": 0.0}
    return {
        "voltage": 400.0 * (1.0 - 0.02 * now.load) + 1.0 * noise[0],
        "frequency": 50.0 - 0.3 * now.load + 0.02 * noise[1],
    }


_Dynamics = Callable[[AssetState, bool, float, float, float], None]
_Measures = Callable[[AssetState, Instant, dict[str, float], np.ndarray], dict[str, float]]
_EXTRA_DYNAMICS: dict[str, _Dynamics] = {
    "pump": _no_dynamics,
    "compressor": _no_dynamics,
    "chiller": _chiller_dynamics,
    "generator": _no_dynamics,
}
_EXTRA_MEASURES: dict[str, _Measures] = {
    "pump": _pump_measures,
    "compressor": _compressor_measures,
    "chiller": _chiller_measures,
    "generator": _generator_measures,
}


# -- small maths ---------------------------------------------------------------------------------------------
def _lag(value: float, target: float, dt: float, tau: float) -> float:
    """Exact step of a first-order lag dx/dt = (target - x) / tau."""
    return target + (value - target) * math.exp(-dt / tau)


def _ou_step(value: float, mean: float, dt: float, *, sigma: float, shock: float) -> float:
    """Exact step of an Ornstein-Uhlenbeck process with stationary deviation `sigma`, clipped to [0.2, 1]."""
    decay = math.exp(-dt / _LOAD_TAU_S)
    stepped = mean + (value - mean) * decay + sigma * math.sqrt(1.0 - decay**2) * shock
    return min(1.0, max(0.2, stepped))


def _hour_of_day(at: datetime) -> float:
    utc = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
    return utc.hour + utc.minute / 60.0 + utc.second / 3600.0


def profile_for(asset_type: str) -> AssetProfile:
    try:
        return PROFILES[asset_type]
    except KeyError:
        raise ValueError(f"unknown asset type {asset_type!r}; expected one of {', '.join(ASSET_TYPES)}") from None


def device_rng(seed: int, device_id: tuple[int, ...], stream: int = 0) -> np.random.Generator:
    """An independent random stream per (seed, device, purpose): adding a device or fault changes no other."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(*device_id, stream)))
