"""The demo company built by pure, seeded-random functions: the same arguments give the same company."""

from __future__ import annotations

import random
from datetime import datetime

from service_core.seed import plan_history, plan_master
from service_core.seed.model import Company, Sizes
from service_core.seed.vocabulary import EMAIL_DOMAIN, TERRITORIES


def plan_company(*, seed: int, sizes: Sizes, now: datetime) -> Company:
    """The whole demo company for `seed`, with its history ending at `now` (timezone-aware)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if problems := sizes.problems():
        raise ValueError("; ".join(problems))
    rng = random.Random(seed)
    today = now.date()
    history_start = today.fromordinal(today.toordinal() - sizes.history_days)
    technicians = plan_master.technicians(rng, sizes.technicians, now)
    accounts = plan_master.accounts(rng, sizes.accounts)
    assets = plan_master.assets(rng, accounts, sizes.assets, today)
    leases = plan_master.leases(rng, accounts, assets, today)
    agreements = plan_master.agreements(rng, accounts, assets, history_start, today)
    work_orders = plan_history.work_orders(
        rng,
        accounts=accounts,
        assets=assets,
        agreements=agreements,
        technicians=technicians,
        count=sizes.work_order_count,
        now=now,
        days=sizes.history_days,
    )
    return Company(
        seed=seed,
        now=now,
        sizes=sizes,
        territories=TERRITORIES,
        technicians=technicians,
        accounts=accounts,
        assets=assets,
        leases=leases,
        agreements=agreements,
        work_orders=work_orders,
        dispatcher_email=f"dispatcher@{EMAIL_DOMAIN}",
        finance_email=f"finance@{EMAIL_DOMAIN}",
    )
