"""The secrets rule for every settings class that holds one: a default secret is refused outside development."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from service_core.api.settings import ApiSettings
from service_core.devices.broker_sync import DEVELOPMENT_PASSWORDS, BrokerAuthSettings

SECRET_VARIABLES = ("ENVIRONMENT", "JWT_SECRET", "BROKER_INGEST_PASSWORD", "BROKER_DETECTOR_PASSWORD")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SECRET_VARIABLES:
        monkeypatch.delenv(f"ASSETPULSE_{name}", raising=False)


@pytest.mark.parametrize("environment", ["test", "production"])
@pytest.mark.parametrize("secret", [None, "", "changethis", "CHANGEME", "assetpulse", "x" * 31])
def test_the_api_refuses_a_missing_default_or_short_jwt_secret_outside_development(environment, secret):
    with pytest.raises(ValidationError, match=r"ASSETPULSE_JWT_SECRET must be set .* outside development"):
        ApiSettings(environment=environment, jwt_secret=secret, _env_file=None)  # type: ignore[call-arg]


@pytest.mark.parametrize("environment", ["test", "production"])
def test_the_api_takes_a_strong_secret_in_every_environment(environment):
    settings = ApiSettings(environment=environment, jwt_secret="s" * 32, _env_file=None)  # type: ignore[call-arg]
    assert settings.signing_secret == "s" * 32


@pytest.mark.parametrize("environment", ["test", "production"])
def test_the_broker_users_refuse_missing_or_development_passwords_outside_development(environment):
    with pytest.raises(ValidationError, match="ASSETPULSE_BROKER_INGEST_PASSWORD must be set"):
        BrokerAuthSettings(_env_file=None, environment=environment)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="ASSETPULSE_BROKER_INGEST_PASSWORD must be set"):
        BrokerAuthSettings(
            _env_file=None,  # type: ignore[call-arg]
            environment=environment,
            broker_ingest_password=SecretStr(DEVELOPMENT_PASSWORDS["ingest"]),
            broker_detector_password=SecretStr("d" * 24),
        )
    settings = BrokerAuthSettings(
        _env_file=None,  # type: ignore[call-arg]
        environment=environment,
        broker_ingest_password=SecretStr("i" * 24),
        broker_detector_password=SecretStr("d" * 24),
    )
    assert settings.broker_detector_password is not None
    assert settings.broker_detector_password.get_secret_value() == "d" * 24


def test_secrets_never_show_in_a_repr():
    api = ApiSettings(environment="test", jwt_secret="s" * 40, _env_file=None)  # type: ignore[call-arg]
    broker = BrokerAuthSettings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        broker_ingest_password=SecretStr("i" * 24),
        broker_detector_password=SecretStr("d" * 24),
    )
    assert "s" * 40 not in repr(api) and "i" * 24 not in repr(broker) and "d" * 24 not in repr(broker)
