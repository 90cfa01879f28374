"""Sampling intervals: the training history's, a device's from its recent rows, and when the two are too far apart
for a model that counts rows to judge the device (plus the detector's warn-once bookkeeping)."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from detection import sampling
from detection.live import Detector
from detection.readings import Watched
from detection.sampling import SamplingMismatch, median_spacing, mismatch, training_interval


def regular(n: int, every: float, start: float = 1.7e9) -> np.ndarray:
    return start + every * np.arange(n, dtype=np.float64)


def test_the_median_spacing_is_robust_to_gaps_and_jitter():
    rng = np.random.default_rng(3)
    before, after = regular(200, 30.0), regular(200, 30.0, start=1.7e9 + 30.0 * 199 + 7200.0)  # a 2 h outage
    jittered = np.sort(np.r_[before, after] + rng.uniform(-0.5, 0.5, 400))
    assert median_spacing([jittered]) == pytest.approx(30.0, abs=0.5)


def test_the_training_interval_pools_each_devices_own_spacings():
    # two devices far apart in time: the spacing between them is no reading spacing; the 120 s device has more rows
    fast, slow = regular(50, 1.0), regular(300, 120.0, start=2.0e9)
    assert training_interval([fast, slow]) == 120.0
    assert training_interval([regular(1, 30.0), regular(0, 30.0)]) is None  # no two readings of one device
    assert training_interval([regular(10, 29.99991)]) == 30.0  # to the millisecond


def test_a_window_tells_its_interval_from_its_first_spacing_on():
    # the live detector judges a device on the spacings its window holds (waiting for more starved new devices)
    assert median_spacing([regular(2, 1.0)]) == 1.0
    assert median_spacing([regular(1, 1.0)]) is None and median_spacing([np.zeros(0)]) is None


@pytest.mark.parametrize(
    ("live_s", "trained_s", "refused"),
    [(1.0, 120.0, True), (120.0, 1.0, True), (15.0, 30.0, True), (60.0, 30.0, True), (20.0, 30.0, False),
     (45.0, 30.0, False), (30.0, 30.0, False), (31.0, 30.0, False)],
)  # fmt: skip
def test_a_device_too_far_from_the_training_interval_either_way_is_refused(live_s, trained_s, refused):
    found = mismatch(live_s=live_s, trained_s=trained_s, tolerance=1.5, label="pump/equipment/v1")
    assert (found is not None) == refused


def test_a_model_stored_before_the_interval_was_recorded_is_never_refused():
    assert mismatch(live_s=1.0, trained_s=None, tolerance=1.5, label="pump/equipment/v1") is None


def test_the_reason_says_what_to_do_in_plain_words():
    found = mismatch(live_s=1.0, trained_s=120.0, tolerance=2.0, label="compressor/equipment/v3")
    assert found is not None
    assert found.reason == (
        "sampling every 1 s, model compressor/equipment/v3 trained on 120 s readings: retrain with "
        "`assetpulse detect train` on history at this interval"
    )
    assert SamplingMismatch(0.5, 30.0, "x").reason.startswith("sampling every 0.5 s, model x trained on 30 s")


def test_the_detector_warns_once_per_device_and_model_version_and_counts_the_devices(caplog):
    detector = Detector()
    device = Watched(7, 70, "compressor")

    def gauge() -> float | None:
        return detector.metrics.registry.get_sample_value("assetpulse_detect_devices_sampling_mismatch")

    with caplog.at_level(logging.INFO, logger="detection.live"):
        for _ in range(3):  # three polls
            detector._note_sampling(device, SamplingMismatch(1.0, 120.0, "compressor/equipment/v1"))
        detector._note_sampling(device, SamplingMismatch(1.0, 60.0, "compressor/equipment/v2"))  # retrained, still off
        assert gauge() == 1 and detector.mismatched[7].label == "compressor/equipment/v2"
        detector._note_sampling(device, None)  # a model that fits
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "device 7 (asset 70, compressor) not scored: " + SamplingMismatch(1.0, 120.0, "compressor/equipment/v1").reason,
        "device 7 (asset 70, compressor) not scored: " + SamplingMismatch(1.0, 60.0, "compressor/equipment/v2").reason,
    ]
    assert "scoring it" in caplog.records[-1].getMessage()
    assert detector.mismatched == {} and gauge() == 0


def _every(interval_s: float, seconds: float, start: float = 0.0) -> np.ndarray:
    return start + np.arange(0.0, seconds, interval_s)


def test_training_leaves_out_devices_sampling_far_from_the_largest_group_by_devices_not_rows():
    stamps = {1: _every(30, 6 * 3600), 2: _every(30, 6 * 3600), 3: _every(45, 6 * 3600), 4: _every(1, 6 * 3600)}
    split = sampling.split_by_interval(stamps, tolerance=1.5)
    # device 4 has 21,600 rows to the others' 720 or 480, but three devices sample every 30-45 s
    assert split.kept == [1, 2, 3] and split.left_out == {4: 1.0}
    assert split.interval_s == 30.0


def test_training_split_of_two_groups_keeps_the_one_with_more_rows_and_of_one_interval_keeps_all():
    split = sampling.split_by_interval({1: _every(1, 3600), 2: _every(30, 3600)}, tolerance=1.5)
    assert (split.kept, split.left_out, split.interval_s) == ([1], {2: 30.0}, 1.0)
    same = sampling.split_by_interval({1: _every(30, 3600), 2: _every(30, 7200, start=5)}, tolerance=1.5)
    assert (same.kept, same.left_out, same.interval_s) == ([1, 2], {}, 30.0)
    lone = sampling.split_by_interval({1: np.array([0.0]), 2: _every(30, 3600)}, tolerance=1.5)
    assert lone.kept == [1, 2] and lone.left_out == {}  # a single reading has no interval to judge it by


def test_training_split_keeps_devices_within_the_tolerance_of_one_another_not_of_a_middle_one():
    # 20 s and 45 s are each within 1.5x of 30 s but 2.25x apart: they are not one group; of the two pairs, the
    # one with more rows (20 s samples more often over the same hour) is kept
    split = sampling.split_by_interval({1: _every(45, 3600), 2: _every(30, 3600), 3: _every(20, 3600)},
                                       tolerance=1.5)  # fmt: skip
    assert (split.kept, split.left_out) == ([2, 3], {1: 45.0})
    assert sampling.interval_factor(20.0, 45.0) == sampling.interval_factor(45.0, 20.0) == 2.25
