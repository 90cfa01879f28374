"""Fixtures the API integration tests share: the app over this test's own database, and the headers of a fresh
user of each common role (a token issued directly, no login).  A module may still define its own fixture of the
same name; pytest then uses the module's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service_core.auth.domain import Role
from tests.support.api import api_client, headers_for


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    with api_client(database_url) as client:
        yield client


@pytest.fixture
def viewer(database_url: str) -> dict[str, str]:
    return headers_for(database_url, Role.VIEWER)


@pytest.fixture
def dispatcher(database_url: str) -> dict[str, str]:
    return headers_for(database_url, Role.DISPATCHER)


@pytest.fixture
def admin(database_url: str) -> dict[str, str]:
    return headers_for(database_url, Role.ADMIN)


@pytest.fixture
def finance(database_url: str) -> dict[str, str]:
    return headers_for(database_url, Role.FINANCE)
