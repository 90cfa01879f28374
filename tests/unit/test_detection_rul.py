"""RUL arithmetic (RMSE, PHM08), capped targets and trailing feature windows."""

import math

import numpy as np
import pytest

from detection.evaluate.cmapss import split_engines, truncate
from detection.rul import Engine, capped_rul, features, phm08_score, rmse, trailing_mean, trailing_slope


def test_rmse():
    assert rmse(np.array([10.0, 20.0]), np.array([13.0, 16.0])) == pytest.approx(math.sqrt((9 + 16) / 2))


def test_phm08_penalises_late_more_than_early():
    early = phm08_score(np.array([90.0]), np.array([100.0]))
    late = phm08_score(np.array([110.0]), np.array([100.0]))
    assert early == pytest.approx(math.exp(10 / 13) - 1)
    assert late == pytest.approx(math.exp(1.0) - 1)
    assert late > early
    assert phm08_score(np.array([5.0, 50.0]), np.array([5.0, 50.0])) == 0.0


def test_capped_rul_is_piecewise_linear():
    cycles = np.arange(1, 201, dtype=float)
    target = capped_rul(cycles)
    assert target[0] == 125 and target[-1] == 0 and target[-10] == 9


def test_trailing_windows_use_past_rows_only():
    values = np.arange(10, dtype=float)[:, None] ** 2
    assert trailing_mean(values, 3)[:, 0].tolist()[:4] == [0.0, 0.5, 5 / 3, 14 / 3]
    line = 3.0 * np.arange(10, dtype=float)[:, None] + 1
    assert trailing_slope(line, 4)[1:, 0] == pytest.approx([3.0] * 9)
    assert trailing_slope(line, 4)[0, 0] == 0.0


def test_features_at_a_cycle_ignore_later_cycles():
    rng = np.random.default_rng(0)
    engine = Engine(1, np.arange(1, 61, dtype=float), rng.normal(size=(60, 4)))
    prefix = Engine(1, engine.cycles[:40], engine.sensors[:40])
    assert np.allclose(features(engine, [0, 2])[:40], features(prefix, [0, 2]))


def test_truncate_and_split_are_engine_wise():
    engines = [Engine(u, np.arange(1, 201, dtype=float), np.zeros((200, 2))) for u in range(1, 11)]
    kept, held = split_engines(engines, 5)
    assert {e.unit for e in held} == {5, 10} and not {e.unit for e in kept} & {5, 10}
    histories, truth = truncate(held, seed=0)
    for history, rul in zip(histories, truth, strict=True):
        assert 5 <= rul <= 145 and len(history.cycles) == 200 - rul
