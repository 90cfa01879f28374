"""SQL expressions that render rows as JSON inside PostgreSQL, in the same shape pydantic gives the API.

A list page rendered by the server is one text value that the API passes through: no per-column parsing in
psycopg, no model built per row, no second serialization.  Values must then read exactly as pydantic writes them:
timestamps in UTC with a `Z` and the microseconds only when there are some (pydantic's ISO 8601 form); dates,
numbers, text, booleans and nulls are already written alike by both.
"""

from __future__ import annotations

from collections.abc import Iterable

_WITH_FRACTION = '\'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\''
_WHOLE_SECONDS = '\'YYYY-MM-DD"T"HH24:MI:SS"Z"\''


def utc_timestamp(column: str) -> str:
    """`column` (timestamptz) as pydantic writes an aware datetime in UTC, e.g. 2026-11-22T19:37:49.699702Z."""
    return (
        f"to_char({column} AT TIME ZONE 'UTC', CASE WHEN mod(date_part('microseconds', {column})::int, 1000000) = 0 "
        f"THEN {_WHOLE_SECONDS} ELSE {_WITH_FRACTION} END)"
    )


def json_columns(columns: Iterable[str], *, timestamps: Iterable[str]) -> str:
    """A select list of `columns` whose timestamptz members are rendered by `utc_timestamp` under their own name."""
    rendered = set(timestamps)
    return ", ".join(f"{utc_timestamp(c)} AS {c}" if c in rendered else c for c in columns)
