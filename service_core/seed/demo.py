"""The demo company inside `assetpulse demo`: seeded once into an empty demo database, logins kept for later runs,
and the simulated devices linked to seeded equipment of their type."""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg

from service_core.devices import service as devices_service
from service_core.devices.schemas import DeviceCreate
from service_core.seed.model import Sizes
from service_core.seed.service import has_company, seed_database

log = logging.getLogger(__name__)

DEMO_SEED = 1
LOGINS_FILE = "demo-company-logins"


def ensure_demo_company(url: str, data_dir: Path, *, devices: int, sizes: Sizes | None = None) -> list[str]:
    """Seed the demo company unless the database has one; lines naming its logins (kept mode 600 in `data_dir`)."""
    secret_file = data_dir / LOGINS_FILE
    if has_company(url):
        return secret_file.read_text().splitlines() if secret_file.exists() else []
    print("seeding the demo company (accounts, assets, four months of work and billing) ...", flush=True)
    report = seed_database(url, seed=DEMO_SEED, sizes=sizes or Sizes())
    log.info("demo company seeded in %.1f s", report.seconds)
    link_simulated_devices(url, devices=devices)
    lines = [f"{login.role:<11} {login.email} / {login.password}" for login in report.logins]
    data_dir.mkdir(parents=True, exist_ok=True)
    secret_file.write_text("\n".join(lines) + "\n")
    secret_file.chmod(0o600)
    return lines


def link_simulated_devices(url: str, *, devices: int) -> int:
    """Register the demo fleet's devices ahead of it, each on a seeded asset of its type (the fleet's own
    registration keeps the link); how many were linked."""
    from simulators.scenarios import load_scenario, with_overrides

    scenario = with_overrides(load_scenario("default"), devices=devices)
    linked = 0
    with psycopg.connect(url) as conn:
        for key, asset_type, number in scenario.fleet.device_keys():
            row = conn.execute(
                "SELECT a.id FROM assets.assets a JOIN assets.asset_types t ON t.id = a.asset_type_id "
                "WHERE t.code = %s AND a.level = 'asset' ORDER BY a.id OFFSET %s LIMIT 1",
                (asset_type, number - 1),
            ).fetchone()
            if row is None:
                continue
            device_in = DeviceCreate(
                tenant=scenario.tenant, device_key=key, device_type=asset_type, asset_id=int(row[0])
            )
            devices_service.register(conn, device_in=device_in)
            linked += 1
    return linked
