"""Who may read which analytics: technicians get the service figures and the backlog, not the books (revenue,
cost, margin, DSO) nor their colleagues' utilization; the office roles get everything."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from service_core.auth.domain import Role
from tests.support.api import headers_for

pytestmark = pytest.mark.integration

SERVICE = ("/analytics/service", "/analytics/backlog")
OFFICE = ("/analytics/utilization", "/analytics/profitability", "/analytics/dso")


def test_technicians_read_service_figures_but_not_money_or_utilization(api: TestClient, database_url: str):
    technician = headers_for(database_url, Role.TECHNICIAN)
    assert [api.get(path, headers=technician).status_code for path in SERVICE] == [200, 200]
    refused = [api.get(path, headers=technician) for path in OFFICE]
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert all("technician" in r.json()["error"]["message"] for r in refused), refused[0].text


@pytest.mark.parametrize("role", [Role.ADMIN, Role.DISPATCHER, Role.FINANCE, Role.VIEWER])
def test_office_roles_read_every_report(api: TestClient, database_url: str, role: Role):
    headers = headers_for(database_url, role)
    assert [api.get(path, headers=headers).status_code for path in SERVICE + OFFICE] == [200] * 5
