"""Scenario files, overrides, data-set parsing, ground-truth files and the CLI's bad-input paths (no I/O
beyond temporary files)."""

from __future__ import annotations

import csv
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulators.cli import app
from simulators.datasets import DatasetError, load_dataset, sanitise_metric_name
from simulators.fleet import resolve_start
from simulators.plan import plan_fleet
from simulators.replay import replay_start
from simulators.scenarios import (
    ScenarioError,
    load_scenario,
    packaged_scenarios,
    parse_scenario,
    spread,
    with_overrides,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FLEET = "fleet: {assets: {pump: 2, generator: 1}}\n"


def fault_yaml(**fields: object) -> str:
    return FLEET + "faults:\n  - " + json.dumps(fields) + "\n"


# -- scenarios -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["default", "all_faults"])
def test_packaged_scenarios_load(name: str) -> None:
    scenario = load_scenario(name)
    assert scenario.name == name and scenario.device_count >= 4 and scenario.faults
    assert name in packaged_scenarios()


def test_a_minimal_scenario_gets_sensible_defaults() -> None:
    scenario = parse_scenario(FLEET)
    assert (scenario.tenant, scenario.sample_interval_s, scenario.speed) == ("demo", 10, 1)
    assert scenario.duration_s is None
    keys = [d.key for d in plan_fleet(scenario).devices]
    assert keys == ["sim-pump-001", "sim-pump-002", "sim-generator-001"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("seed: [1\n", "not valid YAML at line 2"),
        ("- 1\n- 2\n", "must be a YAML mapping"),
        ("seed: 1\n", "fleet: Field required"),
        ("fleet: {assets: {pump: 0}}\n", "the fleet has no devices"),
        ("fleet: {assets: {tractor: 1}}\n", "fleet.assets.tractor"),
        (FLEET + "sample_interval_s: 0\n", "sample_interval_s: Input should be greater than 0"),
        (FLEET + "colour: red\n", "colour: Extra inputs are not permitted"),
        (FLEET + "tenant: a/b\n", "tenant: String should match pattern"),
        (fault_yaml(device="sim-pump-001", kind="melting", onset_s=0), "faults[0].kind: Input should be"),
        (fault_yaml(device="sim-pump-001", kind="bearing_wear", onset_s=0), "give time_to_failure_s"),
        (
            fault_yaml(device="sim-pump-001", kind="fouling", onset_s=0, time_to_failure_s=9, duration_s=5),
            "not duration_s",
        ),
        (fault_yaml(device="sim-pump-001", kind="leak", onset_s=0, time_to_failure_s=5), "use duration_s"),
        (fault_yaml(device="sim-pump-001", kind="leak", onset_s=-1, duration_s=5), "faults[0].onset_s"),
        (
            fault_yaml(device="sim-pump-001", kind="leak", onset_s=0, duration_s=5, params={"colour": 1}),
            "unknown parameter 'colour' for leak; allowed: severity",
        ),
        (
            fault_yaml(device="sim-pump-001", kind="drift", onset_s=0, duration_s=5, params={"rate_per_hour": "x"}),
            "parameter 'rate_per_hour' must be a finite number",
        ),
        (
            fault_yaml(device="sim-pump-001", kind="stuck", onset_s=0, duration_s=5, params={"metric": "voltage"}),
            "sim-pump-001 (pump) has no metric 'voltage'",
        ),
        (fault_yaml(device="sim-chiller-*", kind="leak", onset_s=0, duration_s=5), "matches no device"),
    ],
)
def test_bad_scenarios_are_refused_with_a_message_naming_the_field(text: str, message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, source="bad.yaml")
    assert str(caught.value).startswith("bad.yaml: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_scenario_file_names_the_packaged_ones(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"no such scenario file .*all_faults, all_faults_tuning, default"):
        load_scenario(tmp_path / "nope.yaml")


def test_a_glob_selects_one_fault_per_matching_device() -> None:
    scenario = parse_scenario(fault_yaml(device="sim-pump-*", kind="leak", onset_s=60, duration_s=60))
    truth = plan_fleet(scenario).ground_truth(NOW)
    assert [f.device_key for f in truth.faults] == ["sim-pump-001", "sim-pump-002"]


def test_spread_keeps_proportions_and_every_type() -> None:
    assert spread(100, {"pump": 3, "compressor": 2, "chiller": 1, "generator": 1}) == {
        "pump": 43,
        "compressor": 29,
        "chiller": 14,
        "generator": 14,
    }
    assert spread(2, {"pump": 3, "chiller": 1}) == {"pump": 1, "chiller": 1}
    assert spread(1, {"pump": 3, "chiller": 1}) == {"pump": 1, "chiller": 0}
    assert spread(4, {"pump": 30, "compressor": 1, "chiller": 1, "generator": 1}) == {
        "pump": 1,
        "compressor": 1,
        "chiller": 1,
        "generator": 1,
    }
    assert sum(spread(7, {"pump": 1}).values()) == 7


def test_overrides_resize_the_fleet_and_drop_faults_on_vanished_devices(
    caplog: pytest.LogCaptureFixture,
) -> None:
    scenario = load_scenario("default")
    bigger = with_overrides(scenario, devices=40, seed=5, speed=600, duration_s=3600)
    assert (bigger.device_count, bigger.seed, bigger.speed, bigger.duration_s) == (40, 5, 600, 3600)
    assert len(plan_fleet(bigger).ground_truth(NOW).faults) == len(scenario.faults)
    smaller = with_overrides(scenario, devices=1)
    with caplog.at_level(logging.WARNING):
        plan = plan_fleet(smaller)
    assert [d.key for d in plan.devices] == ["sim-pump-001"]
    assert [f.kind for f in plan.ground_truth(NOW).faults] == ["bearing_wear"]
    assert "selects no device" in caplog.text
    with pytest.raises(ScenarioError, match="--speed must be positive"):
        with_overrides(scenario, speed=0)


# -- the simulated clock -------------------------------------------------------------------------------------
def test_bounded_runs_are_back_dated_so_they_end_now_and_unbounded_ones_start_now() -> None:
    scenario = load_scenario("default")  # 86,400 s at 60x
    assert resolve_start(scenario, samples=100, now=NOW) == NOW - timedelta(seconds=100 * 10)
    assert resolve_start(scenario, samples=None, now=NOW) == NOW - timedelta(seconds=86400 - 86400 / 60)
    unbounded = scenario.model_copy(update={"duration_s": None})
    assert resolve_start(unbounded, samples=None, now=NOW) == NOW
    fixed = scenario.model_copy(update={"start": NOW - timedelta(days=3)})
    assert resolve_start(fixed, samples=10, now=NOW) == NOW - timedelta(days=3)


# -- data sets -----------------------------------------------------------------------------------------------
def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


SKAB = (
    "datetime;Accelerometer1RMS;Volume Flow RateRMS;1st-stage;anomaly;changepoint\r\n"
    "2020-03-09 10:14:33;0.02;32.0;1;0.0;0.0\r\n"
    "2020-03-09 10:14:34;0.03;32.5;;0.0;0.0\r\n"
    "2020-03-09 10:14:35;0.05;12.0;1;1.0;1.0\r\n"
    "2020-03-09 10:14:36;0.06;11.0;1;1.0;0.0\r\n"
    "2020-03-09 10:14:37;0.02;31.0;1;0.0;0.0\r\n"
)


def test_skab_label_columns_are_ground_truth_never_metrics(tmp_path: Path) -> None:
    dataset = load_dataset(write(tmp_path / "3.csv", SKAB))
    assert dataset.format == "skab"
    assert dataset.metrics == ["Accelerometer1RMS", "Volume_Flow_RateRMS", "m_1st_stage"]
    assert dataset.rows[1] == {"Accelerometer1RMS": 0.03, "Volume_Flow_RateRMS": 32.5}
    start = NOW
    records = dataset.truth_records("skab-1", start)
    assert [(r.kind, r.onset, r.end) for r in records] == [
        ("anomaly", NOW + timedelta(seconds=2), NOW + timedelta(seconds=4)),
        ("changepoint", NOW + timedelta(seconds=2), NOW + timedelta(seconds=2)),
    ]
    assert all(r.category == "labelled" for r in records)
    assert dataset.rebased(start) == [NOW + timedelta(seconds=s) for s in range(5)]


def test_nab_files_carry_their_labelled_windows(tmp_path: Path) -> None:
    (tmp_path / "data" / "art").mkdir(parents=True)
    (tmp_path / "labels").mkdir()
    nab = "timestamp,value\n2014-04-01 00:00:00,1.5\n2014-04-01 00:05:00,2\n"
    path = write(tmp_path / "data" / "art" / "x.csv", nab)
    windows = {"art/x.csv": [["2014-04-01 00:05:00.000000", "2014-04-01 00:10:00.000000"]]}
    (tmp_path / "labels" / "combined_windows.json").write_text(json.dumps(windows))
    dataset = load_dataset(path)
    assert (dataset.format, dataset.metrics, dataset.span) == ("nab", ["value"], timedelta(minutes=5))
    [record] = dataset.truth_records("nab-1", NOW)
    assert record.kind == "anomaly_window"
    assert (record.onset, record.end) == (NOW + timedelta(minutes=5), NOW + timedelta(minutes=10))


def test_unknown_or_broken_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such file"):
        load_dataset(tmp_path / "missing.csv")
    with pytest.raises(DatasetError, match="cannot tell the format"):
        load_dataset(write(tmp_path / "a.csv", "when,what\n1,2\n"))
    with pytest.raises(DatasetError, match="not a NAB file"):
        load_dataset(write(tmp_path / "b.csv", "timestamp,value\nyesterday,1\n"))


@pytest.mark.parametrize(
    ("column", "name"),
    [
        ("Current", "Current"),
        ("Volume Flow RateRMS", "Volume_Flow_RateRMS"),
        ("1st", "m_1st"),
        ("a/b (c)", "a_b_c"),
    ],
)
def test_column_names_become_valid_metric_names(column: str, name: str) -> None:
    assert sanitise_metric_name(column) == name


def test_replay_is_back_dated_by_the_span_it_saves(tmp_path: Path) -> None:
    dataset = load_dataset(write(tmp_path / "3.csv", SKAB))
    assert replay_start(dataset, speed=4, now=NOW) == NOW - timedelta(seconds=3)


# -- ground-truth files --------------------------------------------------------------------------------------
def test_ground_truth_is_written_as_json_or_csv(tmp_path: Path) -> None:
    truth = plan_fleet(load_scenario("all_faults")).ground_truth(NOW)
    truth.write(tmp_path / "truth.json")
    truth.write(tmp_path / "truth.csv")
    document = json.loads((tmp_path / "truth.json").read_text())
    assert document["start"] == "2026-03-01T12:00:00Z" and len(document["devices"]) == 8
    assert len(document["faults"]) == len(truth.faults)
    rows = list(csv.DictReader((tmp_path / "truth.csv").open()))
    wear = next(r for r in rows if r["kind"] == "bearing_wear")
    assert wear["failure"] == (NOW + timedelta(seconds=9000)).isoformat() and wear["device_type"] == "pump"
    cut = truth.observed_until(NOW + timedelta(seconds=3000))
    assert all(f.onset <= NOW + timedelta(seconds=3000) for f in cut.faults)
    assert len(cut.faults) < len(truth.faults)


# -- command line: bad input is one line on stderr and exit code 2 -------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scenario", "does-not-exist"], "no such scenario file"),
        (["run", "--scenario", "BAD"], "not valid YAML"),
        (["replay", "MISSING"], "no such file"),
        (["replay", "SKAB", "--speed", "0"], "speed must be positive"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    bad = write(tmp_path / "bad.yaml", "faults: [\n")
    skab = write(tmp_path / "s.csv", SKAB)
    args = [{"BAD": str(bad), "MISSING": str(tmp_path / "x.csv"), "SKAB": str(skab)}.get(a, a) for a in args]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
