"""SKAB point-wise metrics and the multivariate scorers' alarm rule."""

import numpy as np
import pytest

from detection.evaluate.skab import metrics
from detection.multivariate import (
    AlarmRule,
    DriftTolerantScorer,
    IsolationForestScorer,
    MsetScorer,
    PcaResidualScorer,
    rough_columns,
    trailing_mean,
)


def test_f1_far_mar_fractions():
    labels = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    alarms = np.array([1, 1, 1, 0, 1, 0, 0, 0, 0, 0], dtype=bool)
    m = metrics(labels, alarms)
    assert (m.tp, m.fp, m.fn, m.tn) == (3, 1, 1, 5)
    assert m.f1 == pytest.approx(6 / 8)
    assert m.far == pytest.approx(1 / 6)
    assert m.mar == pytest.approx(1 / 4)


def test_flag_everything_has_far_one_and_mar_zero():
    m = metrics(np.array([1, 0, 1, 0]), np.ones(4, dtype=bool))
    assert (m.far, m.mar) == (1.0, 0.0)
    assert m.f1 == pytest.approx(2 / 3)


def test_trailing_mean_is_causal():
    assert trailing_mean(np.array([2.0, 4.0, 6.0, 8.0]), 2).tolist() == [2.0, 3.0, 5.0, 7.0]


@pytest.mark.parametrize("make", [PcaResidualScorer, MsetScorer, IsolationForestScorer])
def test_scorers_separate_a_shift_from_healthy_rows(make):
    rng = np.random.default_rng(0)
    mixing = rng.normal(size=(3, 5))
    healthy = rng.normal(size=(400, 3)) @ mixing + rng.normal(0, 0.1, (400, 5))
    normal = rng.normal(size=(200, 3)) @ mixing + rng.normal(0, 0.1, (200, 5))
    faulty = normal + np.array([0, 0, 6.0, 0, 0])
    scorer = make()
    scorer.fit(healthy)
    rule = AlarmRule(smoothing=10, quantile=1.0, factor=1.0)
    limit = rule.limit(scorer.score(healthy))
    assert rule.alarms(scorer.score(faulty), limit).mean() > 0.8
    assert rule.alarms(scorer.score(normal), limit).mean() < 0.1


def test_drifting_columns_are_left_out():
    rng = np.random.default_rng(0)
    noise = rng.normal(size=(400, 2))
    drift = np.cumsum(rng.normal(0, 0.05, 400))[:, None] + np.linspace(0, 5, 400)[:, None]
    healthy = np.hstack([noise, drift])
    assert rough_columns(healthy, 0.7).tolist() == [0, 1]
    scorer = DriftTolerantScorer(PcaResidualScorer(), 0.7)
    scorer.fit(healthy)
    assert scorer.columns.tolist() == [0, 1]
