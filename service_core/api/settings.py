"""Settings of the HTTP API (`ASSETPULSE_*`), validated at start.

A missing, short or well-known JWT secret is refused outside development (test and production); in development a
random secret is made for this process (tokens then die with it), with a warning.
"""

from __future__ import annotations

import logging
import secrets
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

KNOWN_DEFAULT_SECRETS = frozenset({"", "changethis", "changeme", "secret", "assetpulse"})
MIN_PRODUCTION_SECRET_LENGTH = 32


class ApiSettings(BaseSettings):
    """`ASSETPULSE_*` settings of `assetpulse api`."""

    model_config = SettingsConfigDict(env_prefix="ASSETPULSE_", env_file=".env", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    environment: Literal["development", "test", "production"] = "development"
    jwt_secret: SecretStr | None = Field(default=None, description="HMAC key that signs access tokens.")
    access_token_minutes: int = Field(default=60, ge=1, le=60 * 24 * 7)
    workers: int = Field(default=1, ge=1, le=64, description="uvicorn worker processes")
    principal_cache_seconds: float = Field(
        default=5.0, ge=0, le=300, description="How long a worker trusts a looked-up user (deactivation delay)."
    )
    pool_min_size: int = Field(default=2, ge=1)
    pool_max_size: int = Field(default=10, ge=1)
    pool_timeout_seconds: float = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _secret_fits_environment(self) -> ApiSettings:
        given = self.jwt_secret.get_secret_value() if self.jwt_secret is not None else ""
        weak = given.strip().lower() in KNOWN_DEFAULT_SECRETS
        if self.environment != "development":
            if weak or len(given) < MIN_PRODUCTION_SECRET_LENGTH:
                raise ValueError(
                    "ASSETPULSE_JWT_SECRET must be set to a random value of at least "
                    f"{MIN_PRODUCTION_SECRET_LENGTH} characters outside development"
                )
        elif weak:
            log.warning(
                "ASSETPULSE_JWT_SECRET is unset or a default; using a random secret for this process "
                "(tokens will not survive a restart). Set it before going to production."
            )
            self.jwt_secret = SecretStr(secrets.token_urlsafe(32))
        if self.pool_min_size > self.pool_max_size:
            raise ValueError("ASSETPULSE_POOL_MIN_SIZE must not exceed ASSETPULSE_POOL_MAX_SIZE")
        return self

    @property
    def signing_secret(self) -> str:
        assert self.jwt_secret is not None  # set by the validator
        return self.jwt_secret.get_secret_value()
