"""Versioned models in detection.models: the fitted object as pickle bytes plus what it was trained on, its
parameters and metrics; one active version per (asset type, kind).  Artifacts are unpickled, so the table must
only be writable by AssetPulse itself (it is: the detector and `assetpulse detect train` write it)."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import psycopg

from service_core.exceptions import NotFound


@dataclass(frozen=True, slots=True)
class StoredModel:
    id: int
    asset_type: str
    kind: str
    version: int
    trained_at: datetime
    training: dict[str, Any]
    parameters: dict[str, Any]
    metrics: dict[str, Any]
    is_active: bool

    @property
    def label(self) -> str:
        return f"{self.asset_type}/{self.kind}/v{self.version}"


_COLUMNS = "id, asset_type, kind, version, trained_at, training, parameters, metrics, is_active"


def save(
    conn: psycopg.Connection,
    *,
    asset_type: str,
    kind: str,
    model: object,
    training: dict[str, Any],
    parameters: dict[str, Any],
    metrics: dict[str, Any],
    activate: bool = True,
) -> StoredModel:
    """Store `model` as the next version of (asset type, kind); make it the active one when `activate`."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('detection.models:' || %s || ':' || %s))", (asset_type, kind))
    row = conn.execute(
        f"""
        INSERT INTO detection.models (asset_type, kind, version, training, parameters, metrics, artifact)
        SELECT %s, %s, coalesce(max(version), 0) + 1, %s, %s, %s, %s
        FROM detection.models WHERE asset_type = %s AND kind = %s
        RETURNING {_COLUMNS}
        """,
        (asset_type, kind, _json(training), _json(parameters), _json(metrics),
         pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL), asset_type, kind),
    ).fetchone()  # fmt: skip
    assert row is not None
    stored = StoredModel(*row)
    return activate_version(conn, model_id=stored.id) if activate else stored


def activate_version(conn: psycopg.Connection, *, model_id: int) -> StoredModel:
    """Make this version the active one of its (asset type, kind); the previous active one is deactivated."""
    row = conn.execute("SELECT asset_type, kind FROM detection.models WHERE id = %s FOR UPDATE", (model_id,)).fetchone()
    if row is None:
        raise NotFound(f"model {model_id} does not exist")
    conn.execute(
        "UPDATE detection.models SET is_active = false WHERE asset_type = %s AND kind = %s AND is_active AND id <> %s",
        (row[0], row[1], model_id),
    )
    updated = conn.execute(
        f"UPDATE detection.models SET is_active = true WHERE id = %s RETURNING {_COLUMNS}", (model_id,)
    ).fetchone()
    assert updated is not None
    return StoredModel(*updated)


def load_active(conn: psycopg.Connection, *, asset_type: str, kind: str) -> tuple[StoredModel, Any] | None:
    """The active version of (asset type, kind) and its unpickled model, or None when there is none."""
    row = conn.execute(
        f"SELECT {_COLUMNS}, artifact FROM detection.models WHERE asset_type = %s AND kind = %s AND is_active",
        (asset_type, kind),
    ).fetchone()
    if row is None:
        return None
    return StoredModel(*row[:-1]), pickle.loads(row[-1])  # noqa: S301 - our own artifacts, see the module doc


def list_versions(conn: psycopg.Connection, *, asset_type: str | None = None) -> list[StoredModel]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM detection.models WHERE %(t)s::text IS NULL OR asset_type = %(t)s "
        "ORDER BY asset_type, kind, version",
        {"t": asset_type},
    ).fetchall()
    return [StoredModel(*r) for r in rows]


def update_metrics(conn: psycopg.Connection, *, model_id: int, metrics: dict[str, Any]) -> None:
    conn.execute("UPDATE detection.models SET metrics = metrics || %s WHERE id = %s", (_json(metrics), model_id))


def _json(value: dict[str, Any]) -> str:
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS).decode()
