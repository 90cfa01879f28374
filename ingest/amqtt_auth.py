"""Device authentication and topic ACLs for the in-process amqtt broker, read from the device registry.

`RegistryAuthPlugin` gives amqtt what Mosquitto gets from the files `assetpulse broker sync-auth` generates: a
device logs in as `<tenant>/<device_key>` with the password its credentials were issued with (checked against the
registry's `$7$` broker hash at every CONNECT, so a revoked or rotated device is refused from its next connection
on), publishes only its own telemetry and status and receives only its own command topic; the service users
(the ingestor) are given to the plugin with their hashes and topic grants.  Anonymous clients are refused.

The grants are the same `BrokerAccount`s the Mosquitto ACL file is rendered from; `acl_allows` and
`subscription_allowed` apply them as Mosquitto does (a subscription is allowed only if a read grant covers the
whole filter: a device subscribing to `assetpulse/#` is refused, not narrowed).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from amqtt.contexts import Action, BaseContext
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin
from amqtt.session import Session
from paho.mqtt.client import topic_matches_sub

from service_core.devices.broker_auth import BrokerAccount, device_account, verify_mosquitto_hash

log = logging.getLogger(__name__)

_CONNECT_TIMEOUT_S = 5


def device_identity(username: str) -> tuple[str, str] | None:
    """The (tenant, device_key) a device username names (`<tenant>/<key>`, ':' written `%3A`); None otherwise."""
    tenant, slash, key = username.partition("/")
    if not slash or not tenant or not key or "/" in key:
        return None
    return tenant, key.replace("%3A", ":")


def acl_allows(patterns: Iterable[str], topic: str) -> bool:
    """Whether a concrete `topic` matches one of the granted topic patterns (`+` and `#` wildcards)."""
    return any(topic_matches_sub(pattern, topic) for pattern in patterns)


def subscription_allowed(patterns: Iterable[str], topic_filter: str) -> bool:
    """Whether a read grant covers every topic `topic_filter` can match; a `$share/<group>/` prefix is ignored."""
    if topic_filter.startswith("$share/"):
        topic_filter = topic_filter.split("/", 2)[2] if topic_filter.count("/") >= 2 else ""
    return bool(topic_filter) and any(_covers(pattern.split("/"), topic_filter.split("/")) for pattern in patterns)


def _covers(pattern: list[str], wanted: list[str]) -> bool:
    for index, level in enumerate(pattern):
        if level == "#":
            return True
        if index >= len(wanted):
            return False
        asked = wanted[index]
        if asked == "#" or (level != "+" and (asked == "+" or asked != level)):
            return False
    return len(pattern) == len(wanted)


def account_from_config(entry: dict[str, Any]) -> BrokerAccount:
    return BrokerAccount(
        username=str(entry["username"]),
        password_hash=str(entry["password_hash"]),
        publish=tuple(entry.get("publish", ())),
        receive=tuple(entry.get("receive", ())),
        comment=str(entry.get("comment", "")),
    )


def account_to_config(account: BrokerAccount) -> dict[str, Any]:
    """A service account as the plugin's configuration carries it."""
    return {
        "username": account.username,
        "password_hash": account.password_hash,
        "publish": list(account.publish),
        "receive": list(account.receive),
        "comment": account.comment,
    }


class RegistryAuthPlugin(BaseAuthPlugin, BaseTopicPlugin):  # type: ignore[misc]  # amqtt ships no types
    """amqtt plugin: `authenticate` against the registry and service accounts, `topic_filtering` by their grants."""

    @dataclass
    class Config:
        database_url: str = ""
        service_accounts: list[dict[str, Any]] = field(default_factory=list)

    def __init__(self, context: BaseContext) -> None:
        super().__init__(context)
        config: RegistryAuthPlugin.Config = self.config
        if not config.database_url:
            raise ValueError("RegistryAuthPlugin needs the database_url of the device registry")
        self._database_url = config.database_url
        self._services = {a["username"]: account_from_config(a) for a in config.service_accounts}
        self._granted: dict[str, BrokerAccount] = {}  # by client id: the account each connected client logged in as

    async def authenticate(self, *, session: Session) -> bool:
        username, password = session.username, session.password or ""
        if not username or session.client_id is None:
            log.info("refused an anonymous client (%s)", session.client_id)
            return False
        account = self._services.get(username) or await asyncio.to_thread(self._device_account, username)
        if account is None or not await asyncio.to_thread(verify_mosquitto_hash, password, account.password_hash):
            log.info("refused client %s: unknown user or wrong password for %r", session.client_id, username)
            return False
        self._granted[session.client_id] = account
        return True

    async def topic_filtering(
        self, *, session: Session | None = None, topic: str | None = None, action: Action | None = None
    ) -> bool:
        account = self._granted.get(session.client_id) if session is not None and session.client_id else None
        if account is None or not topic or session is None or account.username != session.username:
            return False
        if action == Action.PUBLISH:
            allowed = acl_allows(account.publish, topic)
        elif action == Action.SUBSCRIBE:
            allowed = subscription_allowed(account.receive, topic)
        else:
            allowed = acl_allows(account.receive, topic)
        if not allowed and action != Action.RECEIVE:
            log.info("denied %s %s to %s", action, topic, account.username)
        return allowed

    def _device_account(self, username: str) -> BrokerAccount | None:
        identity = device_identity(username)
        if identity is None:
            return None
        try:
            with psycopg.connect(self._database_url, connect_timeout=_CONNECT_TIMEOUT_S) as conn:
                row = conn.execute(
                    "SELECT broker_password_hash FROM fleet.devices WHERE tenant = %s AND device_key = %s"
                    " AND broker_password_hash IS NOT NULL AND revoked_at IS NULL",
                    identity,
                ).fetchone()
        except psycopg.Error as exc:
            log.warning("device registry unreachable, refusing %s: %s", username, exc)
            return None
        return device_account(*identity, row[0]) if row else None
