"""Who may use the demo's own broker: the simulated devices with credentials from the device registry, and the
ingestor with a service identity of its own (nobody else subscribes to everything; anonymous clients are refused).

Each demo run issues the simulated devices fresh passwords (kept only in this process, stored only hashed in the
registry) through the same service as `assetpulse devices add|rotate`; a device an operator revoked stays revoked
and its simulator is refused.  The ingestor's password is `ASSETPULSE_BROKER_INGEST_PASSWORD` when set, else a
random one for this run (never the public development default).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import quote

import psycopg

from ingest.brokers import BrokerAuth
from service_core.devices import service as devices_service
from service_core.devices.broker_auth import broker_username, generate_password, ingest_account, mosquitto_hash
from service_core.devices.broker_sync import DEVELOPMENT_PASSWORDS, BrokerAuthSettings
from service_core.devices.schemas import DeviceCreate

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DemoBrokerLogins:
    """What the demo's broker is started with, and how its clients log in."""

    auth: BrokerAuth
    ingest_username: str
    ingest_password: str
    devices: dict[str, tuple[str, str]]  # device key -> (username, password), for the simulated fleet

    def ingest_url(self, broker_url: str) -> str:
        """`broker_url` (mqtt://host:port) with the ingestor's credentials in it."""
        scheme, rest = broker_url.split("://", 1)
        return f"{scheme}://{quote(self.ingest_username, safe='')}:{quote(self.ingest_password, safe='')}@{rest}"


def demo_broker_logins(url: str, *, tenant: str, devices: list[tuple[str, str]]) -> DemoBrokerLogins:
    """Issue the simulated `devices` ((key, type) of `tenant`) new credentials and name the ingestor's login."""
    settings = BrokerAuthSettings()
    chosen = settings.broker_ingest_password.get_secret_value() if settings.broker_ingest_password else None
    # the development default is public knowledge: a demo broker never accepts it
    ingest_password = chosen if chosen and chosen != DEVELOPMENT_PASSWORDS["ingest"] else generate_password()
    ingest = ingest_account(settings.broker_ingest_username, mosquitto_hash(ingest_password))
    return DemoBrokerLogins(
        auth=BrokerAuth(database_url=url, service_accounts=(ingest,)),
        ingest_username=settings.broker_ingest_username,
        ingest_password=ingest_password,
        devices=issue_fleet_credentials(url, tenant=tenant, devices=devices),
    )


def issue_fleet_credentials(url: str, *, tenant: str, devices: list[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """Register the devices (keeping their asset links) with new generated passwords, in one transaction; revoked
    devices are left revoked and get none.  (username, password) by device key."""
    logins: dict[str, tuple[str, str]] = {}
    with psycopg.connect(url) as conn:
        revoked = {
            row[0]
            for row in conn.execute(
                "SELECT device_key FROM fleet.devices WHERE tenant = %s AND revoked_at IS NOT NULL", (tenant,)
            )
        }
        for key, device_type in devices:
            if key in revoked:
                log.warning("device %s/%s is revoked: its simulator will be refused by the broker", tenant, key)
                continue
            password = generate_password()
            device_in = DeviceCreate(
                tenant=tenant,
                device_key=key,
                device_type=device_type,
                password=password,
                metadata={"simulated": True, "source": "demo"},
            )
            devices_service.register(conn, device_in=device_in)
            logins[key] = (broker_username(tenant, key), password)
    log.info("issued broker credentials to %d simulated devices of tenant %s", len(logins), tenant)
    return logins
