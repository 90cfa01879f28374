"""Per-unit baselines, severity-dependent on-delay, the vectorised checks and the bench's in-memory healthy run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from detection import checks
from detection.bench_healthy import TallySink, poisson_upper
from detection.episodes import equipment_rules, rule_for
from detection.features import Frame, ewma
from detection.live import DetectorConfig
from detection.model import LAG_WARMUP_ROWS, UNIT_LEARNING_S, AssetTypeModel, settled, shifted
from service_core.conditions.domain import Action, EpisodeState, observe
from service_core.conditions.schemas import ConditionReport

SIGNALS = ["a", "b", "c"]
STEP_S = 300.0  # 5-minute rows: 144 rows span the 12 h learning period


def unit(n: int = 400, seed: int = 0, offset: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> Frame:
    """b follows a; c is independent; `offset` is this unit's own level (its nameplate spread)."""
    rng = np.random.default_rng(seed)
    a = 10 + np.sin(np.arange(n) / 20.0 + seed) + rng.normal(0, 0.05, n)
    values = np.column_stack([a, 2 * a + rng.normal(0, 0.1, n), rng.normal(5, 0.3, n)]) + np.array(offset)
    return Frame(np.arange(n) * STEP_S, values, np.ones(n, dtype=np.bool_))


@pytest.fixture(scope="module")
def model() -> AssetTypeModel:
    fitted = AssetTypeModel("pump", "pca", SIGNALS)
    fitted.fit([unit(seed=1, offset=(0.5, 1.0, 0.0)), unit(seed=2, offset=(-0.5, -1.0, 0.0))])
    return fitted


def test_a_unit_offset_is_its_own_mean_over_the_learning_period_less_the_types(model):
    frame = unit(seed=3, offset=(0.0, 3.0, 1.0))
    baseline = model.unit_baseline(frame)
    assert baseline is not None
    learning = frame.values[frame.ts < UNIT_LEARNING_S]
    assert baseline.offset == pytest.approx(learning.mean(axis=0) - model.stats.mean)
    assert (baseline.drift_limits >= model.drift_limits).all()  # never tighter than the type's
    assert model.unit_baseline(unit(n=100, seed=3)) is None  # 100 rows x 5 min do not span 12 h


def test_a_unit_that_wanders_more_than_its_type_gets_wider_drift_limits(model):
    frame = unit(seed=6)
    frame.values[:, 2] += 1.5 * np.sin(np.arange(len(frame)) / 15.0)  # c wanders slowly, more than in training
    baseline = model.unit_baseline(frame)
    assert baseline is not None and baseline.drift_limits[2] > model.drift_limits[2]
    assert model.score_window(frame).sensor["drift"][:, 2].any()
    assert not model.score_window(frame, unit=baseline).sensor["drift"][:, 2].any()


def test_a_new_unit_of_a_known_type_is_normal_against_its_own_baseline(model):
    frame = unit(seed=4, offset=(0.0, 3.0, 1.5))  # b and c sit far from the type's levels
    assert np.nanmedian(model.score_window(frame).ratio) > 1.0
    own = model.score_window(frame, unit=model.unit_baseline(frame)).ratio
    assert np.nanmax(own[LAG_WARMUP_ROWS:]) < 1.0  # (once the slow companions are warm: live has context rows)


def test_the_offset_only_moves_running_rows():
    frame = Frame(np.arange(3.0), np.ones((3, 2)), np.array([True, False, True]))
    assert shifted(frame, np.array([1.0, 2.0])).values.tolist() == [[0.0, -1.0], [1.0, 1.0], [0.0, -1.0]]
    assert shifted(frame, None) is frame


def test_a_score_far_above_the_limit_raises_sooner_than_a_marginal_one():
    rules = equipment_rules(DetectorConfig(on_delays=((1.0, 600.0), (2.0, 60.0), (4.0, 0.0))))
    t0 = datetime(2025, 1, 1, tzinfo=UTC)

    def raised_after(scores: list[float]) -> float | None:
        state = EpisodeState()
        for i, score in enumerate(scores):
            state, action = observe(state, at=t0 + timedelta(seconds=30 * i), score=score,
                                    rule=rule_for(rules, score))  # fmt: skip
            if action == Action.RAISE:
                return 30.0 * i
        return None

    assert raised_after([5.0]) == 0.0
    assert raised_after([2.5] * 10) == 60.0
    assert raised_after([1.2] * 30) == 600.0
    assert raised_after([1.2] * 10 + [5.0]) == 300.0  # severity jumps: raised at once, onset kept
    assert raised_after([1.2] * 15 + [0.5] + [1.2] * 15) is None  # a dip restarts the marginal clock
    assert rule_for(rules, 0.5).on_delay == timedelta(seconds=600)


def test_the_vectorised_checks_agree_with_their_definitions(model):
    frame = unit(n=60, seed=5)
    frame.values[30:, 0] = frame.values[30, 0]
    frame.values[[40, 50], 2] += 30.0
    stuck = checks.stuck(frame, model.stats)
    repeats = checks.repeats_needed(model.stats.repeat_rate[True], most=checks.STUCK_ROWS - 1)[0]
    assert not stuck[: 30 + repeats, 0].any() and stuck[30 + repeats :, 0].all()
    spikes = checks.spikes(frame, model.stats)
    assert np.nonzero(spikes[:, 2])[0].tolist() == [41, 51]
    running = Frame(np.arange(6.0), np.zeros((6, 1)), np.array([True, True, False, False, False, True]))
    assert checks.same_state_run(running, 2).tolist() == [False, True, False, True, True, False]


def test_ewma_without_gaps_matches_the_running_update():
    values = np.random.default_rng(1).normal(size=(50, 2))
    start = np.array([1.0, -1.0])
    level, expected = start.copy(), []
    for row in values:
        level = 0.9 * level + 0.1 * row
        expected.append(level)
    assert ewma(values, 19, start) == pytest.approx(np.array(expected))


def test_the_tally_keeps_one_open_condition_per_asset_and_mode():
    sink = TallySink()
    at = datetime(2025, 1, 1, tzinfo=UTC)
    report = ConditionReport(asset_id=1, device_id=1, failure_mode="overheating", category="equipment",
                             severity="warning", onset_at=at, at=at, score=1.5, evidence={})  # fmt: skip
    assert sink.report(report) == 1 and sink.report(report) is None
    assert sink.clear(asset_id=1, failure_mode="overheating", at=at) and not sink.clear(
        asset_id=1, failure_mode="overheating", at=at
    )
    assert sink.report(report) == 2 and [m for _, m, _, _ in sink.raised] == ["overheating", "overheating"]
    assert [poisson_upper(n) for n in (0, 1, 9)] == [3, 5, 17]


def test_the_reading_right_after_a_start_is_not_scored(model):
    running = np.array([False, True, True, True, False, True, True])
    frame = Frame(np.arange(7.0) * 30, np.tile(unit(n=7).values, 1), running)
    assert settled(frame).tolist() == [False, False, True, True, False, False, True]
    ratio = model.score_window(frame).ratio
    assert np.isnan(ratio[[0, 1, 4, 5]]).all() and np.isfinite(ratio[[2, 3, 6]]).all()


def test_a_dropout_is_flagged_after_a_couple_of_misses_when_healthy_data_never_misses(model):
    assert checks.run_of_misses(np.array([1.0, 0.99, 0.5])) == [2, 3, checks.DROPOUT_ROWS]
    frame = unit(n=40, seed=7)
    frame.values[20:, 1] = np.nan
    flags = checks.dropout(frame, model.stats)
    assert not flags[:21].any() and flags[21:, 1].all()
