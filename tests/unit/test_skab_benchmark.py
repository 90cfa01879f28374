"""The shared SKAB files under SKAB's protocol, with the model chosen leave-one-file-out."""

from pathlib import Path

import pytest

from detection.evaluate import skab

pytestmark = pytest.mark.slow


def test_skab_leave_one_file_out_f1_and_far(shared_data: Path):
    files = skab.load_corpus(shared_data / "skab")
    alarms = skab.candidate_alarms(files, skab.SCORERS, skab.RULES)
    result = skab.leave_one_file_out(files, alarms).metrics
    assert result.far <= 0.15
    assert result.f1 >= 0.80
    assert result.tp + result.fn == sum(int(f.anomaly[skab.TRAIN_ROWS :].sum()) for f in files)
