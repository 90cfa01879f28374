"""Register simulated devices in the device registry, so the ingestor accepts (not quarantines) their data."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from service_core.db.connection import redact, transaction
from service_core.devices import service as device_service
from service_core.devices.schemas import DeviceCreate

log = logging.getLogger(__name__)


def register_devices(
    database_url: str, *, tenant: str, devices: Sequence[tuple[str, str]], source: str = "simulator"
) -> int:
    """Register (device key, device type) pairs of `tenant` in one transaction; already registered devices are
    updated.  Returns how many were registered."""
    devices_in = [
        DeviceCreate(
            tenant=tenant,
            device_key=key,
            device_type=device_type,
            metadata={"simulated": True, "source": source},
        )
        for key, device_type in devices
    ]
    with transaction(database_url) as conn:
        for device_in in devices_in:
            device_service.register(conn, device_in=device_in)
    log.info("registered %d devices of tenant %s at %s", len(devices_in), tenant, redact(database_url))
    return len(devices_in)
