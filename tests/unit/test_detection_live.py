"""Pure parts of live detection: signal choice, imputation, sensor-fault checks, health mapping, failure-mode
naming, episode state round trip."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from detection import checks
from detection.features import Frame, SignalModel, choose_signals, contributions
from detection.model import AssetTypeModel, failure_mode, health_score, severity
from detection.state import Episode
from service_core.conditions.domain import EpisodeState

RNG = np.random.default_rng(0)
SIGNALS = ["a", "b", "c", "d"]


def healthy(n: int = 3000, seed: int = 0) -> Frame:
    """a cycles, b and d follow it, c is independent noise; every row running."""
    rng = np.random.default_rng(seed)
    a = 10 + np.sin(np.arange(n) / 40.0 + seed) + rng.normal(0, 0.05, n)
    b = 2 * a + rng.normal(0, 0.1, n)
    c = rng.normal(5, 0.3, n)
    d = 0.5 * a + rng.normal(0, 0.025, n)
    return Frame(np.arange(n) * 30.0, np.column_stack([a, b, c, d]), np.ones(n, dtype=np.bool_))


@pytest.fixture(scope="module")
def model() -> AssetTypeModel:
    fitted = AssetTypeModel("pump", "pca", SIGNALS)
    fitted.fit([healthy(seed=1), healthy(seed=2)])
    return fitted


def flagged(model: AssetTypeModel, frame: Frame, check: str) -> np.ndarray:
    return model.score_window(frame).sensor[check]


def test_signals_leave_out_the_state_and_counters_on_every_device():
    devices = [
        {"running": np.ones(3), "run_hours": np.array([1.0, 2.0, 3.0]), "flow": np.array([1.0, 0.5, 0.7])},
        {"run_hours": np.array([5.0, 6.0, 7.0]), "flow": np.array([1.0, 2.0, 3.0])},  # flow rises here only
    ]
    assert choose_signals(devices) == ["flow"]


def test_a_missing_signal_is_imputed_from_the_ones_it_follows():
    frame = healthy()
    stats = SignalModel(SIGNALS)
    stats.fit([frame])
    z = stats.standardise(frame.values[:200])
    out = stats.impute(z, np.tile(np.array([False, True, False, False]), (200, 1)))
    assert np.abs(out[:, 1] - z[:, 1]).mean() < 0.1


def test_contributions_are_shares():
    shares = contributions(np.array([[3.0, 1.0, 0.0]]))
    assert shares.sum() == pytest.approx(1.0) and shares[0, 0] == pytest.approx(0.9)


def test_a_healthy_series_raises_no_sensor_flag_and_stays_below_the_limit(model):
    scores = model.score_window(healthy(seed=3))
    assert all(not flags.any() for flags in scores.sensor.values())
    assert np.nanmax(scores.ratio) < 1.0


def test_stuck_is_a_signal_that_stops_moving(model):
    frame = healthy(seed=4, n=400)
    frame.values[200:, 2] = frame.values[200, 2]
    flags = flagged(model, frame, "stuck")
    repeats = checks.repeats_needed(model.stats.repeat_rate[True], most=checks.STUCK_ROWS - 1)[2]
    assert repeats < checks.STUCK_ROWS - 1  # a noisy signal: a few exact repeats already say it is stuck
    assert not flags[: 200 + repeats].any()
    assert flags[200 + repeats :, 2].all() and not flags[:, [0, 1, 3]].any()


def test_the_repeats_a_stuck_check_waits_for_grow_with_how_often_healthy_values_repeat():
    rates = np.array([0.0, 2e-3, 0.02, 0.5])
    needed = checks.repeats_needed(rates, most=7)
    assert needed == sorted(needed) and needed[0] >= 2 and needed[-1] == 7
    assert all(max(r, checks.REPEAT_RATE_FLOOR) ** k < 1e-9 for r, k in zip(rates[:3], needed[:3], strict=True))


def test_dropout_is_a_signal_missing_from_most_rows(model):
    frame = healthy(seed=5, n=400)
    frame.values[200:, 0] = np.nan
    flags = flagged(model, frame, "dropout")
    assert not flags[:200].any() and flags[210:, 0].all() and not flags[:, 1:].any()


def test_spikes_are_repeated_single_row_jumps(model):
    frame = healthy(seed=6, n=400)
    frame.values[[250, 270, 290], 2] += 20.0
    flags = flagged(model, frame, "spike")
    assert not flags[:250].any() and flags[271:290, 2].all()  # known one row late: the value came back
    one = healthy(seed=6, n=400)
    one.values[250, 2] += 20.0
    assert not flagged(model, one, "spike").any()  # a single jump is noise
    step = healthy(seed=6, n=400)
    step.values[250:, 2] += 20.0
    assert not flagged(model, step, "spike").any()  # a jump that stays is a step


def test_drift_is_one_signal_slowly_leaving_what_the_others_predict(model):
    frame = healthy(seed=7, n=800)
    frame.values[300:, 1] += np.linspace(0, 3.0, 500)
    flags = flagged(model, frame, "drift")
    assert not flags[:300].any() and flags[700:, 1].mean() > 0.9
    assert flags[:, [0, 2, 3]].sum() <= 2  # stray rows; the detector's drift on-delay asks for persistence


def test_a_step_on_one_signal_is_an_equipment_anomaly_not_a_drift(model):
    frame = healthy(seed=8, n=400)
    frame.values[200:, 2] += 5.0
    assert not model.score_window(frame).sensor["drift"][:215].any()  # equipment is raised by row 203
    scores = model.score_window(frame, drift_check=False)  # ... and stops looking for drift while it is open
    assert not scores.sensor["drift"].any()
    assert np.nanmin(scores.ratio[203:]) > 1.0  # the third row of the step (the first is distrusted: a spike?)


def test_health_maps_the_score_ratio_to_0_100():
    assert [health_score(r) for r in (0.0, 1.0, 2.0, 3.0, float("nan"))] == [100, 50, 20, 10, 100]
    assert [severity(r) for r in (1.0, 2.5, 5.0)] == ["warning", "major", "critical"]


def test_failure_modes_come_from_which_signals_disagree_and_how():
    names = ["current", "current_imbalance", "flow", "pressure", "temperature", "vibration_rms"]

    def mode(**residuals: float) -> str:
        r = np.array([residuals.get(n, 0.0) for n in names])
        return failure_mode(names, contributions(r[None, :])[0], r)

    assert mode(vibration_rms=8, temperature=2) == "vibration_high"
    assert mode(current_imbalance=20) == "electrical_imbalance"
    assert mode(flow=-6, pressure=4) == "flow_restriction"
    assert mode(pressure=-6, flow=-3) == "pressure_loss"
    assert mode(current=12, flow=-11, pressure=-9) == "pressure_loss"  # a leak: the load looks high against both
    assert mode(current=8, flow=-10) == "flow_restriction"
    assert mode(temperature=7) == "overheating"
    assert mode(current=-5) == "anomaly"


def test_episode_state_survives_a_json_round_trip():
    at = datetime(2025, 1, 1, tzinfo=UTC)
    episode = Episode(EpisodeState(active=True, onset_at=at, peak=3.5), "vibration_high")
    assert Episode.from_json(episode.to_json()) == episode
    assert Episode().idle and not episode.idle
