"""Answer with a model serialized once by pydantic-core, or with plain rows written by orjson, for the hottest routes.

A route that returns a model makes FastAPI validate it again against the response model before serializing; a
route that declares `response_model=` and returns `model_response(model)` documents the same schema and skips
that second pass (the model was validated when it was built).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
from fastapi import Response
from pydantic import BaseModel


def model_response(model: BaseModel, *, status_code: int = 200) -> Response:
    return Response(content=model.model_dump_json(), status_code=status_code, media_type="application/json")


def rows_response(content: dict[str, Any] | list[Any], *, status_code: int = 200) -> Response:
    """Plain values read from the database (str, int, float, bool, None, date, datetime in UTC, Decimal, lists and
    dicts of them), written by orjson in the shape of the route's `response_model` and exactly as pydantic would
    write them (`Z` for UTC, microseconds only when there are some, Decimal as a string): for the hottest lists,
    where building and dumping a model per row costs more than the query."""
    return Response(
        content=orjson.dumps(content, default=_as_json, option=orjson.OPT_UTC_Z),
        status_code=status_code,
        media_type="application/json",
    )


def _as_json(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not a plain database value")
