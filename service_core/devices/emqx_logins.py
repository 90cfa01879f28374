"""The AssetPulse services' broker users for an EMQX cluster, kept in `broker.service_logins`.

EMQX authenticates and authorizes through the views `broker.logins` and `broker.acl` (migration 0120): devices come
straight from the registry, the services (ingestor, detector) from this table, which `sync_service_logins` fills
from the same `ASSETPULSE_BROKER_*` settings that Mosquitto's password file is written from.
"""

from __future__ import annotations

import logging

import psycopg

from service_core.devices.broker_sync import BrokerAuthSettings

log = logging.getLogger(__name__)


def sync_service_logins(conn: psycopg.Connection, *, settings: BrokerAuthSettings) -> list[str]:
    """Replace the services' rows with the current users, hashes and read grants; the usernames written."""
    accounts = settings.service_accounts()
    for account in accounts:
        conn.execute(
            """
            INSERT INTO broker.service_logins (username, broker_password_hash, receive) VALUES (%s, %s, %s)
            ON CONFLICT (username) DO UPDATE SET broker_password_hash = EXCLUDED.broker_password_hash,
                                                 receive = EXCLUDED.receive, updated_at = now()
            """,
            (account.username, account.password_hash, list(account.receive)),
        )
    names = [a.username for a in accounts]
    conn.execute("DELETE FROM broker.service_logins WHERE NOT (username = ANY (%s))", (names,))
    log.info("EMQX service logins written: %s", ", ".join(names))
    return names
