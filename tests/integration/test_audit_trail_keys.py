"""The audit trigger: who, which record (by id, or by the primary key's values for tables keyed otherwise), and
what changed, for inserts, updates and deletes."""

from __future__ import annotations

import psycopg
import pytest

pytestmark = pytest.mark.integration


def _changes(conn: psycopg.Connection, table: str) -> list[tuple[str, str, str, dict]]:
    return conn.execute(
        "SELECT actor, record_id, action, changed FROM audit.changes WHERE table_name = %s ORDER BY id", (table,)
    ).fetchall()


def test_rows_are_keyed_by_id_or_by_their_primary_key(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute("SELECT set_config('assetpulse.actor', 'user:7', true)")
        (calendar_id,) = conn.execute(
            "INSERT INTO policy.calendars (name, timezone) VALUES ('Plant', 'Europe/Amsterdam') RETURNING id"
        ).fetchone()
        conn.execute("UPDATE policy.calendars SET name = 'Plant hours' WHERE id = %s", (calendar_id,))
        conn.execute("UPDATE policy.calendars SET name = 'Plant hours' WHERE id = %s", (calendar_id,))  # no change
        conn.execute(
            "INSERT INTO policy.holidays (calendar_id, day, name) VALUES (%s, '2026-12-25', 'Christmas')",
            (calendar_id,),
        )
        conn.execute("DELETE FROM policy.holidays WHERE calendar_id = %s", (calendar_id,))

        calendars = _changes(conn, "policy.calendars")
        assert [(a, r, act) for a, r, act, _ in calendars] == [
            ("user:7", str(calendar_id), "insert"),
            ("user:7", str(calendar_id), "update"),
        ]
        assert calendars[0][3]["timezone"] == "Europe/Amsterdam"
        assert calendars[1][3] == {"name": ["Plant", "Plant hours"]}

        holidays = _changes(conn, "policy.holidays")
        assert [(r, act) for _, r, act, _ in holidays] == [
            (f"{calendar_id}/2026-12-25", "insert"),
            (f"{calendar_id}/2026-12-25", "delete"),
        ]
        assert holidays[1][3]["name"] == "Christmas"


def test_changes_outside_the_api_name_the_database_role(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        (calendar_id,) = conn.execute("INSERT INTO policy.calendars (name) VALUES ('Night') RETURNING id").fetchone()
        [(actor, record_id, action, _)] = _changes(conn, "policy.calendars")
        assert (actor, record_id, action) == (f"db:{conn.info.user}", str(calendar_id), "insert")
