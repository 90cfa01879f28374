"""The simulator's pure parts: signals, faults and their ground truth, store-and-forward (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from simulators.devices import Backlog, DeviceSpec, Sample, SimulatedDevice
from simulators.faults import (
    BearingWear,
    ConnectivityLoss,
    Drift,
    Dropout,
    Electrical,
    Fault,
    FaultKind,
    Fouling,
    Leak,
    Overheating,
    Spike,
    Stuck,
)
from simulators.plan import plan_fleet
from simulators.scenarios import load_scenario
from simulators.signals import PROFILES, AssetModel, device_rng

START = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
INTERVAL = 30.0


def simulate(fault: Fault | None = None, *, asset: str = "pump", n: int = 1500, seed: int = 3) -> list[Sample]:
    spec = DeviceSpec(f"sim-{asset}-001", asset, 1)
    device = SimulatedDevice(spec, [fault] if fault else [], seed=seed, start=START, interval_s=INTERVAL)
    return [device.sample(device.sample_offset(k)) for k in range(n)]


def series(samples: list[Sample], metric: str) -> np.ndarray:
    return np.array([s.group.metrics.get(metric, np.nan) if s.group else np.nan for s in samples])


def offsets(samples: list[Sample]) -> np.ndarray:
    return np.array([s.elapsed_s for s in samples])


def run_model(asset: str = "pump", *, steps: int = 8640, dt: float = 10.0, seed: int = 1) -> dict[str, np.ndarray]:
    model = AssetModel(PROFILES[asset], device_rng(seed, (0, 1)), start=START)
    rows = [model.step(dt) for _ in range(steps)]
    return {name: np.array([r[name] for r in rows]) for name in rows[0]}


# -- signals -------------------------------------------------------------------------------------------------
def test_same_seed_same_signals_and_other_seed_other_signals() -> None:
    a, b, c = simulate(seed=11, n=300), simulate(seed=11, n=300), simulate(seed=12, n=300)
    assert [s.group for s in a] == [s.group for s in b]
    assert [s.group.metrics for s in a if s.group] != [s.group.metrics for s in c if s.group]


def test_a_device_signals_do_not_depend_on_the_rest_of_the_fleet() -> None:
    small = plan_fleet(load_scenario("default").model_copy(update={"faults": []}))
    scenario = load_scenario("default")
    big = plan_fleet(
        scenario.model_copy(
            update={
                "faults": [],
                "fleet": scenario.fleet.model_copy(update={"assets": {"pump": 9, "compressor": 1}}),
            }
        )
    )
    pump_small = next(d for d in small.build_devices(START) if d.key == "sim-pump-002")
    pump_big = next(d for d in big.build_devices(START) if d.key == "sim-pump-002")
    assert [pump_small.sample(pump_small.sample_offset(k)).group for k in range(50)] == [
        pump_big.sample(pump_big.sample_offset(k)).group for k in range(50)
    ]


@pytest.mark.parametrize("asset", ["pump", "compressor", "chiller", "generator"])
def test_every_asset_type_reports_its_metrics_within_physical_ranges(asset: str) -> None:
    m = run_model(asset, steps=3000)
    assert set(m) == set(PROFILES[asset].metrics)
    for name in ("current", "flow", "vibration_rms", "pressure", "current_imbalance"):
        assert (m[name] >= 0).all(), name
    assert np.isfinite(np.stack(list(m.values()))).all()
    assert (np.diff(m["run_hours"]) >= 0).all()


def test_duty_cycle_alternates_and_a_stopped_asset_draws_no_current_and_moves_nothing() -> None:
    m = run_model("pump", steps=17280)  # two days at 10 s
    running = m["running"] == 1
    assert 0.5 < running.mean() < 0.95
    assert np.count_nonzero(np.diff(m["running"])) >= 10
    assert (m["current"][~running] == 0).all() and (m["flow"][~running] == 0).all()
    assert m["current"][running].min() > 5
    assert m["vibration_rms"][~running].max() < 0.2 < m["vibration_rms"][running].min()


def test_current_flow_and_vibration_rise_with_load() -> None:
    m = run_model("compressor", steps=17280)
    on = m["running"] == 1
    assert np.corrcoef(m["current"][on], m["flow"][on])[0, 1] > 0.9
    assert np.corrcoef(m["current"][on], m["vibration_rms"][on])[0, 1] > 0.6


def test_temperature_lags_current_and_decays_to_ambient_when_stopped() -> None:
    m = run_model("pump", steps=17280)
    tau_steps = int(PROFILES["pump"].thermal_time_constant_s / 10)
    stops = np.flatnonzero((m["running"][:-1] == 1) & (m["running"][1:] == 0)) + 1
    long_stops = [i for i in stops if (m["running"][i : i + 3 * tau_steps] == 0).all()]
    assert long_stops, "expected at least one stop of three thermal time constants"
    i = long_stops[0]
    warm = m["temperature"][i - 1] - m["ambient_temperature"][i - 1]
    assert warm > 5
    assert m["current"][i] == 0
    # one step after the stop the machine is still warm; after 3 tau it is close to ambient
    assert m["temperature"][i] - m["ambient_temperature"][i] > 0.8 * warm
    assert m["temperature"][i + 3 * tau_steps] - m["ambient_temperature"][i + 3 * tau_steps] < 0.15 * warm
    # lagged: temperature correlates better with the current of 15 minutes ago than with the current now
    lag = 90
    now = np.corrcoef(m["current"][lag:], m["temperature"][lag:])[0, 1]
    before = np.corrcoef(m["current"][:-lag], m["temperature"][lag:])[0, 1]
    assert before > now


def test_ambient_follows_a_daily_cycle() -> None:
    m = run_model("chiller", steps=8640)
    hours = (np.arange(1, 8641) * 10 / 3600) % 24
    afternoon = m["ambient_temperature"][(hours > 14) & (hours < 16)].mean()
    night = m["ambient_temperature"][(hours > 2) & (hours < 4)].mean()
    assert afternoon - night > 4


# -- equipment faults ----------------------------------------------------------------------------------------
def both_running(healthy: list[Sample], faulty: list[Sample], window: np.ndarray) -> np.ndarray:
    running: np.ndarray = window & (series(healthy, "running") == 1) & (series(faulty, "running") == 1)
    return running


def test_bearing_wear_raises_vibration_and_temperature_until_the_asset_trips_at_failure() -> None:
    fault = BearingWear(device_key="sim-pump-001", onset_s=6000, time_to_failure_s=30000, repair_after_s=3000)
    healthy, faulty = simulate(), simulate(fault)
    t = offsets(healthy)
    before = t < fault.onset_s
    assert [s.group for s in healthy[: before.sum()]] == [s.group for s in faulty[: before.sum()]]
    late = both_running(healthy, faulty, (t > 30000) & (t < fault.failure_s))
    ratio = series(faulty, "vibration_rms")[late] / series(healthy, "vibration_rms")[late]
    assert ratio.mean() > 3
    early = both_running(healthy, faulty, (t > 6000) & (t < 12000))
    assert (series(faulty, "vibration_rms")[early] / series(healthy, "vibration_rms")[early]).mean() < 1.3
    assert (series(faulty, "temperature")[late] - series(healthy, "temperature")[late]).mean() > 10
    down = (t >= fault.failure_s) & (t < fault.failure_s + 3000)
    assert (series(faulty, "running")[down] == 0).all() and (series(faulty, "current")[down] == 0).all()
    repaired = t > fault.failure_s + 3000 + 5000
    assert (series(faulty, "running")[repaired] == series(healthy, "running")[repaired]).all()


def test_fouling_cuts_flow_and_raises_pressure_and_current() -> None:
    fault = Fouling(device_key="sim-pump-001", onset_s=3000, time_to_failure_s=40000)
    healthy, faulty = simulate(), simulate(fault)
    t = offsets(healthy)
    late = both_running(healthy, faulty, (t > 35000) & (t < fault.failure_s))
    assert (series(faulty, "flow")[late] / series(healthy, "flow")[late]).mean() < 0.75
    assert (series(faulty, "pressure")[late] / series(healthy, "pressure")[late]).mean() > 1.15
    assert (series(faulty, "current")[late] / series(healthy, "current")[late]).mean() > 1.1


def test_overheating_heats_the_machine_through_its_thermal_lag() -> None:
    fault = Overheating(device_key="sim-compressor-001", onset_s=6000, duration_s=20000, delta_c=30)
    healthy, faulty = simulate(asset="compressor"), simulate(fault, asset="compressor")
    t = offsets(healthy)
    rise = series(faulty, "temperature") - series(healthy, "temperature")
    assert abs(rise[t < 6000]).max() == 0
    assert rise[(t >= 6000) & (t < 6100)].max() < 10  # sudden fault, but heat takes time
    settled = both_running(healthy, faulty, (t > 6000 + 4 * 1200) & (t < 26000))
    assert rise[settled].mean() > 15
    discharge = series(faulty, "discharge_temperature") - series(healthy, "discharge_temperature")
    assert discharge[settled].mean() > 15


def test_leak_drops_pressure_and_flow_only_while_it_lasts() -> None:
    fault = Leak(device_key="sim-pump-001", onset_s=6000, duration_s=10000, severity=0.4)
    healthy, faulty = simulate(), simulate(fault)
    t = offsets(healthy)
    during = both_running(healthy, faulty, (t > 6200) & (t < 16000))
    assert (series(faulty, "pressure")[during] / series(healthy, "pressure")[during]).mean() < 0.7
    assert (series(faulty, "flow")[during] / series(healthy, "flow")[during]).mean() < 0.85
    after = t > 17000
    assert np.allclose(series(faulty, "pressure")[after], series(healthy, "pressure")[after], atol=0.01)


def test_electrical_fault_unbalances_phases_and_spikes_the_current() -> None:
    fault = Electrical(device_key="sim-chiller-001", onset_s=6000, duration_s=20000)
    healthy, faulty = simulate(asset="chiller"), simulate(fault, asset="chiller")
    t = offsets(healthy)
    during = both_running(healthy, faulty, (t > 6000) & (t < 26000))
    assert series(faulty, "current_imbalance")[during].mean() > 10
    assert series(healthy, "current_imbalance")[during].max() < 5
    ratio = series(faulty, "current")[during] / series(healthy, "current")[during]
    assert 0.05 < (ratio > 2).mean() < 0.4


# -- sensor faults -------------------------------------------------------------------------------------------
def test_stuck_sensor_repeats_the_value_it_read_at_onset() -> None:
    fault = Stuck(device_key="sim-pump-001", onset_s=6000, duration_s=6000, metric="temperature")
    healthy, faulty = simulate(), simulate(fault)
    t = offsets(healthy)
    during = (t >= 6000) & (t < 12000)
    stuck = series(faulty, "temperature")[during]
    assert (stuck == stuck[0]).all() and stuck[0] == series(healthy, "temperature")[during][0]
    assert np.array_equal(series(faulty, "temperature")[~during], series(healthy, "temperature")[~during])
    assert np.array_equal(series(faulty, "current"), series(healthy, "current"))


def test_dropout_removes_the_metric_from_the_readings_while_it_lasts() -> None:
    fault = Dropout(device_key="sim-pump-001", onset_s=6000, duration_s=3000, metric="pressure")
    faulty = simulate(fault)
    t = offsets(faulty)
    during = (t >= 6000) & (t < 9000)
    assert np.isnan(series(faulty, "pressure")[during]).all()
    assert not np.isnan(series(faulty, "pressure")[~during]).any()
    assert not np.isnan(series(faulty, "current")).any()


def test_spikes_hit_a_fraction_of_readings() -> None:
    fault = Spike(device_key="sim-pump-001", onset_s=0, duration_s=None, metric="vibration_rms", probability=0.2)
    healthy, faulty = simulate(), simulate(fault)
    jumped = series(faulty, "vibration_rms") > series(healthy, "vibration_rms") + 0.5
    assert 0.12 < jumped.mean() < 0.28


def test_drift_adds_its_rate_times_the_time_since_onset() -> None:
    fault = Drift(device_key="sim-pump-001", onset_s=6000, duration_s=36000, metric="temperature", rate_per_hour=2)
    healthy, faulty = simulate(), simulate(fault)
    t = offsets(healthy)
    offset = series(faulty, "temperature") - series(healthy, "temperature")
    during = (t >= 6000) & (t < 42000)
    assert np.allclose(offset[during], 2 * (t[during] - 6000) / 3600, atol=2e-3)
    assert np.allclose(offset[~during], 0)


# -- connectivity --------------------------------------------------------------------------------------------
def test_connectivity_loss_marks_samples_offline_but_keeps_measuring() -> None:
    fault = ConnectivityLoss(device_key="sim-pump-001", onset_s=6000, duration_s=3000)
    samples = simulate(fault, n=500)
    t = offsets(samples)
    offline = np.array([s.offline for s in samples])
    assert np.array_equal(offline, (t >= 6000) & (t < 9000))
    assert all(s.group is not None for s in samples)


def test_backlog_flushes_oldest_first_in_bounded_batches_with_original_timestamps() -> None:
    samples = simulate(n=1200)
    backlog = Backlog(limit=1000)
    for s in samples:
        assert s.group is not None
        backlog.append(s.group)
    assert len(backlog) == 1000 and backlog.dropped == 200
    first, second, rest = backlog.take_batch(500), backlog.take_batch(500), backlog.take_batch(500)
    assert len(first) == len(second) == 500 and rest == []
    assert [g.seq for g in first + second] == list(range(200, 1200))
    assert [g.ts for g in first] == [START + timedelta(seconds=s.elapsed_s) for s in samples[200:700]]


# -- ground truth --------------------------------------------------------------------------------------------
def test_ground_truth_records_every_fault_with_its_times_category_and_metrics() -> None:
    scenario = load_scenario("all_faults")
    truth = plan_fleet(scenario).ground_truth(START)
    assert {f.kind for f in truth.faults} == {k.value for k in FaultKind}
    by_kind = {f.kind: f for f in truth.faults}
    wear = by_kind["bearing_wear"]
    assert (wear.device_key, wear.category) == ("sim-pump-001", "equipment")
    assert wear.onset == START + timedelta(seconds=1800)
    assert wear.failure == START + timedelta(seconds=1800 + 7200)
    assert wear.end == START + timedelta(seconds=1800 + 7200 + 1800)
    assert wear.metrics == ("vibration_rms", "temperature")
    assert by_kind["fouling"].end is None and by_kind["fouling"].failure is not None
    assert by_kind["leak"].failure is None and by_kind["leak"].metrics == ("pressure", "flow")
    assert by_kind["stuck"].category == "sensor" and by_kind["stuck"].metrics == ("supply_temperature",)
    link = by_kind["connectivity_loss"]
    assert link.category == "connectivity" and link.end == link.onset + timedelta(seconds=1800)
    assert "current" in link.metrics
    assert truth.faults == sorted(truth.faults, key=lambda f: (f.onset, f.device_key, f.kind))


def test_fault_parameters_go_into_the_ground_truth() -> None:
    fault = Spike(device_key="d", onset_s=10, duration_s=20, metric="flow", probability=0.5, magnitude=3)
    record = fault.record(START, PROFILES["pump"].metrics)
    assert record.params == {"metric": "flow", "probability": 0.5, "magnitude": 3}
    assert (record.onset, record.end, record.failure) == (
        START + timedelta(seconds=10),
        START + timedelta(seconds=30),
        None,
    )
