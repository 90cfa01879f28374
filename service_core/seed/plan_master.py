"""Master data of the demo company: technicians, accounts with contacts and locations, assets, leases, agreements.

Pure: every function takes the seeded `random.Random` and returns plain data (see `model`).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from service_core.assets.lease_domain import add_months
from service_core.seed.model import (
    AccountPlan,
    AgreementPlan,
    AssetPlan,
    ContactPlan,
    LeasePlan,
    LocationPlan,
    PmPlanPlan,
    ShiftPlan,
    TechnicianPlan,
)
from service_core.seed.vocabulary import (
    ASSET_KINDS,
    COMPANY_PREFIXES,
    COMPANY_SUFFIXES,
    EMAIL_DOMAIN,
    FIRST_NAMES,
    LAST_NAMES,
    PM_INCIDENT,
    REGION,
    SITE_NAMES,
    SKILLS,
    STREETS,
    TERRITORIES,
    TIMEZONE,
)

ZONE = ZoneInfo(TIMEZONE)
_SHIFT_PATTERNS = ((time(7, 30), time(16, 30), 30), (time(8, 0), time(17, 0), 45), (time(7, 30), time(16, 0), 30))
_KIND_WEIGHTS = (40, 20, 25, 15)  # pump, compressor, chiller, generator


def _near(rng: random.Random, lat: float, lon: float, spread: float) -> tuple[float, float]:
    south, west, north, east = REGION
    la = min(north, max(south, lat + rng.uniform(-spread, spread)))
    lo = min(east, max(west, lon + rng.uniform(-1.6 * spread, 1.6 * spread)))
    return round(la, 6), round(lo, 6)


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, 2))).quantize(Decimal("0.01"))


def _slug(text: str) -> str:
    return "".join(c for c in text.lower().replace(" ", "-") if c.isalnum() or c == "-")


def technicians(rng: random.Random, count: int, now: datetime) -> tuple[TechnicianPlan, ...]:
    """Technicians spread over the territories; every skill is held by at least two of them."""
    names = rng.sample([(f, last) for f in FIRST_NAMES for last in LAST_NAMES], count)
    codes = [code for code, _ in SKILLS]
    planned = []
    for i, (first, last) in enumerate(names):
        territory = i % len(TERRITORIES)
        _, lat, lon = TERRITORIES[territory]
        held = {codes[i % len(codes)], codes[(i + 3) % len(codes)], *rng.sample(codes, rng.randint(0, 2))}
        start, end, pause = _SHIFT_PATTERNS[i % len(_SHIFT_PATTERNS)]
        shifts = [ShiftPlan(day, start, end, pause) for day in range(5)]
        if i % 5 == 0:
            shifts.append(ShiftPlan(5, time(8, 0), time(12, 0), 0))
        planned.append(
            TechnicianPlan(
                name=f"{first} {last}",
                email=f"{_slug(first)}.{_slug(last.replace(' ', ''))}@{EMAIL_DOMAIN}",
                territory=territory,
                home=_near(rng, lat, lon, 0.02),
                skills=tuple(sorted((code, rng.randint(2, 5)) for code in held)),
                shifts=tuple(shifts),
                time_off=_time_off(rng, now),
                hourly_cost=_money(rng.uniform(38, 55)),
                hourly_bill_rate=_money(rng.uniform(85, 110)),
            )
        )
    return tuple(planned)


def _time_off(rng: random.Random, now: datetime) -> tuple[tuple[datetime, datetime, str], ...]:
    """Zero to two spells of whole local days off, in the past months or the coming weeks."""
    spells: list[tuple[datetime, datetime, str]] = []
    for _ in range(rng.choice((0, 1, 1, 2))):
        first = now.astimezone(ZONE).date() + timedelta(days=rng.randint(-100, 30))
        days = rng.randint(1, 5)
        start = datetime.combine(first, time(0), ZONE).astimezone(UTC)
        end = datetime.combine(first + timedelta(days=days), time(0), ZONE).astimezone(UTC)
        if all(end <= s or start >= e for s, e, _ in spells):
            spells.append((start, end, rng.choice(("holiday", "training", "sick leave"))))
    return tuple(sorted(spells))


def accounts(rng: random.Random, count: int) -> tuple[AccountPlan, ...]:
    """`count` accounts: a few billing-only head offices paying for two or three sites each, the rest both."""
    names = rng.sample([f"{p} {s}" for p in COMPANY_PREFIXES for s in COMPANY_SUFFIXES], count)
    payers = max(1, count // 12)
    planned: list[AccountPlan] = []
    location_key = 0
    for i, drawn in enumerate(names):
        number, name = f"C-{1001 + i}", drawn
        kind, payer = "both", None
        if i < payers:
            kind, name = "billing", f"{drawn.split()[0]} Holding B.V."
        elif i < 3 * payers:
            kind, payer = "service", f"C-{1001 + (i - payers) % payers}"
        locations = []
        for j in range(0 if kind == "billing" else rng.choice((1, 1, 2, 2, 3))):
            territory = rng.randrange(len(TERRITORIES))
            _, lat, lon = TERRITORIES[territory]
            la, lo = _near(rng, lat, lon, 0.025)
            street = f"{rng.choice(STREETS)} {rng.randint(1, 240)}"
            postcode = f"{rng.randint(3011, 3089)} {rng.choice('ABCDEGHJKLMNPRST')}{rng.choice('ABCDEGHJKLMNPRST')}"
            site = "Main site" if j == 0 else rng.choice(("Distribution centre", "Workshop", "Annex", "Depot"))
            locations.append(
                LocationPlan(location_key, f"{name} - {site}", f"{street}, {postcode} Rotterdam", la, lo, territory)
            )
            location_key += 1
        planned.append(_account(rng, (number, name, kind, payer), tuple(locations), last=i == count - 1))
    return tuple(planned)


def _account(
    rng: random.Random, who: tuple[str, str, str, str | None], locations: tuple[LocationPlan, ...], *, last: bool
) -> AccountPlan:
    """`who`: number, name, kind and payer of the account."""
    number, name, kind, payer = who
    domain = f"{_slug(name).replace('-b.v.', '').replace('.', '')}.example"
    first, surname = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    contacts = [ContactPlan(f"{first} {surname}", f"{_slug(first)}@{domain}", _phone(rng), "facilities manager", True)]
    if kind != "service" and rng.random() < 0.6:
        contacts.append(ContactPlan("Accounts payable", f"invoices@{domain}", _phone(rng), "accounts payable", False))
    return AccountPlan(
        number=number,
        name=name,
        kind=kind,
        payer=payer,
        payment_terms_days=rng.choice((15, 30, 30, 30, 45)),
        tax_rate=Decimal("0") if last else rng.choice((Decimal("0.21"),) * 8 + (Decimal("0.09"),)),
        credit_limit=rng.choice((None, None, Decimal(10000), Decimal(25000), Decimal(50000), Decimal(100000))),
        premium=rng.random() < 0.2,
        email=f"service@{domain}",
        phone=_phone(rng),
        contacts=tuple(contacts),
        locations=locations,
    )


def _phone(rng: random.Random) -> str:
    return f"+31 10 {rng.randint(200, 899)} {rng.randint(1000, 9999)}"


def assets(
    rng: random.Random, planned_accounts: tuple[AccountPlan, ...], count: int, today: date
) -> tuple[AssetPlan, ...]:
    """`count` pieces of equipment over the locations; sites above some, components below some."""
    places = [(a, loc) for a in planned_accounts for loc in a.locations]
    weights = [rng.randint(1, 6) for _ in places]
    per_place: dict[int, int] = defaultdict(int)
    for index in rng.choices(range(len(places)), weights=weights, k=count):
        per_place[index] += 1
    rows: list[AssetPlan] = []
    for index in sorted(per_place):
        account, location = places[index]
        site = None
        if per_place[index] >= 3 and rng.random() < 0.4:
            site = len(rows)
            rows.append(_site(rng, site, account.number, location))
        for _ in range(per_place[index]):
            equipment = _equipment(rng, len(rows), place=(account.number, location.key, site), today=today)
            rows.append(equipment)
            if rng.random() < 0.15:
                rows.extend(_components(rng, equipment, len(rows)))
    return tuple(rows)


def _site(rng: random.Random, key: int, account: str, location: LocationPlan) -> AssetPlan:
    return AssetPlan(key, account, location.key, None, "site", None, f"{rng.choice(SITE_NAMES)}, {location.name}"[:200],
                     "", None, None, None, "medium", Decimal(0), Decimal(0))  # fmt: skip


def _equipment(rng: random.Random, key: int, *, place: tuple[str, int, int | None], today: date) -> AssetPlan:
    """Equipment at `place` (account number, location key, site key or None)."""
    account, location, site = place
    kind = rng.choices(ASSET_KINDS, weights=_KIND_WEIGHTS)[0]
    install = today - timedelta(days=rng.randint(150, 4000))
    low, high = kind.hours_per_day
    per_day = Decimal(str(round(rng.uniform(low, high), 1)))
    age_days = (today - install).days
    return AssetPlan(
        key=key,
        account=account,
        location=location,
        parent=site,
        level="asset",
        type_code=kind.code,
        name=f"{kind.name} {kind.prefix}-{key + 1:04d}",
        model=rng.choice(kind.models),
        serial=f"{kind.prefix}{install.year}-{key:05d}",
        install_date=install,
        warranty_end=install + timedelta(days=730),
        criticality=rng.choices(("low", "medium", "high", "critical"), weights=(15, 50, 25, 10))[0],
        run_hours_at_start=(per_day * Decimal(max(0, age_days - 150)) * Decimal("0.9")).quantize(Decimal("0.1")),
        hours_per_day=per_day,
    )


def _components(rng: random.Random, equipment: AssetPlan, first_key: int) -> list[AssetPlan]:
    kind = next(k for k in ASSET_KINDS if k.code == equipment.type_code)
    parts = rng.sample(kind.components, rng.randint(1, 2))
    return [
        replace(
            equipment,
            key=first_key + i,
            parent=equipment.key,
            level="component",
            type_code=None,
            name=f"{part} of {equipment.name}",
            model="",
            serial=None,
            warranty_end=None,
            run_hours_at_start=Decimal(0),
            hours_per_day=Decimal(0),
        )
        for i, part in enumerate(parts)
    ]


def equipment_of(planned_assets: tuple[AssetPlan, ...]) -> list[AssetPlan]:
    return [a for a in planned_assets if a.level == "asset"]


def leases(
    rng: random.Random, planned_accounts: tuple[AccountPlan, ...], planned_assets: tuple[AssetPlan, ...], today: date
) -> tuple[LeasePlan, ...]:
    """About 15% of the equipment is leased to whoever pays for its account, running past today."""
    payer = {a.number: a.pays for a in planned_accounts}
    equipment = equipment_of(planned_assets)
    leased = sorted(rng.sample(equipment, max(1, round(0.15 * len(equipment)))), key=lambda a: a.key)
    rows = []
    for i, asset in enumerate(leased):
        kind = next(k for k in ASSET_KINDS if k.code == asset.type_code)
        start = today - timedelta(days=rng.randint(20, 240))
        months = rng.choice((1, 3, 3))
        monthly = Decimal(5 * round(rng.randint(*kind.lease_charge) / 5))
        rows.append(
            LeasePlan(
                number=f"L-{2001 + i}",
                asset=asset.key,
                account=payer[asset.account],
                start_date=start,
                end_date=add_months(start, rng.choice((36, 48, 60))),
                period_months=months,
                periodic_charge=monthly * months,
                deposit=monthly * 2 if rng.random() < 0.5 else Decimal(0),
                buyout_price=monthly * 12 if rng.random() < 0.4 else None,
            )
        )
    return tuple(rows)


def agreements(
    rng: random.Random,
    planned_accounts: tuple[AccountPlan, ...],
    planned_assets: tuple[AssetPlan, ...],
    history_start: date,
    today: date,
) -> tuple[AgreementPlan, ...]:
    """Service agreements for about 40% of the customers with equipment (with PM plans), and one warranty."""
    by_account: dict[str, list[AssetPlan]] = defaultdict(list)
    for asset in equipment_of(planned_assets):
        by_account[asset.account].append(asset)
    customers = sorted(by_account)
    chosen = sorted(rng.sample(customers, max(1, round(0.4 * len(customers)))))
    rows = [
        _service_agreement(rng, i, number, by_account[number], history_start=history_start, today=today)
        for i, number in enumerate(chosen)
    ]
    warranty = _warranty(by_account, [c for c in customers if c not in chosen] or customers, today)
    return tuple(rows + ([warranty] if warranty else []))


def _service_agreement(
    rng: random.Random, i: int, account: str, equipment: list[AssetPlan], *, history_start: date, today: date
) -> AgreementPlan:
    start = history_start - timedelta(days=rng.randint(10, 120))
    end = max(add_months(start, rng.choice((12, 24, 36))), today + timedelta(days=60)) - timedelta(days=1)
    covered = sorted(rng.sample(equipment, max(1, round(len(equipment) * rng.uniform(0.6, 1.0)))), key=lambda a: a.key)
    plans = []
    for asset in covered[:3]:
        assert asset.type_code is not None
        interval = rng.choice((90, 180))
        plans.append(PmPlanPlan(asset.key, PM_INCIDENT[asset.type_code], "calendar", interval, None,
                                today + timedelta(days=rng.randint(2, interval))))  # fmt: skip
    compressor = next((a for a in covered if a.type_code == "compressor"), None)
    if compressor is not None:
        plans.append(PmPlanPlan(compressor.key, "pm-compressor", "meter", None, Decimal(2000), None))
    return AgreementPlan(
        number=f"SA-{3001 + i}",
        kind="service",
        account=account,
        name=f"Full service {rng.choice(('Gold', 'Silver', 'Bronze'))}",
        start_date=start,
        end_date=end,
        assets=tuple(a.key for a in covered),
        covered_work_types=("maintenance", "inspection"),
        covers_parts=False,
        discount_pct=rng.choice((Decimal(0), Decimal(5), Decimal(10))),
        periodic_fee=Decimal(25 * round(len(covered) * rng.uniform(30, 60) / 25) or 25),
        billing_period_months=rng.choice((1, 3, 3)),
        business_hours=True,
        pm_plans=tuple(plans),
    )


def _warranty(by_account: dict[str, list[AssetPlan]], candidates: list[str], today: date) -> AgreementPlan | None:
    """A manufacturer-style warranty on the equipment of one customer still under warranty: repairs at no charge."""
    best = max(candidates, key=lambda n: sum(1 for a in by_account[n] if a.warranty_end and a.warranty_end > today))
    under = [a for a in by_account[best] if a.warranty_end and a.install_date and a.warranty_end > today]
    if not under:
        return None
    start = min(a.install_date for a in under if a.install_date)
    end = max(a.warranty_end for a in under if a.warranty_end)
    return AgreementPlan(
        number="W-4001", kind="warranty", account=best, name="Installation warranty (2 years)", start_date=start,
        end_date=end, assets=tuple(a.key for a in under), covered_work_types=("repair",), covers_parts=True,
        discount_pct=Decimal(0), periodic_fee=Decimal(0), billing_period_months=12, business_hours=False, pm_plans=(),
    )  # fmt: skip
