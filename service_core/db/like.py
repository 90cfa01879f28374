"""Search text for SQL `LIKE`/`ILIKE`: the user's `%`, `_` and `\\` match themselves, not as wildcards."""

from __future__ import annotations


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains_pattern(search: str | None) -> str | None:
    """A pattern matching any text that contains `search` literally; None stays None (no filter)."""
    return None if search is None else f"%{escape_like(search)}%"
