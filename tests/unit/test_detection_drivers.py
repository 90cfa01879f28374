"""The operating-condition (driver) model: responses against what the load and the weather explain."""

from __future__ import annotations

import numpy as np
import pytest

from detection.drivers import WARMUP_ROWS, DriverModel, segments, warm
from detection.features import Frame, ewma
from detection.model import LAG_WARMUP_ROWS, AssetTypeModel, failure_mode

SIGNALS = ["ambient_temperature", "current", "discharge_temperature", "pressure", "temperature"]
STEP_S = 30.0
ROWS = 2000


def machine(seed: int, *, gain: float = 1.0, heat: float = 0.0, start: int = 0, rows: int = ROWS) -> Frame:
    """A motor whose temperature follows its load squared through a thermal lag over the ambient, a discharge
    temperature a little above it, and a pressure that follows the load; `gain`: this unit's heat per load,
    `heat`: extra degrees on both temperatures (lost cooling) from row `start` on."""
    rng = np.random.default_rng(seed)
    k = np.arange(rows)
    ambient = 20 + 3 * np.sin(2 * np.pi * k / 2880 + seed) + rng.normal(0, 0.05, rows)
    load = 0.6 + 0.3 * np.sin(k / 37.0 + seed) + 0.1 * np.sin(k / 150.0 + 2 * seed)
    current = 40 * load + rng.normal(0, 0.3, rows)
    lagged = ewma((load**2)[:, None], 40, start=np.array([load[0] ** 2]))[:, 0]
    temperature = ambient + 30 * gain * lagged + rng.normal(0, 0.2, rows)
    temperature[start:] += heat
    discharge = temperature + 5 + rng.normal(0, 0.2, rows)
    pressure = 3 + 2 * load + rng.normal(0, 0.05, rows)
    values = np.column_stack([ambient, current, discharge, pressure, temperature])
    return Frame(k * STEP_S, values, np.ones(rows, dtype=np.bool_))


@pytest.fixture(scope="module")
def model() -> AssetTypeModel:
    fitted = AssetTypeModel("compressor", "pca", SIGNALS)
    fitted.fit([machine(seed) for seed in (1, 2, 3)])
    return fitted


def test_a_gap_of_several_steps_splits_the_history_and_its_rows_warm_up_again():
    ts = np.r_[np.arange(300) * 30.0, 9000.0 + 600 + np.arange(300) * 30.0]
    assert segments(ts) == [(0, 300), (300, 600)]
    cold = ~warm(ts)
    assert not cold[:300].any() and cold[300 : 300 + WARMUP_ROWS].all() and not cold[300 + WARMUP_ROWS :].any()
    jittered = np.cumsum(np.random.default_rng(0).uniform(25, 35, 500))  # irregular sampling is no gap
    assert segments(jittered) == [(0, 500)]


def test_the_drivers_history_restarts_after_a_gap():
    drivers = DriverModel.for_signals(SIGNALS)
    assert drivers is not None and list(drivers.drivers) == [0, 1] and list(drivers.responses) == [2, 3, 4]
    frame = machine(1, rows=400)
    ts = np.r_[frame.ts[:200], frame.ts[200:] + 3600.0]
    x = drivers.features(ts, frame.values, frame.values, frame.running)
    lagged = x[:, 4:-1]  # after now and now squared: the EWMAs
    assert lagged[200, :2] == pytest.approx(frame.values[200, :2])  # restarted at the first row after the gap
    assert lagged[199, :2] != pytest.approx(frame.values[199, :2])


def test_a_healthy_unit_stays_under_the_limit(model):
    ratio = model.score_window(machine(7)).ratio[LAG_WARMUP_ROWS:]
    assert np.nanmax(ratio) < 1.0


def test_lost_cooling_that_heats_both_temperatures_together_is_overheating(model):
    """A common-mode shift that PCA sees as consistent (both temperatures agree) stands out against the load."""
    healthy, faulty = machine(8), machine(8, heat=2.0, start=1200)
    scores = model.score_window(faulty)
    assert np.nanmax(model.score_window(healthy).ratio[LAG_WARMUP_ROWS:]) < 1.0
    assert np.nanmedian(scores.ratio[1300:]) > 1.0
    row = 1500
    assert failure_mode(model.signals, scores.shares[row], scores.residuals[row]) == "overheating"


def test_a_unit_that_runs_hotter_per_load_is_normal_against_its_own_adapted_model(model):
    frame = machine(9, gain=1.15, rows=4000)
    type_ratio = model.score_window(frame).ratio[LAG_WARMUP_ROWS:]
    baseline = model.unit_baseline(frame)
    assert baseline is not None and baseline.drivers is not None
    own_ratio = model.score_window(frame, unit=baseline).ratio[LAG_WARMUP_ROWS:]
    assert np.nanmedian(own_ratio) < np.nanmedian(type_ratio)
    assert np.nanquantile(own_ratio, 0.99) < 1.0
