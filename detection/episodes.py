"""From scores to conditions: hysteresis per (asset, episode), then `conditions.service.report` / `clear`, and
the asset's health row.  Equipment episodes run on the score ratio; a sensor episode per (check, signal) runs on
its flag.  A spike on a signal is only a sensor fault while the equipment score is normal (an electrical fault
spikes the current too) and no equipment episode is open; drift is not looked for while one is open.  The
equipment on-delay depends on how far the score is above its limit (`DetectorConfig.on_delays`).  Conditions go
to a `ConditionSink`: the conditions service live, a tally in the benchmark's healthy run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import orjson
import psycopg

from detection.features import BoolArray, Frame
from detection.model import AssetTypeModel, WindowScores, failure_mode, health_score, severity
from detection.readings import Watched
from detection.state import EQUIPMENT, Episode, sensor_key
from service_core.conditions import service as conditions
from service_core.conditions.domain import Action, Hysteresis, observe
from service_core.conditions.schemas import ConditionReport

if TYPE_CHECKING:
    from detection.live import DetectorConfig

ACTOR = "system:detector"
IDLE = Episode()
TOP_SIGNALS = 5
HISTORY_BUCKETS = (("1m", 60), ("1h", 3600))  # detection.health_history's resolutions and their widths (s)


@dataclass(slots=True)
class FeedResult:
    touched: dict[tuple[int, str], Episode] = field(default_factory=dict)
    raised: list[int] = field(default_factory=list)
    cleared: int = 0
    health: dict[int, tuple[datetime, float, list[dict[str, Any]], str]] = field(default_factory=dict)
    # (asset, resolution, bucket start in epoch seconds) -> the highest score ratio of the new rows in that bucket
    history: dict[tuple[int, str, int], float] = field(default_factory=dict)

    def write_health(self, conn: psycopg.Connection) -> None:
        for asset_id, (at, ratio, shares, label) in self.health.items():
            conn.execute(
                """
                INSERT INTO detection.asset_health (asset_id, scored_at, health_score, anomaly_score, contributions,
                                                    model_version)
                VALUES (%s, %s, %s, %s, %s, %s)
                ON CONFLICT (asset_id) DO UPDATE SET scored_at = EXCLUDED.scored_at,
                    health_score = EXCLUDED.health_score, anomaly_score = EXCLUDED.anomaly_score,
                    contributions = EXCLUDED.contributions, model_version = EXCLUDED.model_version
                """,
                (asset_id, at, health_score(ratio), ratio, orjson.dumps(shares).decode(), label),
            )
        if self.history:
            conn.cursor().executemany(
                """
                INSERT INTO detection.health_history AS h (asset_id, resolution, bucket, health_score, anomaly_score)
                VALUES (%s, %s, %s, %s, %s)
                ON CONFLICT (asset_id, resolution, bucket) DO UPDATE
                SET health_score = least(h.health_score, EXCLUDED.health_score),
                    anomaly_score = greatest(h.anomaly_score, EXCLUDED.anomaly_score)
                """,
                [
                    (asset_id, resolution, datetime.fromtimestamp(bucket, UTC), health_score(ratio), ratio)
                    for (asset_id, resolution, bucket), ratio in sorted(self.history.items())
                ],
            )

    def remember(self, asset_id: int, ts: float, ratio: float) -> None:
        """Keep the worst score of each minute and hour of reading time for the asset's score history."""
        for resolution, width in HISTORY_BUCKETS:
            key = (asset_id, resolution, int(ts // width) * width)
            self.history[key] = max(ratio, self.history.get(key, ratio))


class ConditionSink(Protocol):
    """Where raised and cleared episodes go: the conditions service (live) or a tally (the bench's healthy run)."""

    def report(self, report_in: ConditionReport) -> int | None:
        """Report a condition; the id of a newly created one, None when it attached to an open one."""
        ...

    def clear(self, *, asset_id: int, failure_mode: str, at: datetime) -> bool: ...


@dataclass(frozen=True, slots=True)
class ServiceSink:
    """The live sink: `conditions.service.report` / `clear` in the poll's transaction."""

    conn: psycopg.Connection

    def report(self, report_in: ConditionReport) -> int | None:
        outcome = conditions.report(self.conn, report_in=report_in, actor=ACTOR)
        return outcome.condition.id if outcome.created else None

    def clear(self, *, asset_id: int, failure_mode: str, at: datetime) -> bool:
        return conditions.clear(self.conn, asset_id=asset_id, failure_mode=failure_mode, at=at) is not None


def equipment_rules(config: DetectorConfig) -> list[tuple[float, Hysteresis]]:
    """Severity-dependent on-delay: (lowest score ratio, rule) from the highest ratio down; a score far above the
    limit raises after a short delay, a marginal one only when it lasts (the clearing side is the same)."""
    off = timedelta(seconds=config.off_delay_s)
    steps = sorted(config.on_delays, reverse=True)
    return [(ratio, Hysteresis(1.0, 0.7, timedelta(seconds=delay), off)) for ratio, delay in steps]


def rule_for(rules: list[tuple[float, Hysteresis]], ratio: float) -> Hysteresis:
    for lowest, rule in rules:
        if ratio >= lowest:
            return rule
    return rules[-1][1]


class EpisodeFeeder:
    def __init__(
        self,
        sink: ConditionSink | psycopg.Connection,
        episodes: dict[tuple[int, str], Episode],
        config: DetectorConfig,
        *,
        polled_at: datetime,
    ) -> None:
        self.sink = ServiceSink(sink) if isinstance(sink, psycopg.Connection) else sink
        self.episodes = episodes
        self.polled_at = polled_at
        self.result = FeedResult()
        self.equipment_rules = equipment_rules(config)
        off = timedelta(seconds=config.sensor_off_delay_s)
        self.sensor_rule = Hysteresis(0.5, 0.5, timedelta(0), off)
        self.drift_rule = Hysteresis(0.5, 0.5, timedelta(seconds=config.drift_on_delay_s), off)
        self._busy: dict[int, set[str]] = {}  # asset -> its sensor episodes that are not idle
        for (asset_id, key), episode in episodes.items():
            if key != EQUIPMENT and not episode.idle:
                self._busy.setdefault(asset_id, set()).add(key)

    def equipment_active(self, asset_id: int) -> bool:
        return self.episodes.get((asset_id, EQUIPMENT), IDLE).state.active

    def _sensor_signals(self, asset_id: int, check: str, flags: BoolArray, signals: list[str]) -> list[int]:
        """The signals whose (check, signal) episode has something to do: flagged now or not idle."""
        busy = self._busy.get(asset_id, set())
        return [j for j, s in enumerate(signals) if flags[j] or sensor_key(check, s) in busy]

    def feed(
        self, device: Watched, model: AssetTypeModel, label: str, window: Frame, scores: WindowScores, *, first: int
    ) -> None:
        """Feed the rows of `window` from index `first` (the new ones) in time order."""
        for t in range(first, len(window)):
            at = datetime.fromtimestamp(float(window.ts[t]), UTC)
            equipment_open = self.equipment_active(device.asset_id)
            ratio = float(scores.ratio_all[t] if equipment_open else scores.ratio[t])
            if np.isfinite(scores.ratio[t]):
                self.result.remember(device.asset_id, float(window.ts[t]), float(scores.ratio[t]))
            if np.isfinite(ratio):
                self._equipment(device, model, label=label, at=at, ratio=ratio, scores=scores, t=t)
            equipment_open = self.equipment_active(device.asset_id)
            for check, flags in scores.sensor.items():
                if check == "drift" and equipment_open:
                    continue
                quiet = (not np.isfinite(ratio) or ratio < 1.0) and not equipment_open
                for j in self._sensor_signals(device.asset_id, check, flags[t], model.signals):
                    flagged = bool(flags[t, j]) and (check != "spike" or quiet)
                    self._sensor(device, label=label, at=at, check=check, signal=model.signals[j], flagged=flagged)
        last_finite = np.nonzero(np.isfinite(scores.ratio[first:]))[0]
        if len(last_finite):
            t = first + int(last_finite[-1])
            at = datetime.fromtimestamp(float(window.ts[t]), UTC)
            self.result.health[device.asset_id] = (at, float(scores.ratio[t]), _top(model, scores, t), label)

    def _equipment(
        self, device: Watched, model: AssetTypeModel, *, label: str, at: datetime, ratio: float,
        scores: WindowScores, t: int,
    ) -> None:  # fmt: skip
        key = (device.asset_id, EQUIPMENT)
        episode = self.episodes.get(key, IDLE)
        rule = rule_for(self.equipment_rules, ratio)
        state, action = observe(episode.state, at=at, score=ratio, rule=rule)
        if action == Action.RAISE:
            mode = failure_mode(model.signals, scores.shares[t], scores.residuals[t])
            top = _top(model, scores, t)
            evidence = self._evidence(label, at, ratio, top, device)
            self._report(
                device, mode, category="equipment", sev=severity(state.peak), state=state, at=at, evidence=evidence
            )
            episode = Episode(state, mode)
        elif action == Action.CLEAR and episode.mode is not None:
            self._clear(device.asset_id, episode.mode, at)
            episode = Episode(state, None)
        else:
            episode = episode.with_state(state)
        self._store(key, episode)

    def _sensor(
        self, device: Watched, *, label: str, at: datetime, check: str, signal: str, flagged: bool,
    ) -> None:  # fmt: skip
        key = (device.asset_id, sensor_key(check, signal))
        episode = self.episodes.get(key, IDLE)
        if episode.idle and not flagged:
            return
        rule = self.drift_rule if check == "drift" else self.sensor_rule
        state, action = observe(episode.state, at=at, score=1.0 if flagged else 0.0, rule=rule)
        mode = f"sensor_{check}"
        if action == Action.RAISE:
            evidence = self._evidence(label, at, 1.0, [{"signal": signal, "share": 1.0}], device)
            evidence["check"], evidence["signal"] = check, signal
            self._report(device, mode, category="sensor", sev="warning", state=state, at=at, evidence=evidence)
            episode = Episode(state, mode)
        elif action == Action.CLEAR:
            self._clear(device.asset_id, mode, at)
            episode = Episode(state, None)
        else:
            episode = episode.with_state(state)
        self._store(key, episode)

    def _evidence(
        self, label: str, at: datetime, score: float, top: list[dict[str, Any]], device: Watched
    ) -> dict[str, Any]:
        return {
            "model_version": label,
            "score_ratio": round(score, 3),
            "contributions": top,
            "device_id": device.device_id,
            "reading_ts": at.isoformat(),
            "polled_at": self.polled_at.isoformat(),
            "scored_at": datetime.now(UTC).isoformat(),
        }

    def _report(self, device: Watched, mode: str, *, category: Any, sev: Any, state: Any, at: datetime,
                evidence: dict[str, Any]) -> None:  # fmt: skip
        created = self.sink.report(
            ConditionReport(
                asset_id=device.asset_id, device_id=device.device_id, failure_mode=mode, category=category,
                severity=sev, onset_at=state.onset_at or at, at=at, score=max(state.peak, 0.0), evidence=evidence,
            )
        )  # fmt: skip
        if created is not None:
            self.result.raised.append(created)

    def _clear(self, asset_id: int, mode: str, at: datetime) -> None:
        if self.sink.clear(asset_id=asset_id, failure_mode=mode, at=at):
            self.result.cleared += 1

    def _store(self, key: tuple[int, str], episode: Episode) -> None:
        self.episodes[key] = episode
        self.result.touched[key] = episode
        if key[1] != EQUIPMENT:
            busy = self._busy.setdefault(key[0], set())
            if episode.idle:
                busy.discard(key[1])
            else:
                busy.add(key[1])


def _top(model: AssetTypeModel, scores: WindowScores, t: int) -> list[dict[str, Any]]:
    order = np.argsort(scores.shares[t])[::-1][:TOP_SIGNALS]
    return [{"signal": model.signals[i], "share": round(float(scores.shares[t, i]), 3),
             "residual": round(float(np.nan_to_num(scores.residuals[t, i])), 2)} for i in order]  # fmt: skip
