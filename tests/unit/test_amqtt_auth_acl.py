"""The ACL rules the demo's amqtt broker applies (ingest.amqtt_auth), as pure functions."""

from __future__ import annotations

import pytest

from ingest.amqtt_auth import acl_allows, device_identity, subscription_allowed


@pytest.mark.parametrize(
    ("topic_filter", "allowed"),
    [
        ("assetpulse/t/d/command", True),
        ("assetpulse/t/+/command", False),
        ("assetpulse/#", False),
        ("#", False),
        ("assetpulse/t/d/telemetry", False),
        ("$share/g/assetpulse/t/d/command", True),
    ],
)
def test_a_device_grant_covers_only_its_own_command_topic(topic_filter: str, allowed: bool):
    assert subscription_allowed(["assetpulse/t/d/command"], topic_filter) is allowed


def test_the_ingestor_grant_covers_its_shared_subscription():
    grant = ["assetpulse/#"]
    assert subscription_allowed(grant, "$share/ingest/assetpulse/#")
    assert subscription_allowed(grant, "assetpulse/+/+/telemetry")
    assert not subscription_allowed(grant, "#") and not subscription_allowed(grant, "$SYS/#")


def test_device_usernames_name_tenant_and_key():
    assert device_identity("acme/aa%3Abb%3A01") == ("acme", "aa:bb:01")
    assert device_identity("assetpulse-ingest") is None
    assert device_identity("acme/a/b") is None and device_identity("/x") is None


def test_a_publish_is_allowed_only_on_a_granted_topic():
    grants = ["assetpulse/t/d/telemetry", "assetpulse/t/d/status"]
    assert acl_allows(grants, "assetpulse/t/d/telemetry")
    assert not acl_allows(grants, "assetpulse/t/other/telemetry")
    assert not acl_allows(grants, "assetpulse/t/d/command")
    assert acl_allows(["assetpulse/#"], "assetpulse/t/d/status") and not acl_allows([], "assetpulse/t/d/status")
