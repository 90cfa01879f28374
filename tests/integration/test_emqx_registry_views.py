"""The queries EMQX runs against the registry (deploy/emqx/emqx.conf, read from that file), executed on a real
PostgreSQL as the role EMQX connects as, and the password check EMQX's `pbkdf2` algorithm applies to the row.

EMQX itself was not run (no container engine here): this proves the data side of the EMQX variant, not EMQX."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from pydantic import SecretStr

from service_core.devices import service as devices_service
from service_core.devices.broker_sync import BrokerAuthSettings
from service_core.devices.emqx_logins import sync_service_logins
from service_core.devices.schemas import DeviceCreate, DeviceCredentialsPublic

pytestmark = pytest.mark.integration

EMQX_CONF = Path(__file__).resolve().parents[2] / "deploy" / "emqx" / "emqx.conf"
INGEST_PASSWORD = "ingest-password-0123456789"
DETECTOR_PASSWORD = "detector-password-0123456789"


def emqx_queries() -> tuple[str, str]:
    """The authentication and the authorization query, as psycopg statements (`${username}` -> a parameter)."""
    queries = re.findall(r'^\s*query = "(.*)"\s*$', EMQX_CONF.read_text(), flags=re.MULTILINE)
    assert len(queries) == 2, queries
    authn, authz = (q.replace("${username}", "%s") for q in queries)
    return authn, authz


def emqx_iterations() -> int:
    found = re.search(r"iterations = (\d+)", EMQX_CONF.read_text())
    assert found
    return int(found.group(1))


def emqx_accepts(conn: psycopg.Connection, username: str, password: str) -> bool:
    """What EMQX's PostgreSQL authenticator decides: the row's hex hash against PBKDF2-SHA512 over its salt."""
    row = conn.execute(emqx_queries()[0], (username,)).fetchone()
    if row is None:
        return False
    password_hash, salt, is_superuser = row
    assert is_superuser is False
    derived = hashlib.pbkdf2_hmac("sha512", password.encode(), bytes(salt), emqx_iterations(), 64)
    return bool(derived.hex() == password_hash)


def acl_rules(conn: psycopg.Connection, username: str) -> set[tuple[str, str, str]]:
    return {(p, a, t) for p, a, t in conn.execute(emqx_queries()[1], (username,)).fetchall()}


@pytest.fixture
def broker_conn(database_url: str) -> Iterator[psycopg.Connection]:
    """A connection acting as assetpulse_broker, the role EMQX logs in as."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SET ROLE assetpulse_broker")
        yield conn


def add(database_url: str, tenant: str, key: str) -> DeviceCredentialsPublic:
    with psycopg.connect(database_url) as conn:
        return devices_service.add(conn, device_in=DeviceCreate(tenant=tenant, device_key=key, device_type="pump"))


def test_a_device_logs_in_with_its_own_password_only(database_url: str, tenant: str, broker_conn: psycopg.Connection):
    a, b = add(database_url, tenant, "aa:bb:01"), add(database_url, tenant, "pump-2")
    assert a.username == f"{tenant}/aa%3Abb%3A01"
    assert emqx_accepts(broker_conn, a.username, a.password)
    assert emqx_accepts(broker_conn, b.username, b.password)
    assert not emqx_accepts(broker_conn, a.username, b.password)
    assert not emqx_accepts(broker_conn, f"{tenant}/nobody", a.password)
    assert not emqx_accepts(broker_conn, "", "")


def test_revoked_and_rotated_devices(database_url: str, tenant: str, broker_conn: psycopg.Connection):
    a, b = add(database_url, tenant, "p1"), add(database_url, tenant, "p2")
    with psycopg.connect(database_url) as conn:
        devices_service.revoke_credentials(conn, device_id=a.device.id)
        rotated = devices_service.rotate_credentials(conn, device_id=b.device.id)
        devices_service.register(conn, device_in=DeviceCreate(tenant=tenant, device_key="bare", device_type="pump"))
    assert not emqx_accepts(broker_conn, a.username, a.password)
    assert acl_rules(broker_conn, a.username) == set()
    assert not emqx_accepts(broker_conn, b.username, b.password)
    assert emqx_accepts(broker_conn, rotated.username, rotated.password)
    assert broker_conn.execute(emqx_queries()[0], (f"{tenant}/bare",)).fetchone() is None


def test_a_device_is_granted_its_own_topics_only(database_url: str, tenant: str, broker_conn: psycopg.Connection):
    a = add(database_url, tenant, "aa:bb:01")
    add(database_url, tenant, "other")
    root = f"assetpulse/{tenant}/aa:bb:01"
    assert acl_rules(broker_conn, a.username) == {
        ("allow", "publish", f"{root}/telemetry"),
        ("allow", "publish", f"{root}/status"),
        ("allow", "subscribe", f"{root}/command"),
    }


def test_service_users_from_the_settings(database_url: str, broker_conn: psycopg.Connection):
    settings = BrokerAuthSettings(
        environment="production",
        broker_ingest_password=SecretStr(INGEST_PASSWORD),
        broker_detector_password=SecretStr(DETECTOR_PASSWORD),
    )
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO broker.service_logins (username, broker_password_hash) VALUES ('old-service', %s)",
            ("$7$10000$c2FsdA==$aGFzaA==",),
        )
        assert sync_service_logins(conn, settings=settings) == ["assetpulse-ingest", "assetpulse-detector"]
    assert emqx_accepts(broker_conn, "assetpulse-ingest", INGEST_PASSWORD)
    assert emqx_accepts(broker_conn, "assetpulse-detector", DETECTOR_PASSWORD)
    assert not emqx_accepts(broker_conn, "assetpulse-ingest", DETECTOR_PASSWORD)
    assert broker_conn.execute(emqx_queries()[0], ("old-service",)).fetchone() is None, "stale users are removed"
    # the doctor's round-trip topic (outside the devices' root) may be read; the views grant services no publish,
    # so against EMQX the doctor's round trip still warns (deploy/README.md)
    assert acl_rules(broker_conn, "assetpulse-ingest") == {
        ("allow", "subscribe", "assetpulse/#"),
        ("allow", "subscribe", "$share/+/assetpulse/#"),
        ("allow", "subscribe", "assetpulse-doctor/#"),
        ("allow", "subscribe", "$share/+/assetpulse-doctor/#"),
    }
    assert {t for _, a, t in acl_rules(broker_conn, "assetpulse-detector") if a == "subscribe"} == {
        "assetpulse/+/+/telemetry",
        "assetpulse/+/+/status",
        "$share/+/assetpulse/+/+/telemetry",
        "$share/+/assetpulse/+/+/status",
    }


def test_the_broker_role_reads_the_views_and_nothing_else(broker_conn: psycopg.Connection):
    for table in ("fleet.devices", "broker.service_logins", "auth.users"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            broker_conn.execute(f"SELECT 1 FROM {table} LIMIT 1")
