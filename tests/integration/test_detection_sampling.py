"""The live detector refuses to score a device with a model trained at a very different sampling interval (real
PostgreSQL): training records the interval, a compressor sending every second is not scored by a model learned
from 120 s readings (it raises nothing, the metrics and the detector's warnings say why) while one sending every
120 s still is (its fault raises), and a model retrained at the device's own interval scores it again."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from detection import training
from detection.bench_setup import Unit, register_with_assets, write_history
from detection.live import Detector, DetectorConfig
from detection.readings import first_reading_at
from detection.simdata import simulate
from detection.state import save_high_water_marks
from ingest.payloads import ReadingGroup, Topic
from ingest.pipeline import DeviceTelemetry, Triage
from ingest.writer import TelemetryWriter
from service_core.conditions import queries
from service_core.exceptions import NotFound
from simulators.devices import DeviceSpec
from simulators.faults import Electrical

pytestmark = pytest.mark.integration

TENANT = "t1"
TRAINED_EVERY = 120.0
FAST_EVERY = 1.0
LIVE = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=10)
TRAINERS = [DeviceSpec(f"tr-compressor-{n:03d}", "compressor", n) for n in range(1, 4)]
# Healthy compressors that, scored by the 120 s model, raise `overheating` within half an hour of 1 s readings
FAST = [DeviceSpec("fast-compressor-012", "compressor", 12), DeviceSpec("fast-compressor-013", "compressor", 13)]
MISMATCHED = "assetpulse_detect_devices_sampling_mismatch"
NOT_SCORED = "assetpulse_detect_rows_sampling_mismatch_total"


def _store(url: str, spec: DeviceSpec, groups: list[ReadingGroup]) -> None:
    writer = TelemetryWriter(url)
    try:
        writer.write(Triage(telemetry=[DeviceTelemetry(Topic(TENANT, spec.key, "telemetry"), tuple(groups))]))
    finally:
        writer.close()


def _poll_all(url: str, detector: Detector) -> tuple[list[int], int]:
    """Poll until nothing is new: the conditions raised and the reading groups left unscored."""
    raised, not_scored = [], 0
    with psycopg.connect(url) as conn:
        detector.load_models(conn)
        while (result := detector.poll_once(conn)).groups_scored or result.not_scored:
            raised, not_scored = raised + result.raised, not_scored + result.not_scored
    return raised, not_scored


def _train_at_120_s(url: str, units: dict[str, Unit]) -> None:
    """A compressor model from a day of 120 s readings of three units; every device read from just before LIVE."""
    write_history(url, tenant=TENANT, specs=TRAINERS, seed=5, start=LIVE - timedelta(hours=25),
                  interval_s=TRAINED_EVERY, samples=int(24 * 3600 / TRAINED_EVERY))  # fmt: skip
    with psycopg.connect(url) as conn:
        outcome = training.train(conn, asset_type="compressor", now=LIVE - timedelta(minutes=30), days=2)
        assert outcome.model.training["sampling_interval_s"] == TRAINED_EVERY
        save_high_water_marks(conn, marks={u.device_id: LIVE - timedelta(seconds=1) for u in units.values()})


def _fast_rows(spec: DeviceSpec, *, start: datetime, seconds: float) -> list[ReadingGroup]:
    return simulate(spec, [], seed=9, start=start, interval_s=FAST_EVERY, samples=int(seconds / FAST_EVERY))


def test_a_device_sampling_far_faster_than_the_training_history_is_not_scored_and_says_why(
    database_url: str, caplog: pytest.LogCaptureFixture
):
    faulty = DeviceSpec("slow-compressor-011", "compressor", 11)
    units = register_with_assets(database_url, tenant=TENANT, specs=[*TRAINERS, faulty, *FAST])
    _train_at_120_s(database_url, units)
    samples = int(8 * 3600 / TRAINED_EVERY)
    fault = Electrical(device_key=faulty.key, onset_s=2 * 3600, duration_s=None)
    _store(database_url, faulty, simulate(faulty, [fault], seed=9, start=LIVE, interval_s=TRAINED_EVERY,
                                          samples=samples))  # fmt: skip
    for spec in FAST:
        _store(database_url, spec, _fast_rows(spec, start=LIVE, seconds=1800))

    detector = Detector()
    with caplog.at_level(logging.WARNING, logger="detection.live"):
        raised, not_scored = _poll_all(database_url, detector)
        for spec in FAST:  # half an hour more of them: polled again, not warned about again
            _store(database_url, spec, _fast_rows(spec, start=LIVE + timedelta(seconds=1800), seconds=1800))
        more_raised, more_not_scored = _poll_all(database_url, detector)

    with psycopg.connect(database_url) as conn:
        conditions = conn.execute("SELECT asset_id, failure_mode FROM detection.conditions").fetchall()
        health = {a for (a,) in conn.execute("SELECT asset_id FROM detection.asset_health").fetchall()}
    fast_assets = {units[s.key].asset_id for s in FAST}
    assert conditions == [(units[faulty.key].asset_id, "electrical_imbalance")]  # the 120 s device: still scored
    assert len(raised) == 1 and more_raised == []
    assert units[faulty.key].asset_id in health and not fast_assets & health
    assert not_scored == 2 * 1800 and more_not_scored == 2 * 1800
    registry = detector.metrics.registry
    assert registry.get_sample_value(MISMATCHED) == 2 and registry.get_sample_value(NOT_SCORED) == 4 * 1800
    reasons = {device_id: found.reason for device_id, found in detector.mismatched.items()}
    assert reasons == {
        units[s.key].device_id: "sampling every 1 s, model compressor/equipment/v1 trained on 120 s readings: "
        "retrain with `assetpulse detect train` on history at this interval"
        for s in FAST
    }
    with psycopg.connect(database_url) as conn:  # what the API and the dashboard show: refused, and why
        refusals = conn.execute(
            "SELECT asset_id, device_id, model_version, reason, sampling_interval_s, trained_interval_s, since"
            " FROM detection.not_scored ORDER BY asset_id"
        ).fetchall()
        with pytest.raises(NotFound, match="has not been scored: sampling every 1 s, model compressor/equipment/v1"):
            queries.asset_health(conn, asset_id=units[FAST[0].key].asset_id)
    assert [(a, d, m, r, live, trained) for a, d, m, r, live, trained, _ in refusals] == sorted(
        (units[s.key].asset_id, units[s.key].device_id, "compressor/equipment/v1", reasons[units[s.key].device_id],
         FAST_EVERY, TRAINED_EVERY)
        for s in FAST
    )  # fmt: skip
    assert len({since for *_, since in refusals}) == 1  # written at the first poll, kept by the later ones
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert sorted(warnings) == sorted(
        f"device {units[s.key].device_id} (asset {units[s.key].asset_id}, compressor) not scored: "
        + reasons[units[s.key].device_id]
        for s in FAST
    )


def test_a_model_retrained_at_the_devices_interval_scores_it_again(database_url: str):
    retrainers = [DeviceSpec(f"tr1s-compressor-{n:03d}", "compressor", n) for n in range(4, 7)]
    units = register_with_assets(database_url, tenant=TENANT, specs=[*TRAINERS, *retrainers, FAST[0]])
    _train_at_120_s(database_url, {k: u for k, u in units.items() if k not in {s.key for s in retrainers}})
    fast = units[FAST[0].key]
    _store(database_url, FAST[0], _fast_rows(FAST[0], start=LIVE, seconds=600))
    detector = Detector()
    assert _poll_all(database_url, detector) == ([], 600)
    assert set(detector.mismatched) == {fast.device_id}
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT asset_id FROM detection.not_scored").fetchall() == [(fast.asset_id,)]

    write_history(database_url, tenant=TENANT, specs=retrainers, seed=6, start=LIVE - timedelta(hours=3),
                  interval_s=FAST_EVERY, samples=int(2 * 3600 / FAST_EVERY))  # fmt: skip
    with psycopg.connect(database_url) as conn:
        outcome = training.train(conn, asset_type="compressor", now=LIVE - timedelta(minutes=30), days=3 / 24)
        assert outcome.model.label == "compressor/equipment/v2"
        assert outcome.model.training["sampling_interval_s"] == FAST_EVERY
    _store(database_url, FAST[0], _fast_rows(FAST[0], start=LIVE + timedelta(seconds=600), seconds=600))
    detector = Detector()  # restarted: it knows of the refusal from detection.not_scored only
    with psycopg.connect(database_url) as conn:
        detector.load_models(conn)
        result = detector.poll_once(conn)
        conn.commit()
        health = conn.execute(
            "SELECT model_version FROM detection.asset_health WHERE asset_id = %s", (fast.asset_id,)
        ).fetchall()
        refused = conn.execute("SELECT asset_id FROM detection.not_scored").fetchall()
        public = queries.asset_health(conn, asset_id=fast.asset_id)
    # the fast device's 600 new rows, and the last hour of each retrainer's history: the restarted detector has no
    # mark of theirs (they had no rows at its first start) and starts a device an hour before its newest reading
    assert result.groups_scored == 600 + len(retrainers) * 3600 and result.not_scored == 0
    assert detector.mismatched == {} and refused == [] and public.not_scored is None
    assert detector.metrics.registry.get_sample_value(MISMATCHED) == 0
    assert health == [("compressor/equipment/v2",)]


def test_new_devices_are_scored_when_every_poll_gives_each_fewer_rows_than_a_firm_judgement_needs(
    database_url: str,
):
    """A poll is cut at `max_rows_per_batch` in time order: a fleet of new devices then has only a few readings each
    in every poll.  Waiting for ten spacings left them unread for ever (the soak's 2,000 new
    1 Hz devices were never scored); they are judged on the spacings there are."""
    new = [DeviceSpec(f"new-compressor-{n:03d}", "compressor", n) for n in range(21, 25)]
    units = register_with_assets(database_url, tenant=TENANT, specs=[*TRAINERS, *new])
    _train_at_120_s(database_url, units)
    for spec in new:
        _store(database_url, spec, simulate(spec, [], seed=9, start=LIVE, interval_s=TRAINED_EVERY, samples=20))
    with psycopg.connect(database_url) as conn:
        group = len(conn.execute(
            "SELECT DISTINCT metric_id FROM telemetry.readings WHERE device_id = %s", (units[new[0].key].device_id,)
        ).fetchall())  # fmt: skip
    detector = Detector(DetectorConfig(max_rows_per_batch=len(new) * 5 * group))  # about 5 readings of each a poll
    scored = []
    with psycopg.connect(database_url) as conn:
        detector.load_models(conn)
        for _ in range(10):
            scored.append(detector.poll_once(conn).groups_scored)
        health = {a for (a,) in conn.execute("SELECT asset_id FROM detection.asset_health").fetchall()}
    assert sum(scored) == len(new) * 20 and max(scored) < 11 * len(new)
    assert {units[s.key].asset_id for s in new} <= health
    assert detector.mismatched == {}


def test_a_poll_reads_each_batch_of_devices_up_to_its_own_cap_and_commits_each_batch(database_url: str):
    """Four new devices, one per batch, each batch capped at five reading groups: one poll scores five of each
    (a cap for the whole poll gave five in all), the marks of every batch are stored, and a device whose history
    cannot span a unit's learning period yet is not asked for it before it can (its first reading plus the
    period)."""
    new = [DeviceSpec(f"new-compressor-{n:03d}", "compressor", n) for n in range(31, 35)]
    units = register_with_assets(database_url, tenant=TENANT, specs=[*TRAINERS, *new])
    _train_at_120_s(database_url, units)
    for spec in new:
        _store(database_url, spec, simulate(spec, [], seed=9, start=LIVE, interval_s=TRAINED_EVERY, samples=20))
    ids = [units[s.key].device_id for s in new]
    with psycopg.connect(database_url) as conn:
        group = len(conn.execute(
            "SELECT DISTINCT metric_id FROM telemetry.readings WHERE device_id = %s", (ids[0],)
        ).fetchall())  # fmt: skip
        detector = Detector(DetectorConfig(devices_per_batch=1, max_rows_per_batch=5 * group + 1))
        detector.load_models(conn)
        result = detector.poll_once(conn)
        marks = dict(conn.execute(
            "SELECT device_id, last_ts FROM detection.high_water_marks WHERE device_id = ANY(%s)", (ids,)
        ).fetchall())  # fmt: skip
        fifth = dict(conn.execute(
            "SELECT device_id, (array_agg(DISTINCT ts ORDER BY ts))[5] FROM telemetry.readings "
            "WHERE device_id = ANY(%s) GROUP BY device_id", (ids,)
        ).fetchall())  # fmt: skip
        (oldest,) = conn.execute("SELECT min(ts) FROM telemetry.readings WHERE device_id = %s", (ids[0],)).fetchone()
        first = first_reading_at(conn, device_id=ids[0])
        empty = register_with_assets(database_url, tenant=TENANT, specs=[DeviceSpec("quiet-compressor-040",
                                                                                     "compressor", 40)])  # fmt: skip
        assert first_reading_at(conn, device_id=empty["quiet-compressor-040"].device_id) is None
    assert result.groups_scored == 4 * 5
    assert marks == fifth
    assert first == oldest
    label = detector.models["compressor"].label
    learning_s = detector.models["compressor"].model.unit_learning_s
    assert detector._learn_after[(ids[0], label)] == oldest.timestamp() + learning_s
    assert detector.metrics.registry.get_sample_value("assetpulse_detect_polls_total") == 1


def test_training_leaves_out_a_device_whose_history_samples_far_faster_than_the_others(database_url: str):
    """Three compressors with a day at 120 s and one with two hours at 1 s (more rows than the three together):
    the model is trained on, and records, the three's interval, and names the one it left out."""
    fast = FAST[0]
    units = register_with_assets(database_url, tenant=TENANT, specs=[*TRAINERS, fast])
    write_history(database_url, tenant=TENANT, specs=TRAINERS, seed=5, start=LIVE - timedelta(hours=25),
                  interval_s=TRAINED_EVERY, samples=int(24 * 3600 / TRAINED_EVERY))  # fmt: skip
    write_history(database_url, tenant=TENANT, specs=[fast], seed=5, start=LIVE - timedelta(hours=3),
                  interval_s=FAST_EVERY, samples=2 * 3600)  # fmt: skip
    with psycopg.connect(database_url) as conn:
        outcome = training.train(conn, asset_type="compressor", now=LIVE - timedelta(minutes=30), days=2)
    assert outcome.model.training["sampling_interval_s"] == TRAINED_EVERY
    assert outcome.model.training["left_out_for_sampling"] == {str(units[fast.key].device_id): FAST_EVERY}
    assert outcome.model.training["devices"] == len(TRAINERS)
