"""NAB scoring rules on hand-made windows (numbers from NAB's scaled sigmoid)."""

import math

import numpy as np
import pytest

from detection.evaluate import nab_scoring as ns

STANDARD, LOW_FP, LOW_FN = ns.PROFILES


def sigmoid_score(position: float) -> float:
    return 2 / (1 + math.exp(5 * position)) - 1


def corpus(scores: list[float], bounds: list[tuple[int, int]]) -> list[ns.FileRows]:
    return [ns.file_rows(np.array(scores, dtype=float), bounds)]


def test_scaled_sigmoid_matches_nab_reference_points():
    values = ns.scaled_sigmoid(np.array([-1.0, -0.5, 0.0, 1.0, 3.5]))
    assert values == pytest.approx([0.98661, 0.84828, 0.0, -0.98661, -1.0], abs=1e-5)


def test_probationary_length_is_15_percent_capped_at_750():
    assert ns.probationary_length(1000) == 150
    assert ns.probationary_length(20_000) == 750


def test_earliest_detection_in_window_earns_full_tp_weight():
    scores = [0.0] * 100
    scores[40] = 1.0  # window 40..49: first row of the window
    assert ns.score_at_threshold(corpus(scores, [(40, 49)]), STANDARD, 0.5) == pytest.approx(1.0)


def test_only_the_first_detection_of_a_window_counts():
    scores = [0.0] * 100
    scores[45], scores[48] = 1.0, 1.0  # both inside window 40..49 (width 10)
    expected = sigmoid_score(-(49 - 45 + 1) / 10) / sigmoid_score(-1.0)
    assert ns.score_at_threshold(corpus(scores, [(40, 49)]), STANDARD, 0.5) == pytest.approx(expected)


def test_missed_window_costs_fn_weight_per_profile():
    scores = [0.0] * 100
    files = corpus(scores, [(40, 49), (70, 79)])
    assert ns.score_at_threshold(files, STANDARD, 0.5) == pytest.approx(-2.0)
    assert ns.score_at_threshold(files, LOW_FN, 0.5) == pytest.approx(-4.0)


def test_false_positives_before_and_after_windows():
    scores = [0.0] * 100
    scores[20] = 1.0  # after probation (15 rows), before any window: -fp weight
    scores[54] = 1.0  # 5 rows after the right edge of window 40..49 (width 10)
    files = corpus(scores, [(40, 49)])
    after = sigmoid_score(5 / 9)
    assert ns.score_at_threshold(files, STANDARD, 0.5) == pytest.approx(-1.0 + (-0.11) + 0.11 * after)
    assert ns.score_at_threshold(files, LOW_FP, 0.5) == pytest.approx(-1.0 + (-0.22) + 0.22 * after)


def test_probationary_rows_are_not_scored():
    scores = [0.0] * 100
    scores[3] = 1.0
    assert ns.score_at_threshold(corpus(scores, [(40, 49)]), STANDARD, 0.5) == pytest.approx(-1.0)


def test_sweep_matches_direct_scoring_at_every_threshold():
    rng = np.random.default_rng(1)
    files = [ns.file_rows(np.round(rng.random(300), 2), [(100, 129), (200, 229)]) for _ in range(3)]
    for profile in ns.PROFILES:
        thresholds, totals = ns.sweep_thresholds(files, profile)
        for threshold, total in zip(thresholds[::7], totals[::7], strict=True):
            assert ns.score_at_threshold(files, profile, threshold) == pytest.approx(total)


def test_normalised_score_is_100_for_perfect_and_0_for_null():
    scores = [0.0] * 100
    scores[40] = 1.0
    perfect = ns.score_corpus(corpus(scores, [(40, 49)]), STANDARD)
    assert perfect.normalized == pytest.approx(100.0)
    null = ns.score_corpus(corpus([0.5] * 100, [(40, 49)]), STANDARD)
    assert null.normalized == pytest.approx(0.0)
    assert null.null == pytest.approx(-1.0)


def test_window_bounds_and_labels_from_timestamps():
    stamps = np.arange("2020-01-01T00:00", "2020-01-01T01:00", np.timedelta64(5, "m"), dtype="datetime64[us]")
    bounds = ns.window_bounds(stamps, [("2020-01-01 00:10:00.000000", "2020-01-01 00:20:00.000000")])
    assert bounds == [(2, 4)]
    assert ns.window_labels(len(stamps), bounds).tolist() == [0, 0, 1, 1, 1] + [0] * 7
