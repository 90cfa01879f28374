"""The dashboard's only way to data: the service-core HTTP API, called with the user's own bearer token.

Errors are a small hierarchy: `ApiError` carries the API's own message; `NotAuthenticatedError` (401) means the
login is gone; `ApiUnavailableError` means the API could not be reached or broke.  Nothing here knows Streamlit.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx

log = logging.getLogger(__name__)

Json = dict[str, Any]
Params = Mapping[str, str | int | float | bool | date | datetime | list[int] | list[str] | None]
PAGE_SIZE = 500  # the API's largest page
FLEET_LIMIT = 20_000  # the most assets /assets/fleet-health gives in one answer
DEFAULT_MAX_ITEMS = 5000


class ApiError(Exception):
    """The API refused a request; `message` is the API's own reason, fit to show a user."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class NotAuthenticatedError(ApiError):
    """401: the token is missing, expired or was never valid; the user must log in again."""


class ApiUnavailableError(ApiError):
    """The API could not be reached, timed out, or failed on its side (5xx)."""


@dataclass(frozen=True, slots=True)
class Login:
    access_token: str
    expires_in: int
    role: str
    name: str
    email: str | None


def _query_value(value: object) -> object:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("datetimes sent to the API must be timezone-aware")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def query(params: Params | None) -> dict[str, Any]:
    """Query parameters as the API reads them: None left out, dates in ISO 8601, booleans lower case."""
    return {key: _query_value(value) for key, value in (params or {}).items() if value is not None}


def error_from(response: httpx.Response) -> ApiError:
    """The API's error body (`{"error": {"code", "message"}}`) as an exception of the right kind."""
    try:
        detail = response.json().get("error", {})
        code, message = str(detail.get("code", "http_error")), str(detail.get("message", ""))
    except (ValueError, AttributeError):
        code, message = "http_error", ""
    message = message or response.reason_phrase or f"HTTP {response.status_code}"
    if response.status_code == 401:
        return NotAuthenticatedError(401, code, message)
    if response.status_code >= 500:
        return ApiUnavailableError(response.status_code, code, f"the API failed: {message}")
    return ApiError(response.status_code, code, message)


class ApiClient:
    """Typed calls of the service-core API; every read goes through `get`, which raises `ApiError`s."""

    def __init__(
        self, base_url: str, *, token: str | None = None, timeout: float = 15.0, http: httpx.Client | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._http = http or httpx.Client(timeout=timeout)
        self.timeout = timeout

    # -- transport -------------------------------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        kwargs.setdefault("timeout", self.timeout)
        try:
            response = self._http.request(method, f"{self.base_url}{path}", headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise ApiUnavailableError(0, "unreachable", f"the API at {self.base_url} is unreachable: {exc}") from exc
        if response.is_error:
            raise error_from(response)
        return response

    def get(self, path: str, params: Params | None = None) -> Any:
        """The decoded JSON of GET `path`."""
        return self._request("GET", path, params=query(params)).json()

    def post(self, path: str, body: Json | None = None, *, timeout: float | None = None) -> Any:
        """The decoded JSON of POST `path` with a JSON `body`; `timeout` for calls that take long by design."""
        extra = {} if timeout is None else {"timeout": timeout}
        response = self._request("POST", path, json=body if body is not None else {}, **extra)
        return response.json() if response.content else None

    def get_all(self, path: str, params: Params | None = None, *, max_items: int = DEFAULT_MAX_ITEMS) -> list[Json]:
        """Every item of a paginated list (`{items, total, limit, offset}`), up to `max_items`."""
        items: list[Json] = []
        offset = 0
        while len(items) < max_items:
            page = self.get(path, {**(params or {}), "limit": PAGE_SIZE, "offset": offset})
            batch: list[Json] = page["items"]
            items.extend(batch)
            offset += len(batch)
            if len(batch) < PAGE_SIZE or offset >= int(page["total"]):
                break
        return items[:max_items]

    # -- auth ------------------------------------------------------------------------------------------------------

    def login(self, email: str, password: str) -> Login:
        """Log in with the OAuth2 password flow; the client keeps the token for later calls."""
        response = self._request("POST", "/auth/token", data={"username": email, "password": password})
        token = response.json()
        self.token = str(token["access_token"])
        me = self.me()
        return Login(
            access_token=self.token,
            expires_in=int(token["expires_in"]),
            role=str(me["role"]),
            name=str(me["name"]),
            email=me.get("email"),
        )

    def me(self) -> Json:
        result: Json = self.get("/auth/me")
        return result

    def paths(self) -> frozenset[str]:
        """The route templates the API offers (from its OpenAPI document), e.g. `/work-orders/{work_order_id}`."""
        document: Json = self.get("/openapi.json")
        return frozenset(document.get("paths", {}))

    # -- fleet -----------------------------------------------------------------------------------------------------

    def accounts(self, *, credit_hold: bool | None = None, search: str | None = None) -> list[Json]:
        return self.get_all("/accounts", {"credit_hold": credit_hold, "q": search})

    def locations(self, account_id: int) -> list[Json]:
        result: list[Json] = self.get(f"/accounts/{account_id}/locations")
        return result

    def assets(self, params: Params | None = None) -> list[Json]:
        return self.get_all("/assets", params)

    def fleet_health(self, params: Params | None = None, *, limit: int = FLEET_LIMIT) -> Json:
        """The fleet read model in one call: `{items, total, limit}`, one item per asset with its account, site,
        devices, newest values, open work orders and conditions, health and RUL."""
        result: Json = self.get("/assets/fleet-health", {**(params or {}), "limit": limit})
        return result

    def asset(self, asset_id: int) -> Json:
        result: Json = self.get(f"/assets/{asset_id}")
        return result

    def devices(self, *, tenant: str | None = None) -> list[Json]:
        return self.get_all("/devices", {"tenant": tenant})

    def latest(self, *, asset_id: int | None = None, device_ids: list[int] | None = None) -> list[Json]:
        result: list[Json] = self.get("/telemetry/latest", {"asset_id": asset_id, "device_id": device_ids})
        return result

    def telemetry_window(
        self,
        *,
        device_id: int,
        start: datetime,
        end: datetime,
        resolution: str,
        metrics: list[str] | None = None,
        max_points: int | None = None,
    ) -> list[Json]:
        """One device's window; with `max_points` the API merges buckets so no metric has more points."""
        params: Params = {
            "device_id": device_id, "start": start, "end": end, "resolution": resolution, "max_points": max_points
        }  # fmt: skip
        result: list[Json] = self.get("/telemetry/window", {**params, "metric": metrics})
        return result

    # -- work ------------------------------------------------------------------------------------------------------

    def work_orders(self, params: Params | None = None, *, max_items: int = DEFAULT_MAX_ITEMS) -> list[Json]:
        return self.get_all("/work-orders", params, max_items=max_items)

    def work_order(self, work_order_id: int) -> Json:
        result: Json = self.get(f"/work-orders/{work_order_id}")
        return result

    def work_order_part(self, work_order_id: int, part: str) -> Any:
        """A sub-resource of a work order: `review`, `bookings`, `tasks`, `lines`, `time-entries`, ..."""
        return self.get(f"/work-orders/{work_order_id}/{part}")

    def sla_clock(self, work_order_id: int) -> Json:
        result: Json = self.get(f"/policies/sla/work-orders/{work_order_id}")
        return result

    def bookings(self, params: Params | None = None) -> Any:
        return self.get("/bookings", params)

    def resources(self) -> list[Json]:
        return self.get_all("/resources")

    # -- money and analytics ---------------------------------------------------------------------------------------

    def invoices(self, params: Params | None = None, *, max_items: int = DEFAULT_MAX_ITEMS) -> list[Json]:
        return self.get_all("/invoices", params, max_items=max_items)

    def analytics(self, report: str, params: Params | None = None) -> Json:
        """One analytics report: `service`, `backlog`, `utilization`, `profitability` or `dso`."""
        result: Json = self.get(f"/analytics/{report}", params)
        return result

    # -- actions ---------------------------------------------------------------------------------------------------

    def acknowledge_condition(self, condition_id: int) -> Json:
        result: Json = self.post(f"/conditions/{condition_id}/acknowledge")
        return result

    def snooze_condition(self, condition_id: int, until: datetime) -> Json:
        result: Json = self.post(f"/conditions/{condition_id}/snooze", {"until": _query_value(until)})
        return result

    def link_condition(self, condition_id: int, work_order_id: int) -> Json:
        result: Json = self.post(f"/conditions/{condition_id}/link", {"work_order_id": work_order_id})
        return result

    def open_work_for_condition(self, condition_id: int) -> Json:
        """Work for the condition by the rules: `{condition, work, work_order_id}` (work: open, attach, ...)."""
        result: Json = self.post(f"/conditions/{condition_id}/work-order")
        return result

    def precision(self, *, since: datetime | None = None) -> list[Json]:
        """Alarm precision per failure mode over the conditions raised since `since` (all when None)."""
        result: list[Json] = self.get("/conditions/precision", {"since": since})
        return result

    def optimize_schedule(self, day: date, *, mode: str, time_limit_seconds: float, territory: int | None) -> Json:
        """The optimizer's plan of `day` (mode preview: nothing written; apply: booked)."""
        body: Json = {"day": day.isoformat(), "mode": mode, "time_limit_seconds": time_limit_seconds}
        if territory is not None:
            body["territory"] = territory
        result: Json = self.post("/schedule/optimize", body, timeout=self.timeout + time_limit_seconds * 2)
        return result
