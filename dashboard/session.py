"""The user's session in Streamlit: the token and role, the API client made from them, and errors shown as
messages (a 401 logs the user out and sends them back to the login form; never a stack trace)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import httpx
import streamlit as st

from dashboard.api_client import ApiClient, ApiError, ApiUnavailableError, Login, NotAuthenticatedError
from dashboard.settings import DashboardSettings

log = logging.getLogger(__name__)

T = TypeVar("T")

TOKEN, ROLE, NAME, PATHS, NOTICE = "token", "role", "user_name", "api_paths", "login_notice"
ACTING_ROLES = frozenset({"admin", "dispatcher"})  # the roles the API lets act on conditions and the schedule


def settings() -> DashboardSettings:
    """Read each run (cheap), so a changed environment is seen without restarting."""
    return DashboardSettings()


@st.cache_resource
def _http(timeout: float) -> httpx.Client:
    """One connection pool for the whole dashboard process; each call carries its user's own token."""
    return httpx.Client(timeout=timeout)


def client() -> ApiClient:
    config = settings()
    return client_for(config.api_url, st.session_state.get(TOKEN), config.api_timeout_seconds)


def client_for(api_url: str, token: str | None, timeout: float) -> ApiClient:
    """A client of `api_url` with `token` on the process's shared connection pool (also for cached reads)."""
    return ApiClient(api_url, token=token or None, timeout=timeout, http=_http(timeout))


def logged_in() -> bool:
    return bool(st.session_state.get(TOKEN))


def role() -> str:
    return str(st.session_state.get(ROLE, ""))


def log_in(email: str, password: str) -> Login:
    """Log in at the API; the token, role and the API's route list go into the session."""
    api = client()
    login = api.login(email, password)
    st.session_state[TOKEN] = login.access_token
    st.session_state[ROLE] = login.role
    st.session_state[NAME] = login.name
    st.session_state[PATHS] = api.paths()
    st.session_state.pop(NOTICE, None)
    return login


def log_out(notice: str | None = None) -> None:
    for key in [TOKEN, ROLE, NAME, PATHS, *(k for k in st.session_state if str(k).startswith("cache:"))]:
        st.session_state.pop(key, None)
    if notice:
        st.session_state[NOTICE] = notice


def offered(path: str) -> bool:
    """Whether the API offers this route template (some domains arrive later than the dashboard)."""
    paths: frozenset[str] = st.session_state.get(PATHS, frozenset())
    return path in paths


def first_offered(*paths: str) -> str | None:
    """The first of `paths` the API offers (a route that may live at one of several places), else None."""
    return next((path for path in paths if offered(path)), None)


def require_route(path: str, what: str) -> bool:
    """True when the API offers `path`; otherwise say so on the page (no data is made up) and return False."""
    if offered(path):
        return True
    st.info(f"{what}: not available yet - this API does not offer `GET {path}`.")
    return False


def attempt(call: Callable[[], T]) -> T | None:
    """The result of an API call, or None after showing why it failed.

    401 logs out and reruns to the login form; another refusal shows the API's own message.
    """
    try:
        return call()
    except NotAuthenticatedError as exc:
        log_out(f"Your session ended ({exc.message}); please log in again.")
        st.rerun()
    except ApiUnavailableError as exc:
        log.warning("API unavailable: %s", exc)
        st.error(exc.message)
    except ApiError as exc:
        if exc.status == 403:
            st.warning(f"Your role may not see this: {exc.message}")
        else:
            st.error(f"The API refused this ({exc.status}): {exc.message}")
    return None


def may_act() -> bool:
    """Whether the user's role may act (acknowledge, link, optimize); the API still decides each request."""
    return role() in ACTING_ROLES


def act(slot: str, call: Callable[[], T], success: Callable[[T], str]) -> T | None:
    """Run an action (a POST) from a button's callback; what came of it is kept under `slot` for `show_outcome`.

    A refusal keeps the API's own reason (403: the role may not; other 4xx: why not); a 401 logs out.
    """
    try:
        result = call()
    except NotAuthenticatedError as exc:
        log_out(f"Your session ended ({exc.message}); please log in again.")
        return None
    except ApiUnavailableError as exc:
        log.warning("API unavailable: %s", exc)
        st.session_state[f"outcome:{slot}"] = ("error", exc.message)
    except ApiError as exc:
        if exc.status == 403:
            st.session_state[f"outcome:{slot}"] = ("warning", f"Your role may not do this: {exc.message}")
        else:
            st.session_state[f"outcome:{slot}"] = ("error", f"The API refused this ({exc.status}): {exc.message}")
    else:
        st.session_state[f"outcome:{slot}"] = ("success", success(result))
        return result
    return None


def show_outcome(slot: str) -> None:
    """Show (once) what the last action under `slot` came to."""
    held: tuple[str, str] | None = st.session_state.pop(f"outcome:{slot}", None)
    if held is None:
        return
    kind, message = held
    {"success": st.success, "warning": st.warning, "error": st.error}[kind](message)


def updated_stamp() -> str:
    """When a live part was last read, and how often it is read again."""
    return f"Updated at {datetime.now(UTC):%H:%M:%S} UTC; refreshes every {settings().refresh_seconds} s"


def remember(key: str, seconds: float, call: Callable[[], T]) -> T | None:
    """`attempt(call)`, kept in this user's session for `seconds` (for slow-changing lists: accounts, sites)."""
    slot = f"cache:{key}"
    held: tuple[float, T] | None = st.session_state.get(slot)
    now = time.monotonic()
    if held is not None and now - held[0] < seconds:
        return held[1]
    value = attempt(call)
    if value is not None:
        st.session_state[slot] = (now, value)
    return value
