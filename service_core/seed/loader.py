"""Write the planned company's master data through the domain services, so every rule holds for it.

The caller owns the transaction (one for the whole company).  `Ids` maps the plan's keys to the stored ids.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field

import psycopg

from service_core.accounts import locations as account_locations
from service_core.accounts import service as accounts_service
from service_core.accounts.schemas import AccountCreate, ContactCreate, LocationCreate
from service_core.assets import lease_service
from service_core.assets import service as assets_service
from service_core.assets.lease_schemas import LeaseCreate
from service_core.assets.schemas import AssetCreate, AssetTypeCreate
from service_core.auth import service as auth_service
from service_core.auth.domain import Principal, Role
from service_core.auth.schemas import UserCreate
from service_core.catalog import service as catalog_service
from service_core.catalog.schemas import ItemCreate, PriceListCreate
from service_core.exceptions import Conflict
from service_core.resources import catalogs as resource_catalogs
from service_core.resources import service as resources_service
from service_core.resources.schemas import (
    ResourceCreate,
    ResourceSkillIn,
    ShiftIn,
    SkillCreate,
    TerritoryCreate,
    TimeOffCreate,
)
from service_core.seed.model import AccountPlan, Company
from service_core.seed.vocabulary import ASSET_KINDS, CURRENCY, ITEMS, SKILLS, TIMEZONE

log = logging.getLogger(__name__)

SEED_LOCK = 0x53454544  # "SEED": one seeding at a time
STANDARD_LIST = "Standard"
PREMIUM_LIST = "Premium"


@dataclass(frozen=True, slots=True)
class Login:
    email: str
    role: str
    password: str


@dataclass
class Ids:
    """Database ids of what the plan names by key."""

    dispatcher: Principal | None = None
    finance: Principal | None = None
    technicians: list[int] = field(default_factory=list)
    tech_principals: list[Principal] = field(default_factory=list)
    territories: list[int] = field(default_factory=list)
    skills: dict[str, int] = field(default_factory=dict)
    items: dict[str, int] = field(default_factory=dict)
    price_lists: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, int] = field(default_factory=dict)
    locations: dict[int, int] = field(default_factory=dict)
    asset_types: dict[str, int] = field(default_factory=dict)
    assets: dict[int, int] = field(default_factory=dict)
    calendars: dict[str, int] = field(default_factory=dict)
    incident_types: dict[str, int] = field(default_factory=dict)
    agreements: dict[str, int] = field(default_factory=dict)
    logins: list[Login] = field(default_factory=list)


def existing_company(conn: psycopg.Connection) -> int:
    """How many accounts the database holds already (a seeded or real company: seeding refuses then)."""
    row = conn.execute("SELECT count(*) FROM crm.accounts").fetchone()
    return int(row[0]) if row else 0


def claim_empty_database(conn: psycopg.Connection) -> None:
    """Serialise seeders, then refuse (`Conflict`) a database that already has a company."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (SEED_LOCK,))
    if (accounts := existing_company(conn)) > 0:
        raise Conflict(
            f"the database already has a company ({accounts} accounts): 'seed demo' only fills an empty one, "
            "so nothing was changed"
        )


def _user(conn: psycopg.Connection, ids: Ids, *, email: str, name: str, role: Role) -> Principal:
    password = "Seed-" + secrets.token_urlsafe(12)
    user = auth_service.create_user(conn, user_in=UserCreate(email=email, full_name=name, password=password, role=role))
    ids.logins.append(Login(email, role.value, password))
    return Principal(kind="user", id=user.id, name=name, role=role, email=email)


def load_people(conn: psycopg.Connection, company: Company, ids: Ids) -> None:
    """Territories, skills, the dispatcher and finance logins, and technicians with their logins."""
    ids.territories = [
        resource_catalogs.create_territory(conn, territory_in=TerritoryCreate(name=name)).id
        for name, _, _ in company.territories
    ]
    for code, name in SKILLS:
        ids.skills[code] = resource_catalogs.create_skill(conn, skill_in=SkillCreate(code=code, name=name)).id
    ids.dispatcher = _user(conn, ids, email=company.dispatcher_email, name="Demo dispatcher", role=Role.DISPATCHER)
    ids.finance = _user(conn, ids, email=company.finance_email, name="Demo finance", role=Role.FINANCE)
    for tech in company.technicians:
        principal = _user(conn, ids, email=tech.email, name=tech.name, role=Role.TECHNICIAN)
        resource = resources_service.create_resource(
            conn,
            resource_in=ResourceCreate(
                name=tech.name, user_id=principal.id, territory_id=ids.territories[tech.territory],
                home_latitude=tech.home[0], home_longitude=tech.home[1], timezone=TIMEZONE,
                hourly_cost=tech.hourly_cost, hourly_bill_rate=tech.hourly_bill_rate,
            ),
        )  # fmt: skip
        skills = [ResourceSkillIn(skill_id=ids.skills[c], proficiency=p) for c, p in tech.skills]
        resources_service.replace_skills(conn, resource_id=resource.id, skills_in=skills)
        shifts = [ShiftIn(weekday=s.weekday, start_time=s.start, end_time=s.end, break_minutes=s.break_minutes)
                  for s in tech.shifts]  # fmt: skip
        resources_service.replace_working_hours(conn, resource_id=resource.id, shifts_in=shifts)
        for start, end, reason in tech.time_off:
            time_off_in = TimeOffCreate(start_at=start, end_at=end, reason=reason)
            resources_service.add_time_off(conn, resource_id=resource.id, time_off_in=time_off_in)
        ids.technicians.append(resource.id)
        ids.tech_principals.append(principal)


def load_catalog(conn: psycopg.Connection, ids: Ids) -> None:
    """Parts, labour and travel items; the default (standard) price list and a premium one."""
    standard = PriceListCreate(name=STANDARD_LIST, currency=CURRENCY, minimum_charge=95, is_default=True)
    premium = PriceListCreate(name=PREMIUM_LIST, currency=CURRENCY, minimum_charge=150)
    ids.price_lists[STANDARD_LIST] = catalog_service.create_price_list(conn, price_list_in=standard).id
    ids.price_lists[PREMIUM_LIST] = catalog_service.create_price_list(conn, price_list_in=premium).id
    for spec in ITEMS:
        item_in = ItemCreate(
            sku=spec.sku, name=spec.name, kind=spec.kind, unit=spec.unit, unit_cost=spec.cost, unit_price=spec.price
        )
        item_id = catalog_service.create_item(conn, item_in=item_in).id
        ids.items[spec.sku] = item_id
        catalog_service.set_item_price(
            conn, price_list_id=ids.price_lists[STANDARD_LIST], item_id=item_id, unit_price=spec.price
        )
        catalog_service.set_item_price(
            conn,
            price_list_id=ids.price_lists[PREMIUM_LIST],
            item_id=item_id,
            unit_price=spec.premium_price or spec.price,
        )


def load_accounts(conn: psycopg.Connection, company: Company, ids: Ids) -> None:
    """Accounts (payers first), their contacts and service locations."""
    for account in sorted(company.accounts, key=lambda a: a.payer is not None):
        stored = accounts_service.create_account(conn, account_in=_account_in(account, ids), may_set_billing=True)
        ids.accounts[account.number] = stored.id
        for c in account.contacts:
            contact_in = ContactCreate(name=c.name, email=c.email, phone=c.phone, role=c.role, is_primary=c.is_primary)
            account_locations.add_contact(conn, account_id=stored.id, contact_in=contact_in)
        for loc in account.locations:
            location_in = LocationCreate(
                name=loc.name, address=loc.address, latitude=loc.latitude, longitude=loc.longitude,
                timezone=TIMEZONE, territory_id=ids.territories[loc.territory],
            )  # fmt: skip
            ids.locations[loc.key] = account_locations.add_location(
                conn, account_id=stored.id, location_in=location_in
            ).id


def _account_in(account: AccountPlan, ids: Ids) -> AccountCreate:
    return AccountCreate(
        number=account.number,
        name=account.name,
        kind=account.kind,
        billing_account_id=ids.accounts[account.payer] if account.payer else None,
        currency=CURRENCY,
        payment_terms_days=account.payment_terms_days,
        tax_rate=account.tax_rate,
        credit_limit=account.credit_limit,
        price_list_id=ids.price_lists[PREMIUM_LIST] if account.premium else None,
        email=account.email,
        phone=account.phone,
    )


def load_assets(conn: psycopg.Connection, company: Company, ids: Ids) -> None:
    """Asset types of the simulator's devices, the asset hierarchy, run-hour readings, activated leases."""
    for kind in ASSET_KINDS:
        type_in = AssetTypeCreate(code=kind.code, name=kind.name)
        ids.asset_types[kind.code] = assets_service.create_asset_type(conn, asset_type_in=type_in).id
    for a in company.assets:  # parents come before their children
        asset_in = AssetCreate(
            account_id=ids.accounts[a.account],
            location_id=ids.locations[a.location] if a.location is not None else None,
            parent_id=ids.assets[a.parent] if a.parent is not None else None,
            level=a.level,
            asset_type_id=ids.asset_types[a.type_code] if a.type_code else None,
            name=a.name, model=a.model, serial_number=a.serial, install_date=a.install_date,
            warranty_end=a.warranty_end, criticality=a.criticality,
        )  # fmt: skip
        ids.assets[a.key] = assets_service.create_asset(conn, asset_in=asset_in).id
        if a.level == "asset":  # the meter as read at the start of the history; jobs and telemetry add more
            assets_service.record_meter_reading(
                conn, asset_id=ids.assets[a.key], meter="run_hours", value=a.run_hours_at_start,
                read_at=company.history_start, source="manual",
            )  # fmt: skip
    for lease in company.leases:
        lease_in = LeaseCreate(
            number=lease.number, asset_id=ids.assets[lease.asset], account_id=ids.accounts[lease.account],
            start_date=lease.start_date, end_date=lease.end_date, period_months=lease.period_months,
            periodic_charge=lease.periodic_charge, deposit=lease.deposit, buyout_price=lease.buyout_price,
        )  # fmt: skip
        stored = lease_service.create_lease(conn, lease_in=lease_in)
        lease_service.activate(conn, lease_id=stored.id)
