"""What the live detector persists between polls and restarts: a high-water mark per device (the newest reading
time it has scored) and the hysteresis state of every open or pending episode of an asset."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import orjson
import psycopg

from service_core.conditions.domain import EpisodeState

EQUIPMENT = "equipment"


@dataclass(frozen=True, slots=True)
class Episode:
    """Hysteresis state plus the failure mode an active episode was raised with (so it is cleared by it)."""

    state: EpisodeState = field(default_factory=EpisodeState)
    mode: str | None = None

    @property
    def idle(self) -> bool:
        return not self.state.active and self.state.above_since is None

    def to_json(self) -> dict[str, Any]:
        s = self.state
        return {
            "active": s.active,
            "above_since": _iso(s.above_since),
            "below_since": _iso(s.below_since),
            "onset_at": _iso(s.onset_at),
            "peak": s.peak,
            "mode": self.mode,
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> Episode:
        state = EpisodeState(
            active=bool(data.get("active")),
            above_since=_dt(data.get("above_since")),
            below_since=_dt(data.get("below_since")),
            onset_at=_dt(data.get("onset_at")),
            peak=float(data.get("peak") or 0.0),
        )
        return Episode(state, data.get("mode"))

    def with_state(self, state: EpisodeState) -> Episode:
        return replace(self, state=state)


def sensor_key(check: str, signal: str) -> str:
    return f"sensor:{check}:{signal}"


def load_high_water_marks(conn: psycopg.Connection, *, device_ids: list[int]) -> dict[int, datetime]:
    rows = conn.execute(
        "SELECT device_id, last_ts FROM detection.high_water_marks WHERE device_id = ANY(%s)", (device_ids,)
    ).fetchall()
    return {int(d): ts for d, ts in rows}


def save_high_water_marks(conn: psycopg.Connection, *, marks: dict[int, datetime]) -> None:
    """Move each device's mark forward (never back: a late, older batch does not rewind it)."""
    if not marks:
        return
    conn.execute(
        """
        INSERT INTO detection.high_water_marks AS h (device_id, last_ts)
        SELECT * FROM unnest(%s::int[], %s::timestamptz[])
        ON CONFLICT (device_id) DO UPDATE
        SET last_ts = greatest(h.last_ts, EXCLUDED.last_ts), updated_at = now()
        """,
        (list(marks), list(marks.values())),
    )


def load_episodes(conn: psycopg.Connection, *, asset_ids: list[int]) -> dict[tuple[int, str], Episode]:
    rows = conn.execute(
        "SELECT asset_id, episode, state FROM detection.episode_states WHERE asset_id = ANY(%s)", (asset_ids,)
    ).fetchall()
    return {(int(a), str(k)): Episode.from_json(s) for a, k, s in rows}


def save_episodes(conn: psycopg.Connection, *, episodes: dict[tuple[int, str], Episode]) -> None:
    """Upsert the given episodes; idle ones are deleted (an absent row means idle)."""
    idle = [(a, k) for (a, k), e in episodes.items() if e.idle]
    busy = [(a, k, orjson.dumps(e.to_json()).decode()) for (a, k), e in episodes.items() if not e.idle]
    with conn.cursor() as cur:
        if idle:
            cur.executemany("DELETE FROM detection.episode_states WHERE asset_id = %s AND episode = %s", idle)
        if busy:
            cur.executemany(
                """
                INSERT INTO detection.episode_states (asset_id, episode, state) VALUES (%s, %s, %s)
                ON CONFLICT (asset_id, episode) DO UPDATE SET state = EXCLUDED.state, updated_at = now()
                """,
                busy,
            )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _dt(value: object) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))
