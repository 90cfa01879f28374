"""Settings of the simulator (`ASSETPULSE_*`): the broker and, to register the fleet, the database."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SimulatorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSETPULSE_", env_file=".env", extra="ignore")

    mqtt_url: str = "mqtt://127.0.0.1:1883"
    mqtt_protocol: Literal["5", "3.1.1"] = Field(default="5", description="3.1.1 for brokers without MQTT 5 (amqtt).")
    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL; when set, the simulated devices are registered there first.",
    )

    @field_validator("database_url")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value if value and value.strip() else None
