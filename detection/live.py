"""The live detector: poll new telemetry per device since its high-water mark, score it with the asset type's
active model, feed hysteresis per (asset, episode), raise and clear conditions through the conditions service
and keep detection.asset_health current; a poll goes through the devices in batches, everything of one batch in
one transaction, so a restart resumes from the last committed batch without re-raising anything.

Each unit is scored against its own baseline (`AssetTypeModel.unit_baseline`), learned from its first day of
healthy history once it has one (looked up in the store, so a restart learns it again); a unit without one yet is
scored against its asset type's baseline at `NEW_UNIT_FACTOR` times the limit and is not checked for drift.

A model judges rows, not seconds (`detection.sampling`), so a device is scored only while it samples within
`DetectorConfig.sampling_tolerance` of its model's training interval, estimated from its context window and new rows,
from as many spacings as they hold.  Rows never wait unread for more: a batch's read is cut at `max_rows_per_batch` in
time order, and a fleet of new devices (2,000 at 1 Hz in the soak) got a few rows each in every poll, so when rows
waited for ten spacings none was ever scored.  A device too far from its model's interval is not scored at all
(equipment score, sensor checks, own baseline): a warning says so once per device and model version,
`DetectMetrics.devices_sampling_mismatch` counts such devices and `Detector.mismatched` holds the reasons, and
`detection.not_scored` holds them for the API and the dashboard (the asset's health score, if it has one, is then as old
as its scored_at); it is scored again as soon as its interval and its model's agree (a retrained model, a device
sampling as before).  Nor is its remaining life estimated, from features that count rows too.  A condition opened before
the refusal stays open: nothing scores the asset to clear it, and clearing it unseen could hide a real fault; the
asset's "not scored" says why it does not move.  Models stored before the training interval was recorded are scored as
before, whatever a device's interval."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import numpy as np
import psycopg

from detection import rul_live, sampling, store
from detection.episodes import EpisodeFeeder, FeedResult
from detection.features import FloatArray, Frame, concat, empty_frame
from detection.metrics import DetectMetrics
from detection.model import LAG_WARMUP_ROWS, AssetTypeModel, UnitBaseline
from detection.readings import (
    Watched,
    context_readings,
    first_reading_at,
    new_readings,
    to_frame,
    unit_history,
    watched_devices,
)
from detection.rul import RulModel
from detection.sampling import SamplingMismatch
from detection.state import Episode, load_episodes, load_high_water_marks, save_episodes, save_high_water_marks

log = logging.getLogger(__name__)

MODEL_KIND = "equipment"
CONTEXT_ROWS = LAG_WARMUP_ROWS  # the window before the new rows: enough for the slowest lag companion
NEW_UNIT_FACTOR = 3.0


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    # (lowest score ratio, on-delay s) of equipment episodes: the further above the limit, the sooner it raises.
    # Measured on 3,000 simulated healthy asset-days (30 s readings): the highest ratio held for 61 readings was
    # 0.79, for 21 readings 0.96 (so a 600 s marginal on-delay would open false work orders), for 5 readings
    # 1.17, for a single reading 1.38.
    on_delays: tuple[tuple[float, float], ...] = ((1.0, 1800.0), (1.5, 120.0), (2.0, 30.0), (3.0, 0.0))
    off_delay_s: float = 600.0
    sensor_off_delay_s: float = 600.0
    drift_on_delay_s: float = 300.0  # a drift must persist; the other checks carry their own windows
    # A poll scores every watched device, this many at a time (a transaction each), each batch's new rows read
    # oldest first up to `max_rows_per_batch` (whole reading groups; the rest waits for the next poll)
    devices_per_batch: int = 250
    max_rows_per_batch: int = 200_000
    start_lookback_s: float = 3600.0  # a device never scored starts this far before its newest reading
    # How many times faster or slower than its model's training history a device may sample and still be scored.
    # The features count rows, so a faster device crowds the slow companions and smoothing into less time; measured
    # on simulated new units (6 per type x 6 h, 30 s training history), false conditions per cell: compressor
    # 0 at 30 s and 24-45 s, 1 at 20 s and 60 s, 8 at 15 s, 16 at 1 s; pump 1 at 30 s, 2 at 20 s, 1 at 45-60 s,
    # 4 at 15 s, 18 at 1 s.  2x faster is already too fast; within 1.5x either way scores as at the training rate.
    sampling_tolerance: float = 1.5


@dataclass(slots=True)
class PollResult:
    groups_scored: int = 0
    not_scored: int = 0  # reading groups of devices sampling too far from their model's interval
    raised: list[int] = field(default_factory=list)  # condition ids
    cleared: int = 0


@dataclass(slots=True)
class _Loaded:
    model: AssetTypeModel
    label: str
    interval_s: float | None = None  # its training history's sampling interval; None: stored before it was recorded


class Detector:
    """Holds the models, the per-device context windows and the episode states between polls."""

    def __init__(self, config: DetectorConfig | None = None, metrics: DetectMetrics | None = None) -> None:
        self.config = config or DetectorConfig()
        self.metrics = metrics or DetectMetrics()
        self.models: dict[str, _Loaded] = {}
        self.context: dict[int, Frame] = {}
        self.marks: dict[int, datetime] = {}
        self.episodes: dict[tuple[int, str], Episode] = {}
        self.units: dict[tuple[int, str], UnitBaseline] = {}  # (device, model label) -> the unit's own baseline
        self._learn_after: dict[tuple[int, str], float] = {}  # ... not learned yet: when to look again (epoch s)
        self._loaded_state = False
        self.rul_models: dict[str, tuple[str, RulModel, list[str]]] = {}  # asset type -> (label, RUL model, signals)
        self._rul_at: dict[int, float] = {}  # asset -> device time (epoch s) of its last RUL estimate
        self.mismatched: dict[int, SamplingMismatch] = {}  # device -> why it is not scored (its sampling interval)
        self._refusals_stored: dict[int, str] | None = None  # asset -> reason in detection.not_scored (None: read it)

    def load_models(self, conn: psycopg.Connection) -> list[str]:
        """(Re)load the active equipment model of every asset type; returns their labels."""
        self.models = {}
        for record in store.list_versions(conn):
            if record.kind == MODEL_KIND and record.is_active:
                found = store.load_active(conn, asset_type=record.asset_type, kind=MODEL_KIND)
                if found is not None:
                    self.models[record.asset_type] = _Loaded(found[1], found[0].label, _training_interval(found[0]))
        self.rul_models = rul_live.load_models(conn)
        return [m.label for m in self.models.values()] + [label for label, _, _ in self.rul_models.values()]

    def poll_once(self, conn: psycopg.Connection) -> PollResult:
        """Score what is new, in one transaction (committed here), and report what changed.  A poll that fails
        (the database went away before its commit) leaves nothing behind in memory either: the marks, context
        windows and episodes it moved on are forgotten and restored from the store on the next poll, which then
        scores the same rows again.  Kept, they had skipped those rows for good, with the conditions they raised
        lost in the rolled-back transaction and their episodes believed open (a soak lost both stuck sensors
        this way when PostgreSQL restarted mid-poll)."""
        try:
            return self._poll(conn)
        except BaseException:
            self.forget_poll_state()
            raise

    def forget_poll_state(self) -> None:
        """Drop what the store holds too (marks, context windows, episodes), so the next poll restores it."""
        self.marks.clear()
        self.context.clear()
        self.episodes.clear()
        self._rul_at.clear()
        self._refusals_stored = None

    def _poll(self, conn: psycopg.Connection) -> PollResult:
        """Every watched device once, `devices_per_batch` at a time, each batch in a transaction of its own: what a
        poll holds in memory is bounded by a batch's rows, and a large fleet's devices get many new rows per
        poll, so the context rows scored again with them cost little per new row (2,000 devices at 1 Hz got 10
        rows each from a poll capped for all of them, and the detector spent nine tenths of its time on context)."""
        devices = watched_devices(conn, asset_types=list(self.models))
        self._forget_mismatches(devices)
        result = PollResult()
        if not devices:
            self._write_refusals(conn, devices=[], scored=set(), at=datetime.now(UTC))  # none is watched now
            conn.commit()
            return result
        newest: datetime | None = None
        size = max(1, self.config.devices_per_batch)
        for first in range(0, len(devices), size):
            last = self._poll_batch(conn, devices[first : first + size], watched=devices, result=result)
            newest = last if newest is None or (last is not None and last > newest) else newest
        self.metrics.polls.inc()
        if newest is not None:
            self.metrics.lag.set((datetime.now(UTC) - newest).total_seconds())
        return result

    def _poll_batch(
        self, conn: psycopg.Connection, batch: list[Watched], *, watched: list[Watched], result: PollResult
    ) -> datetime | None:
        """Score the batch's new rows and commit them; adds to `result`; the newest reading scored (None: none)."""
        self._restore(conn, batch)
        polled_at = datetime.now(UTC)
        fresh = new_readings(conn, marks={d.device_id: self.marks[d.device_id] for d in batch},
                             limit=self.config.max_rows_per_batch)  # fmt: skip
        feeder = EpisodeFeeder(conn, self.episodes, self.config, polled_at=polled_at)
        newest: datetime | None = None
        scored_devices: set[int] = set()
        tally = PollResult()  # this batch's counts, added to `result` once committed
        for device in batch:
            rows = fresh.get(device.device_id)
            if not rows:
                continue
            scored = self._score_device(conn, device, rows, feeder)
            self.marks[device.device_id] = max(self.marks[device.device_id], rows[-1][0])
            if not scored:
                tally.not_scored += len({ts for ts, _, _ in rows}) if device.device_id in self.mismatched else 0
                continue
            tally.groups_scored += scored
            scored_devices.add(device.device_id)
            last = rows[-1][0]
            newest = last if newest is None or last > newest else newest
        self._commit(conn, batch=batch, watched=watched, fed=feeder.result, polled_at=polled_at, fresh=fresh,
                     scored=scored_devices, tally=tally)  # fmt: skip
        result.groups_scored += tally.groups_scored
        result.not_scored += tally.not_scored
        result.raised.extend(feeder.result.raised)
        result.cleared += feeder.result.cleared
        return newest

    def _score_device(
        self, conn: psycopg.Connection, device: Watched, rows: list[tuple[datetime, str, float]],
        feeder: EpisodeFeeder,
    ) -> int:  # fmt: skip
        """Score the device's new rows: how many reading groups were scored (0: none, it samples too far from its
        model's training interval, or this is a new device's first reading and its interval cannot be told yet)."""
        loaded = self.models[device.asset_type]
        frame = to_frame(rows, loaded.model.signals)
        context = self.context.get(device.device_id, empty_frame(len(loaded.model.signals)))
        if not self._samples_as_trained(device, loaded, np.r_[context.ts, frame.ts]):
            self.context[device.device_id] = concat(context, frame).tail(CONTEXT_ROWS)  # to follow its interval
            return 0
        unit = self._unit_baseline(conn, device, loaded, newest=float(frame.ts[-1]))
        self.context[device.device_id] = score_rows(loaded.model, loaded.label, device, context=context, frame=frame,
                                                    feeder=feeder, unit=unit)  # fmt: skip
        return len(frame)

    def _samples_as_trained(self, device: Watched, loaded: _Loaded, stamps: FloatArray) -> bool:
        """Whether the device (its window's timestamps) samples close enough to its model's training interval to
        be scored: always for a model stored before the interval was recorded; never on a new device's first
        reading (no spacing to tell its interval by yet)."""
        if loaded.interval_s is None:
            return True
        live_s = sampling.median_spacing([stamps])
        if live_s is None:
            return False
        found = sampling.mismatch(live_s=live_s, trained_s=loaded.interval_s,
                                  tolerance=self.config.sampling_tolerance, label=loaded.label)  # fmt: skip
        self._note_sampling(device, found)
        return found is None

    def _note_sampling(self, device: Watched, found: SamplingMismatch | None) -> None:
        """Keep `mismatched` current; warn once when a device (or its model version) stops being scored, say when
        it is scored again."""
        before = self.mismatched.get(device.device_id)
        if found is None and before is not None:
            del self.mismatched[device.device_id]
            log.info("device %d (asset %d, %s): its sampling interval matches model %s again: scoring it",
                     device.device_id, device.asset_id, device.asset_type, before.label)  # fmt: skip
        elif found is not None:
            if before is None or before.label != found.label:
                log.warning("device %d (asset %d, %s) not scored: %s", device.device_id, device.asset_id,
                            device.asset_type, found.reason)  # fmt: skip
            self.mismatched[device.device_id] = found
        self.metrics.devices_sampling_mismatch.set(len(self.mismatched))

    def _forget_mismatches(self, devices: list[Watched]) -> None:
        """Devices no longer watched (unlinked, or their type without a model) are not counted as mismatched."""
        watched = {d.device_id for d in devices}
        self.mismatched = {k: v for k, v in self.mismatched.items() if k in watched}
        self.metrics.devices_sampling_mismatch.set(len(self.mismatched))

    def _unit_baseline(
        self, conn: psycopg.Connection, device: Watched, loaded: _Loaded, *, newest: float
    ) -> UnitBaseline | None:
        """The unit's own baseline, learned from its first hours of history once it has them (the asset type's
        baseline until then); looked for again at most every ten minutes of device time."""
        key = (device.device_id, loaded.label)
        if key in self.units or newest < self._learn_after.get(key, 0.0):
            return self.units.get(key)
        model = loaded.model
        learning_s = float(getattr(model, "unit_learning_s", 0.0))
        first = first_reading_at(conn, device_id=device.device_id)
        if first is not None and newest < first.timestamp() + learning_s:
            # its history cannot span the learning period yet: fetching it (all of it, for a new device) on every
            # look was a tenth of a 2,000-device detector's time
            self._learn_after[key] = first.timestamp() + learning_s
            return None
        rows = unit_history(conn, device_id=device.device_id, asset_id=device.asset_id, seconds=learning_s)
        unit = model.unit_baseline(to_frame(rows, model.signals)) if rows else None
        if unit is None:
            self._learn_after[key] = newest + 600.0
            return None
        log.info("learned the own baseline of device %d (%s)", device.device_id, loaded.label)
        self.units[key] = unit
        return unit

    def _restore(self, conn: psycopg.Connection, devices: list[Watched]) -> None:
        """On the first poll (and for devices seen for the first time): marks, context windows, episodes."""
        missing = [d for d in devices if d.device_id not in self.marks]
        if not missing:
            return
        stored = load_high_water_marks(conn, device_ids=[d.device_id for d in missing])
        for device in missing:
            mark = stored.get(device.device_id)
            if mark is None:
                mark = self._starting_mark(conn, device.device_id)
            self.marks[device.device_id] = mark
            model = self.models[device.asset_type].model
            rows = context_readings(conn, device_id=device.device_id, until=mark, groups=CONTEXT_ROWS)
            self.context[device.device_id] = to_frame(rows, model.signals) if rows else empty_frame(len(model.signals))
        self.episodes.update(load_episodes(conn, asset_ids=sorted({d.asset_id for d in missing})))

    def _starting_mark(self, conn: psycopg.Connection, device_id: int) -> datetime:
        row = conn.execute("SELECT max(ts) FROM telemetry.latest WHERE device_id = %s", (device_id,)).fetchone()
        newest = row[0] if row and row[0] is not None else datetime.now(UTC)
        return newest - timedelta(seconds=self.config.start_lookback_s)

    def _commit(
        self,
        conn: psycopg.Connection,
        *,
        batch: list[Watched],
        watched: list[Watched],
        fed: FeedResult,
        polled_at: datetime,
        fresh: dict[int, list[tuple[datetime, str, float]]],
        scored: set[int],
        tally: PollResult,
    ) -> None:
        save_high_water_marks(conn, marks={d.device_id: self.marks[d.device_id] for d in batch if d.device_id in fresh})
        save_episodes(conn, episodes=fed.touched)
        fed.write_health(conn)
        self._write_refusals(conn, devices=watched, scored=scored, at=polled_at)
        self._write_rul(conn, devices=batch, fresh=fresh)
        conn.commit()
        committed = datetime.now(UTC)
        self.metrics.rows_scored.inc(tally.groups_scored)
        self.metrics.rows_sampling_mismatch.inc(tally.not_scored)
        for device_id, rows in fresh.items():
            if device_id not in scored:
                continue
            for ts in {ts for ts, _, _ in rows}:
                self.metrics.event_to_score.observe(max((committed - ts).total_seconds(), 0.0))
            self.metrics.poll_to_score.observe((committed - polled_at).total_seconds())

    def _write_refusals(
        self, conn: psycopg.Connection, *, devices: list[Watched], scored: set[int], at: datetime
    ) -> None:
        """Keep detection.not_scored as `mismatched` says: a row for each refused device's asset (its `since` kept
        while the refusal lasts), none for an asset scored again or no longer watched.  Writes only what changed;
        the rows are read once per restart (and after a failed poll) to know what is there."""
        if self._refusals_stored is None:
            rows = conn.execute("SELECT asset_id, reason FROM detection.not_scored").fetchall()
            self._refusals_stored = {int(asset_id): str(reason) for asset_id, reason in rows}
        stored = self._refusals_stored
        watched = {d.asset_id for d in devices}
        scored_assets = {d.asset_id for d in devices if d.device_id in scored}
        ended = [a for a in stored if a not in watched or a in scored_assets]
        refused = [(d, self.mismatched[d.device_id]) for d in devices if d.device_id in self.mismatched]
        changed = [(d, found) for d, found in refused if stored.get(d.asset_id) != found.reason]
        if ended:
            conn.execute("DELETE FROM detection.not_scored WHERE asset_id = ANY(%s)", (ended,))
        if changed:
            conn.cursor().executemany(
                """
                INSERT INTO detection.not_scored (asset_id, device_id, model_version, reason, sampling_interval_s,
                                                  trained_interval_s, since)
                VALUES (%s, %s, %s, %s, %s, %s, %s)
                ON CONFLICT (asset_id) DO UPDATE SET device_id = EXCLUDED.device_id,
                    model_version = EXCLUDED.model_version, reason = EXCLUDED.reason,
                    sampling_interval_s = EXCLUDED.sampling_interval_s, trained_interval_s = EXCLUDED.trained_interval_s
                """,
                [(d.asset_id, d.device_id, m.label, m.reason, m.live_s, m.trained_s, at) for d, m in changed],
            )
        for asset_id in ended:
            del stored[asset_id]
        stored.update({d.asset_id: found.reason for d, found in changed})

    def _write_rul(
        self, conn: psycopg.Connection, *, devices: list[Watched], fresh: dict[int, list[tuple[datetime, str, float]]]
    ) -> None:
        """Once an hour of device time per asset whose type has a RUL model: its estimate on its health record;
        not for a device sampling too far from its equipment model's interval (the RUL features count rows too)."""
        for device in devices:
            rows = fresh.get(device.device_id)
            found = self.rul_models.get(device.asset_type)
            if not rows or found is None or device.device_id in self.mismatched:
                continue
            newest = rows[-1][0]
            if not rul_live.due(self._rul_at.get(device.asset_id), newest.timestamp()):
                continue
            label, model, signals = found
            estimate = rul_live.estimate(conn, device_id=device.device_id, asset_id=device.asset_id,
                                         model=model, signals=signals, label=label, until=newest)  # fmt: skip
            if estimate is not None and rul_live.write(conn, asset_id=device.asset_id, rul=estimate):
                self._rul_at[device.asset_id] = newest.timestamp()


def score_rows(
    model: AssetTypeModel, label: str, device: Watched, *, context: Frame, frame: Frame, feeder: EpisodeFeeder,
    unit: UnitBaseline | None,
) -> Frame:  # fmt: skip
    """Score a device's new rows after its context rows and feed them to the episodes; the next context."""
    window = concat(context, frame)
    equipment_open = feeder.equipment_active(device.asset_id)
    # drift is judged against the unit's own baseline only; without one, a wider equipment limit (a new unit looks
    # unusual next to its type's baseline)
    scores = model.score_window(window, drift_check=not equipment_open and unit is not None, unit=unit)
    if unit is None:
        scores = replace(scores, ratio=scores.ratio / NEW_UNIT_FACTOR, ratio_all=scores.ratio_all / NEW_UNIT_FACTOR)
    feeder.feed(device, model, label, window, scores, first=len(context))
    return window.tail(CONTEXT_ROWS)


def run(
    url: str, *, interval_s: float = 1.0, detector: Detector | None = None, stop: threading.Event | None = None
) -> None:
    """Poll until `stop` is set (forever without one); reconnect after database errors; reload models each minute."""
    detector = detector or Detector()
    stop = stop or threading.Event()
    models_checked = 0.0
    while not stop.is_set():
        try:
            with psycopg.connect(url, application_name="assetpulse-detect") as conn:
                while not stop.is_set():
                    if time.monotonic() - models_checked > 60.0:
                        labels = detector.load_models(conn)
                        conn.commit()
                        models_checked = time.monotonic()
                        log.info("active models: %s", ", ".join(labels) or "none")
                    started = time.monotonic()
                    result = detector.poll_once(conn)
                    if result.groups_scored or result.not_scored:
                        log.info("scored %d reading groups in %.3fs; raised %d, cleared %d%s", result.groups_scored,
                                 time.monotonic() - started, len(result.raised), result.cleared,
                                 _not_scored(detector))  # fmt: skip
                    if result.groups_scored < detector.config.max_rows_per_batch // 20:
                        stop.wait(interval_s)
        except psycopg.OperationalError as exc:
            log.warning("database trouble (%s); retrying in 5 s", exc)
            stop.wait(5.0)


def _training_interval(record: store.StoredModel) -> float | None:
    """The sampling interval (s) of a stored model's training history; None on models stored before training
    recorded it: their devices are scored whatever their own interval, as they were before."""
    value = record.training.get(sampling.TRAINING_KEY)
    return None if value is None else float(value)


def _not_scored(detector: Detector) -> str:
    count = len(detector.mismatched)
    return f"; {count} devices not scored (sampling interval: see the warnings)" if count else ""
