"""Answer with a model serialized once by pydantic-core, or with JSON rendered by PostgreSQL, for the hottest routes.

A route that returns a model makes FastAPI validate it again against the response model before serializing; a
route that declares `response_model=` and returns `model_response(model)` documents the same schema and skips
that second pass (the model was validated when it was built).
"""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel


def model_response(model: BaseModel, *, status_code: int = 200) -> Response:
    return Response(content=model.model_dump_json(), status_code=status_code, media_type="application/json")


def json_response(text: str, *, status_code: int = 200) -> Response:
    """JSON text made elsewhere (by PostgreSQL, in the shape of the route's `response_model`), sent as it is."""
    return Response(content=text.encode(), status_code=status_code, media_type="application/json")
