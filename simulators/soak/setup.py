"""The soak's database before the run: schema, the live fleet registered with one asset per device, detector
models trained from simulated healthy history (as `assetpulse bench detect` does), each live unit's commissioning
history (its own baseline is learned from it; written before the run, so it is never counted as sent), the
detector's high-water marks at the start, and a dispatcher the API load signs in as."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg

from detection import live, training
from detection.bench_setup import Unit, register_with_assets, units_of, write_commissioning, write_history
from detection.model import UNIT_LEARNING_S
from detection.state import save_high_water_marks
from service_core.auth import security
from service_core.auth import service as auth_service
from service_core.auth.domain import Role
from service_core.auth.schemas import UserCreate
from service_core.db.migrate import migrate
from simulators.plan import plan_fleet
from simulators.scenarios import Scenario
from simulators.signals import ASSET_TYPES

log = logging.getLogger(__name__)

TRAIN_SEED_OFFSET = 101
DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class SoakDatabase:
    units: dict[str, Unit]  # live devices by key
    anchor: datetime  # commissioning history ends here; every reading of the run is newer
    api_secret: str
    api_token: str
    timings: dict[str, float]


def prepare_database(
    url: str,
    shards: list[Scenario],
    *,
    train_units: int,
    train_hours: float,
    train_interval_s: float,
    commissioning_interval_s: float | None,
    run_s: float,
) -> SoakDatabase:
    """`commissioning_interval_s`: write each live unit's day of commissioning history at this interval (slow:
    about 0.1 s per device, the rollups of a day); None: a new fleet, every unit scored against its asset type's
    baseline (at `live.NEW_UNIT_FACTOR` x the limit, without drift checks) as on its first day."""
    import time

    began = time.monotonic()
    timings: dict[str, float] = {}
    migrate(url, timescale="off")
    tenant = shards[0].tenant
    anchor = datetime.now(UTC).replace(microsecond=0)
    units: dict[str, Unit] = {}
    for scenario in shards:
        specs = plan_fleet(scenario).devices
        units |= register_with_assets(url, tenant=tenant, specs=specs)
    train_specs = units_of("soaktr", train_units)
    trained = register_with_assets(url, tenant=tenant, specs=train_specs)
    timings["register_s"] = round(time.monotonic() - began, 1)
    commissioning_s = UNIT_LEARNING_S + 3600.0
    train_end = anchor - timedelta(seconds=commissioning_s + 3600)
    starts = training_starts(train_units, train_hours, end=train_end)
    for n, start in enumerate(starts, start=1):
        write_history(url, tenant=tenant, specs=[s for s in train_specs if s.number == n],
                      seed=shards[0].seed + TRAIN_SEED_OFFSET, start=start, interval_s=train_interval_s,
                      samples=int(train_hours * 3600 / train_interval_s))  # fmt: skip
    with psycopg.connect(url) as conn:
        for asset_type in ASSET_TYPES:
            training.train(conn, asset_type=asset_type, now=train_end, days=(train_end - starts[-1]) / DAY)
            conn.commit()
    timings["train_s"] = round(time.monotonic() - began - sum(timings.values()), 1)
    for scenario in shards if commissioning_interval_s else []:
        assert commissioning_interval_s is not None
        write_commissioning(url, tenant=tenant, specs=plan_fleet(scenario).devices, seed=scenario.seed,
                            before=anchor, interval_s=commissioning_interval_s, run_s=run_s,
                            seconds=commissioning_s)  # fmt: skip
    timings["commissioning_s"] = round(time.monotonic() - began - sum(timings.values()), 1)
    marks = {u.device_id: anchor for u in units.values()} | {u.device_id: train_end for u in trained.values()}
    secret = secrets.token_urlsafe(48)
    with psycopg.connect(url) as conn:
        save_high_water_marks(conn, marks=marks)
        user = auth_service.create_user(
            conn,
            user_in=UserCreate(email="soak@example.com", password=secrets.token_urlsafe(16), role=Role.DISPATCHER),
        )
    token = security.issue_access_token(user_id=user.id, role=Role.DISPATCHER, secret=secret,
                                        now=datetime.now(UTC), lifetime=timedelta(hours=12))  # fmt: skip
    log.info("soak database ready: %d live devices, models of %s", len(units), ", ".join(ASSET_TYPES))
    return SoakDatabase(units=units, anchor=anchor, api_secret=secret, api_token=token, timings=timings)


def training_starts(units: int, hours: float, *, end: datetime) -> list[datetime]:
    """Where each training unit's `hours` of history start: unit k's history ends (k - 1) x (a day / `units`)
    before `end`, so that together the units see every hour of the daily cycle.  The simulated ambient temperature
    and demand follow the clock; with every unit's history in the same few hours, the models knew only that part
    of the day, and a soak run at another hour raised false `pressure_loss` on 10 of 500 healthy pumps."""
    stride = DAY / units
    return [end - (n - 1) * stride - timedelta(hours=hours) for n in range(1, units + 1)]


def active_models(url: str) -> list[str]:
    from detection import store

    with psycopg.connect(url) as conn:
        return [r.label for r in store.list_versions(conn) if r.kind == live.MODEL_KIND and r.is_active]
