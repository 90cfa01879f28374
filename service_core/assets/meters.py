"""Meter readings of assets: each reading fits between its neighbours in time, so a meter never goes down."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import psycopg
from psycopg import errors
from psycopg.rows import class_row

from service_core.assets import domain
from service_core.assets.schemas import MeterReadingPublic
from service_core.exceptions import Conflict, NotFound

RUN_HOURS = "run_hours"
_COLUMNS = "id, asset_id, meter, value, read_at, source, created_at"


def record(
    conn: psycopg.Connection, *, asset_id: int, meter: str, value: Decimal, read_at: datetime, source: str
) -> MeterReadingPublic:
    """Record a reading; readers of the same asset queue on its row lock, so two cannot both pass the check."""
    if conn.execute("SELECT 1 FROM assets.assets WHERE id = %s FOR UPDATE", (asset_id,)).fetchone() is None:
        raise NotFound(f"asset {asset_id} does not exist")
    earlier, later = _neighbours(conn, asset_id, meter, read_at)
    if (problem := domain.meter_problem(value, earlier=earlier, later=later)) is not None:
        raise Conflict(f"{meter}: {problem}")
    try:
        with conn.transaction(), conn.cursor(row_factory=class_row(MeterReadingPublic)) as cur:
            reading = cur.execute(
                f"INSERT INTO assets.meter_readings (asset_id, meter, value, read_at, source) "
                f"VALUES (%s, %s, %s, %s, %s) RETURNING {_COLUMNS}",
                (asset_id, meter, value, read_at, source),
            ).fetchone()
    except errors.UniqueViolation as exc:
        raise Conflict(f"{meter} of asset {asset_id} already has a reading at {read_at.isoformat()}") from exc
    assert reading is not None
    if meter == RUN_HOURS and later is None:
        conn.execute("UPDATE assets.assets SET run_hours = %s, updated_at = now() WHERE id = %s", (value, asset_id))
    return reading


def readings(
    conn: psycopg.Connection, *, asset_id: int, meter: str | None, limit: int, offset: int
) -> tuple[list[MeterReadingPublic], int]:
    """One page of the asset's readings, newest first, and how many there are."""
    if conn.execute("SELECT 1 FROM assets.assets WHERE id = %s", (asset_id,)).fetchone() is None:
        raise NotFound(f"asset {asset_id} does not exist")
    params = {"a": asset_id, "m": meter, "limit": limit, "offset": offset}
    where = "WHERE asset_id = %(a)s AND (%(m)s::text IS NULL OR meter = %(m)s)"
    total = conn.execute(f"SELECT count(*) FROM assets.meter_readings {where}", params).fetchone()
    with conn.cursor(row_factory=class_row(MeterReadingPublic)) as cur:
        cur.execute(
            f"SELECT {_COLUMNS} FROM assets.meter_readings {where} "
            "ORDER BY read_at DESC, id DESC LIMIT %(limit)s OFFSET %(offset)s",
            params,
        )
        return cur.fetchall(), int(total[0]) if total else 0


def _neighbours(
    conn: psycopg.Connection, asset_id: int, meter: str, read_at: datetime
) -> tuple[Decimal | None, Decimal | None]:
    """The values read just before and just after `read_at`."""
    row = conn.execute(
        """
        SELECT (SELECT value FROM assets.meter_readings
                WHERE asset_id = %(a)s AND meter = %(m)s AND read_at < %(t)s ORDER BY read_at DESC LIMIT 1),
               (SELECT value FROM assets.meter_readings
                WHERE asset_id = %(a)s AND meter = %(m)s AND read_at > %(t)s ORDER BY read_at LIMIT 1)
        """,
        {"a": asset_id, "m": meter, "t": read_at},
    ).fetchone()
    assert row is not None
    return row[0], row[1]
