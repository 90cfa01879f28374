"""The one place where errors become HTTP answers, all with the same body:

{"error": {"code": "validation_error", "message": "...",
           "fields": [{"field": "start", "location": "query", "reason": "...", "type": "..."}]}}
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
import psycopg_pool
from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from service_core.exceptions import (
    AssetPulseError,
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
)

log = logging.getLogger(__name__)

UNPROCESSABLE = 422  # spelled out: its starlette constant was renamed between versions

# (status, code) per error class; the first match in this order wins, so subclasses go first.
ERROR_STATUS: tuple[tuple[type[AssetPulseError], int, str], ...] = (
    (NotAuthenticated, status.HTTP_401_UNAUTHORIZED, "not_authenticated"),
    (PermissionDenied, status.HTTP_403_FORBIDDEN, "forbidden"),
    (NotFound, status.HTTP_404_NOT_FOUND, "not_found"),
    (Conflict, status.HTTP_409_CONFLICT, "conflict"),
    (InvalidInput, UNPROCESSABLE, "invalid_input"),
    (ServiceUnavailable, status.HTTP_503_SERVICE_UNAVAILABLE, "service_unavailable"),
)
_LOCATIONS = {"body", "query", "path", "header", "cookie"}


class FieldError(BaseModel):
    field: str
    location: str
    reason: str
    type: str


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: list[FieldError] = []


class ErrorBody(BaseModel):
    error: ErrorDetail


def error_response(
    status_code: int,
    code: str,
    message: str,
    *,
    fields: Sequence[FieldError] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(code=code, message=message, fields=list(fields)))
    return JSONResponse(body.model_dump(), status_code=status_code, headers=headers)


def field_errors(errors: Sequence[Any]) -> list[FieldError]:
    """pydantic's error list as one reason per field: `query.start` → field `start`, location `query`."""
    result = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        location = loc[0] if loc and loc[0] in _LOCATIONS else "body"
        path = loc[1:] if loc and loc[0] in _LOCATIONS else loc
        reason = str(err.get("msg", "invalid"))
        result.append(
            FieldError(
                field=".".join(path) or location,
                location=location,
                reason=reason,
                type=str(err.get("type", "value_error")),
            )
        )
    return result


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    for cls, status_code, code in ERROR_STATUS:
        if isinstance(exc, cls):
            headers = {"WWW-Authenticate": "Bearer"} if status_code == status.HTTP_401_UNAUTHORIZED else None
            if status_code >= 500:
                log.warning("%s %s: %s", request.method, request.url.path, exc)
            return error_response(status_code, code, str(exc), headers=headers)
    log.error("unmapped error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(status.HTTP_500_INTERNAL_SERVER_ERROR, "internal_error", "internal error")


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = field_errors(exc.errors())
    message = "; ".join(f"{f.field}: {f.reason}" for f in fields) or "invalid request"
    return error_response(UNPROCESSABLE, "validation_error", message, fields=fields)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {401: "not_authenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}.get(
        exc.status_code, "http_error"
    )
    return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    return error_response(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        "service_unavailable",
        "the database is unavailable",
        headers={"Retry-After": "5"},
    )


async def _database_refused(request: Request, exc: Exception) -> JSONResponse:
    """A value the database would not take (out of range, NUL byte, constraint): the input's fault, not ours."""
    log.info("database refused input on %s %s: %s", request.method, request.url.path, exc)
    if isinstance(exc, psycopg.IntegrityError):
        return error_response(status.HTTP_409_CONFLICT, "conflict", "the request conflicts with stored data")
    return error_response(UNPROCESSABLE, "invalid_input", "a value is out of range or malformed")


async def _database_forbidden(request: Request, exc: Exception) -> JSONResponse:
    """The database role of this request may not touch a table (a customer's read-only, row-scoped role): 403."""
    log.warning("database refused access on %s %s: %s", request.method, request.url.path, exc)
    return error_response(status.HTTP_403_FORBIDDEN, "forbidden", "your role may not read or change these records")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(status.HTTP_500_INTERNAL_SERVER_ERROR, "internal_error", "internal error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AssetPulseError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(psycopg_pool.PoolTimeout, _database_unavailable)
    app.add_exception_handler(psycopg.OperationalError, _database_unavailable)
    app.add_exception_handler(psycopg.DataError, _database_refused)
    app.add_exception_handler(psycopg.IntegrityError, _database_refused)
    app.add_exception_handler(psycopg.errors.InsufficientPrivilege, _database_forbidden)
    app.add_exception_handler(Exception, _unexpected)


Responses = dict[int | str, dict[str, Any]]

ERROR_RESPONSES: Responses = {
    401: {"model": ErrorBody, "description": "Missing, invalid or expired credentials"},
    403: {"model": ErrorBody, "description": "The caller's role may not do this"},
    422: {"model": ErrorBody, "description": "Invalid input, with a reason per field"},
}
