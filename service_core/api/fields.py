"""Validators shared by the domains' pydantic schemas."""

from __future__ import annotations


def present(value: object) -> object:
    """A PATCH may leave a field out, but may not null a field that cannot be empty."""
    if value is None:
        raise ValueError("may be left out, but not null")
    return value
