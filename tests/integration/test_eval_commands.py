"""`assetpulse eval nab|skab|rul` on a small subset of the shared benchmark data."""

import json
import shutil
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from detection.cli import eval_app

runner = CliRunner()
NAB_FILES = ("artificialWithAnomaly/art_daily_jumpsup.csv", "realTraffic/speed_6005.csv")


def run_json(*args: str) -> dict:
    result = runner.invoke(eval_app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_eval_nab_on_two_files(shared_data: Path, tmp_path: Path):
    source = shared_data / "nab"
    windows = json.loads((source / "labels" / "combined_windows.json").read_text())
    data = tmp_path / "nab"
    (data / "labels").mkdir(parents=True)
    (data / "labels" / "combined_windows.json").write_text(json.dumps({k: windows[k] for k in NAB_FILES}))
    for name in NAB_FILES:
        (data / "data" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source / "data" / name, data / "data" / name)
    out = tmp_path / "results"
    report = run_json("nab", "--data", str(data), "--out", str(out))
    for key in ("standard", "reward_low_FP", "reward_low_FN"):
        assert -100 <= report[key] <= 100
    assert report["files"] == 2
    assert report["holdout"]["files"] == 1
    assert report["tuning_half"]["files"] == 1
    results = (out / NAB_FILES[0]).read_text().splitlines()
    assert results[0] == "timestamp,value,anomaly_score,label"
    scores = [float(line.split(",")[2]) for line in results[1:]]
    assert all(0 <= s <= 1 for s in scores)
    assert {line.split(",")[3] for line in results[1:]} == {"0", "1"}


def test_eval_skab_on_a_few_files(shared_data: Path, tmp_path: Path):
    folder = tmp_path / "skab" / "valve1"
    folder.mkdir(parents=True)
    for name in ("0.csv", "1.csv", "2.csv", "3.csv", "4.csv", "5.csv"):
        shutil.copy(shared_data / "skab" / "valve1" / name, folder / name)
    report = run_json("skab", "--data", str(tmp_path / "skab"))
    assert report["files"] == [f"valve1/{i}.csv" for i in range(6)]
    for key in ("f1", "far", "mar"):
        assert 0 <= report[key] <= 1
    assert report["f1"] > 0.5
    assert sum(report["chosen_per_file"].values()) == 6
    assert report["final_model"]["scorer"] in {"mset", "pca", "isolation_forest"}


def test_eval_skab_refuses_a_folder_without_labelled_files(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    result = runner.invoke(eval_app, ["skab", "--data", str(tmp_path), "--json"])
    assert result.exit_code != 0
    assert "at least two labelled SKAB files" in result.output


def test_eval_rul_on_held_out_training_engines(shared_data: Path, tmp_path: Path):
    table = np.loadtxt(shared_data / "cmapss" / "train_FD001.txt")
    train = table[table[:, 0] <= 30]
    test_units = table[(table[:, 0] > 30) & (table[:, 0] <= 36)]
    histories, truth = [], []
    for unit in np.unique(test_units[:, 0]):
        rows = test_units[test_units[:, 0] == unit]
        cut = len(rows) - 40
        histories.append(rows[:cut])
        truth.append(40)
    np.savetxt(tmp_path / "train.txt", train, fmt="%g")
    np.savetxt(tmp_path / "test.txt", np.vstack(histories), fmt="%g")
    np.savetxt(tmp_path / "truth.txt", truth, fmt="%d")
    report = run_json(
        "rul",
        "--train",
        str(tmp_path / "train.txt"),
        "--test",
        str(tmp_path / "test.txt"),
        "--truth",
        str(tmp_path / "truth.txt"),
    )
    assert 0 <= report["rmse"] < 60
    assert report["phm08_score"] >= 0
    assert report["engines"] == 6
    assert 0 <= report["band"]["coverage"] <= 1
