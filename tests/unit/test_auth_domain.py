"""Pure auth rules: roles, token claims and expiry, key formats, passwords, API settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from service_core.api.settings import ApiSettings
from service_core.auth import domain
from service_core.auth.domain import Role
from service_core.exceptions import NotAuthenticated, PermissionDenied

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_ensure_role_lets_allowed_roles_through_and_refuses_the_rest():
    domain.ensure_role(Role.DISPATCHER, domain.WRITE_FLEET)
    domain.ensure_role(Role.VIEWER, domain.ALL_ROLES)
    with pytest.raises(PermissionDenied, match="needs one of: admin, dispatcher"):
        domain.ensure_role(Role.TECHNICIAN, domain.WRITE_FLEET)
    with pytest.raises(PermissionDenied):
        domain.ensure_role(Role.ADMIN, set())


def test_access_claims_round_trip_to_the_subject():
    claims = domain.access_claims(user_id=42, role=Role.FINANCE, issued_at=NOW, lifetime=timedelta(minutes=30))
    assert claims == {
        "iss": "assetpulse",
        "typ": "access",
        "sub": "42",
        "role": "finance",
        "iat": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 1800,
    }
    assert domain.subject_of(claims, now=NOW + timedelta(minutes=29)) == 42


def test_a_token_expires_at_its_exp_exactly():
    claims = domain.access_claims(user_id=1, role=Role.VIEWER, issued_at=NOW, lifetime=timedelta(minutes=1))
    assert domain.subject_of(claims, now=NOW + timedelta(seconds=59)) == 1
    for later in (timedelta(minutes=1), timedelta(days=1)):
        with pytest.raises(NotAuthenticated, match="expired"):
            domain.subject_of(claims, now=NOW + later)


@pytest.mark.parametrize(
    "change",
    [
        {"iss": "someone-else"},
        {"typ": "refresh"},
        {"exp": None},
        {"exp": "soon"},
        {"exp": True},
        {"sub": None},
        {"sub": "admin"},
        {"sub": 7},
    ],
)
def test_malformed_claims_are_refused(change):
    claims = domain.access_claims(user_id=7, role=Role.VIEWER, issued_at=NOW, lifetime=timedelta(minutes=5))
    with pytest.raises(NotAuthenticated):
        domain.subject_of({**claims, **change}, now=NOW)


def test_claims_need_an_aware_time_and_a_positive_lifetime():
    with pytest.raises(ValueError, match="timezone"):
        domain.access_claims(user_id=1, role=Role.VIEWER, issued_at=NOW.replace(tzinfo=None), lifetime=timedelta(1))
    with pytest.raises(ValueError, match="positive"):
        domain.access_claims(user_id=1, role=Role.VIEWER, issued_at=NOW, lifetime=timedelta(0))


def test_api_keys_split_into_prefix_and_secret():
    key = domain.format_api_key("0123456789ab", "s3cr3t_with-under_scores")
    assert domain.split_api_key(key) == ("0123456789ab", "s3cr3t_with-under_scores")
    for bad in ("", "apk_", "apk_0123456789ab_short", "key_0123456789ab_" + "x" * 20, "apk_XYZ_" + "x" * 20):
        with pytest.raises(NotAuthenticated):
            domain.split_api_key(bad)


def test_api_key_usable_until_revoked_or_expired():
    assert domain.api_key_usable(revoked_at=None, expires_at=None, now=NOW)
    assert domain.api_key_usable(revoked_at=None, expires_at=NOW + timedelta(seconds=1), now=NOW)
    assert not domain.api_key_usable(revoked_at=None, expires_at=NOW, now=NOW)
    assert not domain.api_key_usable(revoked_at=NOW - timedelta(days=1), expires_at=None, now=NOW)


def test_emails_are_normalised_and_checked():
    assert domain.normalize_email("  Ann.Lee@Example.COM ") == "ann.lee@example.com"
    for bad in ("ann", "ann@", "@example.com", "ann@example", "a b@example.com", "x" * 250 + "@example.com"):
        with pytest.raises(ValueError):
            domain.normalize_email(bad)


def test_password_rules():
    assert domain.password_problem("correct horse battery") is None
    assert domain.password_problem("short") == "must be at least 12 characters"
    assert domain.password_problem("aaaaaaaaaaaaaaaa") == "must use at least 4 different characters"
    same_as_email = domain.password_problem("Ann.Lee@example.com", email="ann.lee@example.com")
    assert same_as_email == "must not be the email address"


def test_principal_is_immutable():
    principal = domain.Principal(kind="user", id=1, name="Ann", role=Role.ADMIN, email="ann@example.com")
    with pytest.raises(AttributeError):
        principal.role = Role.VIEWER  # type: ignore[misc]


def test_production_refuses_a_missing_or_default_secret(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("ASSETPULSE_JWT_SECRET", raising=False)
    for secret in (None, "changethis", "too-short"):
        with pytest.raises(ValidationError, match="ASSETPULSE_JWT_SECRET"):
            ApiSettings(environment="production", jwt_secret=secret, _env_file=None)  # type: ignore[call-arg]
    good = "k" * 40
    assert ApiSettings(environment="production", jwt_secret=good, _env_file=None).signing_secret == good  # type: ignore[call-arg]


def test_development_makes_a_random_secret_and_warns(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    monkeypatch.delenv("ASSETPULSE_JWT_SECRET", raising=False)
    with caplog.at_level("WARNING"):
        first = ApiSettings(environment="development", _env_file=None)  # type: ignore[call-arg]
        second = ApiSettings(environment="development", jwt_secret="changethis", _env_file=None)  # type: ignore[call-arg]
    assert len(first.signing_secret) >= 32 and first.signing_secret != second.signing_secret != "changethis"
    assert "random secret" in caplog.text


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ASSETPULSE_PORT", "9100")
    monkeypatch.setenv("ASSETPULSE_JWT_SECRET", "e" * 40)
    monkeypatch.setenv("ASSETPULSE_ENVIRONMENT", "production")
    monkeypatch.setenv("ASSETPULSE_ACCESS_TOKEN_MINUTES", "15")
    settings = ApiSettings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.port, settings.access_token_minutes, settings.environment) == (9100, 15, "production")
