"""SKAB model choice: leave-one-file-out never lets a file's labels choose the settings that score it."""

import numpy as np

from detection.evaluate import skab
from detection.multivariate import AlarmRule, PcaResidualScorer


def synthetic_file(name: str, seed: int, fault_column: int = 2) -> skab.SkabFile:
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(2, 4))
    rows = rng.normal(size=(700, 2)) @ mixing + rng.normal(0, 0.1, (700, 4))
    anomaly = np.zeros(700, dtype=np.int64)
    anomaly[550:650] = 1
    rows[550:650, fault_column] += 3.0
    return skab.SkabFile(name, rows, anomaly)


def test_candidate_alarms_cover_every_file_and_rule():
    files = [synthetic_file(f"f/{i}.csv", i) for i in range(3)]
    rules = (AlarmRule(smoothing=5, factor=1.0), AlarmRule(smoothing=5, factor=1e12))
    alarms = skab.candidate_alarms(files, {"pca": PcaResidualScorer}, rules)
    assert set(alarms) == {skab.Candidate("pca", r) for r in rules}
    for per_file in alarms.values():
        assert [len(a) for a in per_file] == [len(f.rows) - skab.TRAIN_ROWS for f in files]
    sensible = skab.pooled(files, alarms[skab.Candidate("pca", rules[0])])
    deaf = skab.pooled(files, alarms[skab.Candidate("pca", rules[1])])
    assert sensible.f1 > 0.8
    assert deaf.tp == 0


def test_leave_one_file_out_picks_each_files_candidate_from_the_others_only():
    files = [synthetic_file(f"f/{i}.csv", i) for i in range(4)]
    good, deaf = skab.Candidate("a", AlarmRule(factor=1.0)), skab.Candidate("b", AlarmRule(factor=2.0))
    labels = [f.anomaly[skab.TRAIN_ROWS :].astype(bool) for f in files]
    # Candidate "a" is perfect on files 0-2 and silent on file 3; "b" is the reverse.
    alarms = {
        good: [labels[0], labels[1], labels[2], np.zeros_like(labels[3])],
        deaf: [np.zeros_like(labels[0]), np.zeros_like(labels[1]), np.zeros_like(labels[2]), labels[3]],
    }
    selection = skab.leave_one_file_out(files, alarms)
    assert selection.chosen == [good, good, good, good]
    assert selection.metrics.fn == int(labels[3].sum())
    assert selection.metrics.fp == 0


def test_far_limit_rules_out_a_candidate_that_alarms_everywhere():
    files = [synthetic_file(f"f/{i}.csv", i) for i in range(2)]
    labels = [f.anomaly[skab.TRAIN_ROWS :].astype(bool) for f in files]
    noisy, quiet = skab.Candidate("noisy", AlarmRule(factor=1.0)), skab.Candidate("quiet", AlarmRule(factor=3.0))
    alarms = {
        noisy: [np.ones_like(x) for x in labels],
        quiet: [x & (np.arange(len(x)) % 2 == 0) for x in labels],
    }
    assert skab.pooled(files, alarms[noisy]).far == 1.0
    assert skab.best_candidate(files, alarms, [0, 1]) == quiet
