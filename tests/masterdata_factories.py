"""Builders of master data (accounts, locations, resources, assets, leases, catalogue) through the services."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg

from service_core.accounts import locations
from service_core.accounts import service as accounts_service
from service_core.accounts.schemas import AccountCreate, AccountPublic, LocationCreate, LocationPublic
from service_core.assets import lease_service
from service_core.assets import service as assets_service
from service_core.assets.lease_schemas import LeaseCreate, LeasePublic
from service_core.assets.schemas import AssetCreate, AssetPublic
from service_core.resources import service as resources_service
from service_core.resources.schemas import ResourceCreate, ResourcePublic


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make_account(url: str, **fields: Any) -> AccountPublic:
    values: dict[str, Any] = {"number": unique("ACC"), "name": "Acme Cooling", **fields}
    with psycopg.connect(url) as conn:
        return accounts_service.create_account(conn, account_in=AccountCreate(**values), may_set_billing=True)


def make_location(url: str, account_id: int, **fields: Any) -> LocationPublic:
    values: dict[str, Any] = {"name": "Plant", "latitude": 52.5, "longitude": 13.4, "timezone": "Europe/Berlin"}
    with psycopg.connect(url) as conn:
        return locations.add_location(conn, account_id=account_id, location_in=LocationCreate(**{**values, **fields}))


def make_resource(url: str, **fields: Any) -> ResourcePublic:
    values: dict[str, Any] = {"name": "Ada Tech", "home_latitude": 52.5, "home_longitude": 13.4, **fields}
    with psycopg.connect(url) as conn:
        return resources_service.create_resource(conn, resource_in=ResourceCreate(**values))


def make_asset(url: str, account_id: int | None = None, **fields: Any) -> AssetPublic:
    account_id = account_id or make_account(url).id
    values: dict[str, Any] = {"account_id": account_id, "name": "Chiller 1", **fields}
    with psycopg.connect(url) as conn:
        return assets_service.create_asset(conn, asset_in=AssetCreate(**values))


def make_lease(url: str, asset: AssetPublic, *, activate: bool = False, **fields: Any) -> LeasePublic:
    values: dict[str, Any] = {
        "number": unique("L"),
        "asset_id": asset.id,
        "account_id": asset.account_id,
        "start_date": date(2024, 1, 31),
        "end_date": date(2024, 4, 30),
        "periodic_charge": Decimal("300.00"),
        **fields,
    }
    with psycopg.connect(url) as conn:
        lease = lease_service.create_lease(conn, lease_in=LeaseCreate(**values))
        return lease_service.activate(conn, lease_id=lease.id) if activate else lease


def scalar(url: str, query: str, params: tuple[object, ...] = ()) -> Any:
    with psycopg.connect(url) as conn:
        row = conn.execute(query, params).fetchone()
    return None if row is None else row[0]
