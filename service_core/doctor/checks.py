"""Run every check of a deployment from its settings."""

from __future__ import annotations

from pydantic import ValidationError

from service_core.api.settings import ApiSettings
from service_core.config import CoreSettings
from service_core.doctor.broker import check_broker
from service_core.doctor.database import check_database
from service_core.doctor.result import Check, Level


def run_checks(*, database_url: str, mqtt_url: str, core: CoreSettings) -> list[Check]:
    checks = check_database(database_url, partitions_ahead_days=core.partitions_ahead_days)
    checks += check_broker(mqtt_url)
    checks.append(_api_settings())
    return checks


def _api_settings() -> Check:
    try:
        settings = ApiSettings()
    except ValidationError as exc:
        reasons = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors(include_url=False))
        return Check("api.settings", Level.FAIL, f"the API would refuse to start: {reasons}", "fix the environment")
    if settings.environment != "production":
        return Check(
            "api.settings",
            Level.WARN,
            f"ASSETPULSE_ENVIRONMENT is {settings.environment!r}: default secrets are tolerated",
            "set ASSETPULSE_ENVIRONMENT=production and a random ASSETPULSE_JWT_SECRET on a real deployment",
        )
    return Check("api.settings", Level.OK, "production settings with a strong signing secret")
