"""Seed a demo company: plan it, then write it through the domain services in one transaction.

`seed_demo(conn, ...)` never commits (the caller does); `seed_database(url, ...)` opens, seeds and commits.
A database that already has accounts is refused with `Conflict` and left unchanged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg

from service_core.seed import finance, history, loader, loader_terms
from service_core.seed.loader import Ids, Login
from service_core.seed.model import Sizes
from service_core.seed.plan import plan_company

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SeedReport:
    seed: int
    seconds: float
    logins: list[Login]
    counts: dict[str, int] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)  # seconds per step


_COUNTS = {
    "accounts": "SELECT count(*) FROM crm.accounts",
    "locations": "SELECT count(*) FROM crm.locations",
    "technicians": "SELECT count(*) FROM resources.resources",
    "assets": "SELECT count(*) FROM assets.assets",
    "leases": "SELECT count(*) FROM assets.leases WHERE status = 'active'",
    "agreements": "SELECT count(*) FROM agreements.agreements WHERE status = 'active'",
    "work orders": "SELECT count(*) FROM work.work_orders",
    "bookings": "SELECT count(*) FROM work.bookings",
    "invoices": "SELECT count(*) FROM billing.invoices WHERE kind = 'invoice'",
    "credit notes": "SELECT count(*) FROM billing.invoices WHERE kind = 'credit_note'",
    "payments": "SELECT count(*) FROM billing.payments",
    "dunning": "SELECT count(*) FROM billing.dunning_notices",
    "escalations": "SELECT count(*) FROM policy.escalations",
}


def seed_demo(
    conn: psycopg.Connection,
    *,
    seed: int,
    sizes: Sizes,
    now: datetime | None = None,
) -> SeedReport:
    """Plan the company for `seed` and write it; `Conflict` if the database has a company already."""
    began = time.monotonic()
    company = plan_company(seed=seed, sizes=sizes, now=now or datetime.now(UTC))
    loader.claim_empty_database(conn)
    ids = Ids()
    phases: dict[str, float] = {}
    with _phase(phases, "people"):
        loader.load_people(conn, company, ids)
    with _phase(phases, "master data"):
        loader.load_catalog(conn, ids)
        loader.load_accounts(conn, company, ids)
        loader.load_assets(conn, company, ids)
        loader_terms.load_policies(conn, company, ids)
        loader_terms.load_incident_types(conn, ids)
        loader_terms.load_agreements(conn, company, ids)
    with _phase(phases, "work history"):
        work_orders = history.load_history(conn, company, ids)
    with _phase(phases, "finance"):
        finance.load_finance(conn, company, ids, work_orders)
    with _phase(phases, "jobs"):
        history.run_jobs(conn, company, ids)
    counts = {name: _count(conn, query) for name, query in _COUNTS.items()}
    seconds = time.monotonic() - began
    log.info("seeded demo company %s in %.1f s (%s): %s", seed, seconds, phases, counts)
    return SeedReport(seed=seed, seconds=seconds, logins=ids.logins, counts=counts, phases=phases)


@contextmanager
def _phase(phases: dict[str, float], name: str) -> Iterator[None]:
    began = time.monotonic()
    yield
    phases[name] = round(time.monotonic() - began, 2)


@contextmanager
def quiet_domains() -> Iterator[None]:
    """The domains log every account, lease and invoice at INFO: thousands of lines while seeding; only warnings."""
    domains = logging.getLogger("service_core")
    level = domains.level
    domains.setLevel(max(logging.WARNING, level))
    try:
        yield
    finally:
        domains.setLevel(level)


def seed_database(url: str, *, seed: int, sizes: Sizes, now: datetime | None = None) -> SeedReport:
    """Seed the database at `url` in one transaction (committed only when everything was written)."""
    with quiet_domains(), psycopg.connect(url) as conn:
        report = seed_demo(conn, seed=seed, sizes=sizes, now=now)
    log.info("demo company %s committed in %.1f s", seed, report.seconds)
    return report


def has_company(url: str) -> bool:
    """Whether the database at `url` holds any account (then the demo does not seed it)."""
    with psycopg.connect(url) as conn:
        return loader.existing_company(conn) > 0


def _count(conn: psycopg.Connection, query: str) -> int:
    row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0
