"""Settings of the dashboard (`ASSETPULSE_*`), validated at start."""

from __future__ import annotations

from pydantic import Field, HttpUrl, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class DashboardSettings(BaseSettings):
    """`ASSETPULSE_*` settings of `assetpulse dashboard`: where the API is and how often live parts refresh."""

    model_config = SettingsConfigDict(env_prefix="ASSETPULSE_", env_file=".env", extra="ignore")

    api_url: str = Field(default="http://127.0.0.1:8000", description="base URL of the service-core API")
    api_timeout_seconds: float = Field(default=15.0, gt=0, le=300)
    refresh_seconds: int = Field(default=30, ge=5, le=3600, description="how often live parts re-read the API")

    @field_validator("api_url")
    @classmethod
    def _an_http_url(cls, value: str) -> str:
        HttpUrl(value)  # refuses anything that is not http(s)://host[:port][/path]
        return value.rstrip("/")
