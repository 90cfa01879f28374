"""The whole shared NAB corpus through the causal detector: the headline score and the split-half check."""

from pathlib import Path

import pytest

from detection.evaluate import nab
from detection.streaming import StreamingConfig

pytestmark = pytest.mark.slow


def test_nab_standard_score_and_held_out_half(shared_data: Path):
    corpus = nab.load_corpus(shared_data / "nab")
    scores = nab.detect_corpus(corpus, nab.streaming_detector(StreamingConfig()))
    report = nab.score_results(corpus, scores)
    tuning, held = nab.split_half(corpus, scores, 0), nab.split_half(corpus, scores, 1)
    assert report["standard"] >= 65.0
    assert report["reward_low_FN"] >= report["standard"] >= report["reward_low_FP"]
    assert tuning["files"] + held["files"] == report["files"]
    assert held["standard"] >= 60.0
