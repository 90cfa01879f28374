"""Settings shared by every AssetPulse process: where the database is, where data lives, how to log."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path.cwd() / ".assetpulse"


class CoreSettings(BaseSettings):
    """`ASSETPULSE_*` settings of the platform core."""

    model_config = SettingsConfigDict(env_prefix="ASSETPULSE_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL; unset means an embedded PostgreSQL in the data directory.",
    )
    data_dir: Path = Field(default_factory=default_data_dir)
    environment: Literal["development", "test", "production"] = "development"
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    timescale: Literal["auto", "on", "off"] = Field(
        default="auto", description="Use TimescaleDB when its extension is available (auto), always, never."
    )
    raw_retention_days: int = Field(default=30, ge=1)
    rollup_1m_retention_days: int = Field(default=180, ge=1)
    rollup_1h_retention_days: int = Field(default=1825, ge=1)
    partitions_ahead_days: int = Field(default=3, ge=1, le=60)

    @field_validator("database_url")
    @classmethod
    def _normalise_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if value.startswith("postgres://"):
            return "postgresql://" + value.removeprefix("postgres://")
        if not value.startswith("postgresql://"):
            raise ValueError("ASSETPULSE_DATABASE_URL must be a postgresql:// URL")
        return value


@lru_cache(maxsize=1)
def get_core_settings() -> CoreSettings:
    return CoreSettings()
