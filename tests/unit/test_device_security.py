"""Broker credentials as pure functions: Mosquitto's $7$ hash, generated passwords, password and ACL files."""

from __future__ import annotations

import base64

import pytest
from pydantic import SecretStr, ValidationError

from service_core.devices.broker_auth import (
    BROKER_HASH_ITERATIONS,
    BrokerAccount,
    broker_username,
    detector_account,
    device_account,
    generate_password,
    ingest_account,
    mosquitto_hash,
    render_acl_file,
    render_password_file,
    verify_mosquitto_hash,
)
from service_core.devices.broker_sync import DEVELOPMENT_PASSWORDS, BrokerAuthSettings

# written by `mosquitto_passwd -c -b pw alice secret1` (Mosquitto 2.0.11)
MOSQUITTO_PASSWD_LINE = (
    "alice:$7$101$JbG6+2D8Nmv5DcK6$xz3eS0RUoON5Q5uKVbGvts8gQhezd09AU4LIIBdio7H3gvjz/O1IaV5HJ73DHaFvQIlTokM43zoiY1JPEZ"
    "6HkQ=="
)


def test_our_hash_reproduces_one_written_by_mosquitto_passwd():
    encoded = MOSQUITTO_PASSWD_LINE.split(":", 1)[1]
    salt = base64.b64decode(encoded.split("$")[3])
    assert mosquitto_hash("secret1", salt=salt, iterations=101) == encoded
    assert verify_mosquitto_hash("secret1", encoded)
    assert not verify_mosquitto_hash("secret2", encoded)


def test_hash_format_is_salted_and_carries_its_iterations():
    h1, h2 = mosquitto_hash("pw-123456"), mosquitto_hash("pw-123456")
    assert h1 != h2
    empty, scheme, iterations, salt, digest = h1.split("$")
    assert (empty, scheme, int(iterations)) == ("", "7", BROKER_HASH_ITERATIONS)
    assert len(base64.b64decode(salt)) == 12 and len(base64.b64decode(digest)) == 64
    assert "pw-123456" not in h1
    assert verify_mosquitto_hash("pw-123456", h1) and verify_mosquitto_hash("pw-123456", h2)


@pytest.mark.parametrize(
    "encoded",
    ["", "garbage", "$6$abc$def", "$7$x$AAAA$AAAA", "$7$101$not base64!$AAAA", "scrypt$16384$8$1$AAAA$AAAA"],
)
def test_malformed_hashes_never_verify(encoded: str):
    assert not verify_mosquitto_hash("anything", encoded)


def test_generated_passwords_are_long_random_and_url_safe():
    passwords = {generate_password() for _ in range(200)}
    assert len(passwords) == 200
    for p in passwords:
        assert len(p) >= 43
        assert set(p) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_usernames_are_tenant_slash_key_and_never_contain_the_password_file_separator():
    assert broker_username("acme", "pump-1") == "acme/pump-1"
    assert broker_username("acme", "aa:bb:cc") == "acme/aa%3Abb%3Acc"


def test_password_file_has_one_sorted_line_per_account():
    accounts = [device_account("t", "b", mosquitto_hash("x" * 10)), device_account("t", "a:1", "$7$101$AAAA$BBBB")]
    lines = render_password_file(accounts).splitlines()
    assert lines[0] == "t/a%3A1:$7$101$AAAA$BBBB"
    assert lines[1].startswith("t/b:$7$") and len(lines) == 2
    assert render_password_file([]) == ""


@pytest.mark.parametrize(
    "account",
    [
        BrokerAccount("t/a", "scrypt$1$2$3$AAAA$BBBB"),
        BrokerAccount("t/a", "$7$101$AA:AA$BBBB"),
        BrokerAccount("t/a:b", "$7$101$AAAA$BBBB"),
        BrokerAccount("t/a b", "$7$101$AAAA$BBBB"),
        BrokerAccount("t/a\nuser evil", "$7$101$AAAA$BBBB"),
    ],
)
def test_password_file_refuses_what_mosquitto_would_misread(account: BrokerAccount):
    with pytest.raises(ValueError):
        render_password_file([account])


def test_acl_grants_a_device_only_its_own_topics():
    acl = render_acl_file([device_account("acme", "p:1", "$7$1$AA$BB")])
    body = [line for line in acl.splitlines() if line and not line.startswith("#")]
    assert body == [
        "user acme/p%3A1",
        "topic write assetpulse/acme/p:1/telemetry",
        "topic write assetpulse/acme/p:1/status",
        "topic read assetpulse/acme/p:1/command",
    ]


def test_acl_has_no_grant_outside_a_user_block_and_service_users_get_their_roles():
    accounts = [
        device_account("acme", "p1", "$7$1$AA$BB"),
        ingest_account("assetpulse-ingest", "$7$1$AA$BB"),
        detector_account("assetpulse-detector", "$7$1$AA$BB"),
    ]
    lines = [line for line in render_acl_file(accounts).splitlines() if line and not line.startswith("#")]
    assert lines[0].startswith("user "), "a topic line before the first user block would apply to anonymous clients"
    assert not any(line.startswith("pattern") for line in lines)
    blocks: dict[str, list[str]] = {}
    for line in lines:
        if line.startswith("user "):
            current = blocks.setdefault(line.removeprefix("user "), [])
        else:
            current.append(line)
    # the ingest user writes nothing under the devices' root, only the doctor's round-trip topic outside it
    assert blocks["assetpulse-ingest"] == [
        "topic write assetpulse-doctor/#",
        "topic read assetpulse/#",
        "topic read assetpulse-doctor/#",
    ]
    assert blocks["assetpulse-detector"] == [
        "topic read assetpulse/+/+/telemetry",
        "topic read assetpulse/+/+/status",
    ]
    services = ("assetpulse-ingest", "assetpulse-detector")
    assert not any(line.startswith("topic write assetpulse/") for name in services for line in blocks[name])


def test_acl_refuses_topics_that_would_break_its_lines():
    with pytest.raises(ValueError):
        render_acl_file([BrokerAccount("svc", "$7$1$AA$BB", receive=("assetpulse/a b",))])


def test_service_users_have_development_defaults_only_in_development(monkeypatch: pytest.MonkeyPatch):
    for name in ("ENVIRONMENT", "BROKER_INGEST_PASSWORD", "BROKER_DETECTOR_PASSWORD"):
        monkeypatch.delenv(f"ASSETPULSE_{name}", raising=False)
    dev = BrokerAuthSettings(_env_file=None)  # type: ignore[call-arg]
    assert dev.broker_ingest_password is not None
    assert dev.broker_ingest_password.get_secret_value() == DEVELOPMENT_PASSWORDS["ingest"]
    ingest, detector = dev.service_accounts()
    assert ingest.username == "assetpulse-ingest" and verify_mosquitto_hash(
        "assetpulse-ingest-dev", ingest.password_hash
    )
    assert detector.username == "assetpulse-detector"

    with pytest.raises(ValidationError, match="BROKER_INGEST_PASSWORD must be set"):
        BrokerAuthSettings(_env_file=None, environment="production")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="BROKER_DETECTOR_PASSWORD must be set"):
        BrokerAuthSettings(
            _env_file=None,  # type: ignore[call-arg]
            environment="production",
            broker_ingest_password=SecretStr("i" * 24),
            broker_detector_password=SecretStr(DEVELOPMENT_PASSWORDS["detector"]),
        )
    with pytest.raises(ValidationError, match="too short"):
        BrokerAuthSettings(
            _env_file=None,  # type: ignore[call-arg]
            environment="test",
            broker_ingest_password=SecretStr("short"),
            broker_detector_password=SecretStr("d" * 24),
        )
    prod = BrokerAuthSettings(
        _env_file=None,  # type: ignore[call-arg]
        environment="production",
        broker_ingest_password=SecretStr("i" * 24),
        broker_detector_password=SecretStr("d" * 24),
    )
    assert [a.username for a in prod.service_accounts()] == ["assetpulse-ingest", "assetpulse-detector"]
