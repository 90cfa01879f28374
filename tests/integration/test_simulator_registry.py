"""The simulator registers its fleet in the device registry (one transaction), so the ingestor accepts it."""

from __future__ import annotations

import pytest

from service_core.db.connection import connect
from service_core.devices import service as device_service
from simulators.plan import plan_fleet
from simulators.registry import register_devices
from simulators.scenarios import load_scenario

pytestmark = pytest.mark.integration


def test_fleet_devices_are_registered_with_their_types_and_again_without_duplicates(
    database_url: str, tenant: str
) -> None:
    plan = plan_fleet(load_scenario("default"))
    fleet = [(d.key, d.asset_type) for d in plan.devices]
    assert register_devices(database_url, tenant=tenant, devices=fleet) == len(fleet)
    assert register_devices(database_url, tenant=tenant, devices=fleet) == len(fleet)
    with connect(database_url) as conn:
        registered = device_service.list_devices(conn, tenant=tenant)
    assert sorted((d.device_key, d.device_type) for d in registered) == sorted(fleet)
