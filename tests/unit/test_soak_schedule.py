"""The soak's outage schedule, its fleet split into shards and the device faults spread over it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from simulators.plan import plan_fleet
from simulators.scenarios import Scenario
from simulators.soak import schedule
from simulators.soak.options import SoakOptions


def test_outages_at_a_quarter_half_and_three_quarters():
    assert [(o.name, o.at_s) for o in schedule.outage_schedule(300)] == [
        ("kill_ingestor", 75.0),
        ("restart_postgres", 150.0),
        ("restart_broker", 225.0),
    ]
    with pytest.raises(ValueError, match="positive"):
        schedule.outage_schedule(0)


@pytest.mark.parametrize(("devices", "shards", "sizes"), [(2000, 2, [1000, 1000]), (5, 2, [3, 2]), (1, 4, [1])])
def test_shard_sizes_cover_the_fleet(devices: int, shards: int, sizes: list[int]):
    assert schedule.shard_sizes(devices, shards) == sizes


def test_fault_count_is_a_fraction_with_one_of_each_kind_at_most_half_the_fleet():
    assert schedule.fault_count(2000, 0.01, 9) == 20
    assert schedule.fault_count(100, 0.01, 9) == 9
    assert schedule.fault_count(6, 0.01, 9) == 3
    assert schedule.fault_count(1, 0.01, 9) == 0


def test_shard_scenarios_are_valid_paced_and_hold_every_fault_inside_the_run():
    duration = 300.0
    documents = schedule.shard_scenarios(devices=2000, shards=2, duration_s=duration, seed=7, tenant="soak",
                                         fault_fraction=0.01)  # fmt: skip
    scenarios = [Scenario.model_validate(d) for d in documents]
    assert [s.device_count for s in scenarios] == [1000, 1000]
    assert all(s.speed == 1.0 and s.sample_interval_s == 1.0 and s.duration_s == duration for s in scenarios)
    keys = [d.key for s in scenarios for d in plan_fleet(s).devices]
    assert len(keys) == len(set(keys)) == 2000  # shards never share a device
    faults = [f for s in scenarios for f in s.faults]
    assert len(faults) == 20
    assert len({f.device for f in faults}) == 20  # one fault per device
    kinds = {f.kind.value for f in faults}
    assert {"overheating", "bearing_wear", "stuck", "connectivity_loss"} <= kinds
    assert "drift" not in kinds  # a few degrees an hour is not a fault a five-minute run can show
    for fault in faults:
        end = fault.onset_s + (fault.duration_s or fault.time_to_failure_s or 0)
        assert fault.onset_s > 0 and end < duration
    loss = next(f for f in faults if f.kind.value == "connectivity_loss")
    assert loss.onset_s + (loss.duration_s or 0) <= 0.55 * duration  # time left to flush the backlog
    # every fault is kept by the plan (its device has the metric it distorts)
    assert sum(len(plan_fleet(s).ground_truth(datetime.now(UTC)).faults) for s in scenarios) == 20


def test_shard_scenarios_are_reproducible_from_the_seed():
    def plan(seed: int) -> list[object]:
        docs = schedule.shard_scenarios(devices=200, shards=2, duration_s=60, seed=seed, tenant="t",
                                        fault_fraction=0.05)  # fmt: skip
        return [d["faults"] for d in docs]

    assert plan(1) == plan(1)
    assert plan(1) != plan(2)


def test_long_runs_include_drift():
    documents = schedule.shard_scenarios(devices=400, shards=1, duration_s=4 * 3600, seed=3, tenant="t",
                                         fault_fraction=0.05)  # fmt: skip
    assert "drift" in {f["kind"] for f in documents[0]["faults"]}


def test_options_refuse_nonsense_and_derive_shards_and_warmup():
    assert SoakOptions(devices=2000).shards == 2
    assert SoakOptions(devices=100).shards == 1
    assert SoakOptions(devices=100, publishers=3).shards == 3
    assert SoakOptions(minutes=5).warmup_s == 30.0
    assert SoakOptions(minutes=1).warmup_s == 8.0
    SoakOptions().check()
    with pytest.raises(ValueError, match="--minutes"):
        SoakOptions(minutes=0).check()
    with pytest.raises(ValueError, match="--outage-seconds"):
        SoakOptions(minutes=1, outage_s=30).check()
