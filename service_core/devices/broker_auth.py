"""What the MQTT broker needs to authenticate devices, as pure functions: generated passwords, Mosquitto's
PBKDF2-SHA512 password hash, and the password and ACL files rendered from the registry.

Mosquitto's password file holds one `username:$7$<iterations>$<salt b64>$<hash b64>` line per user (the format
`mosquitto_passwd -H sha512-pbkdf2` writes, the default since 2.0); the broker reads the iteration count from each
line.  Its ACL file grants each `user` block only the `topic` lines below it; anything not granted is denied.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from ingest.payloads import TOPIC_ROOT

# `assetpulse doctor`'s round-trip topics (`service_core.doctor.broker`): outside the devices' root
DOCTOR_TOPIC_ROOT = "assetpulse-doctor"
MOSQUITTO_PBKDF2 = "7"
# Generated device passwords carry 256 random bits, so the iteration count does not protect them: it only slows
# guessing of operator-chosen passwords (`devices register --password`).  The broker pays it on every CONNECT,
# which is why it is far below an interactive login's: a reconnect storm of 10,000 devices costs ~2 CPU-minutes.
BROKER_HASH_ITERATIONS = 10_000
SALT_BYTES = 12  # what mosquitto_passwd uses
GENERATED_PASSWORD_BYTES = 32

# Characters Mosquitto's files cannot carry inside a name: ':' separates user and hash in the password file,
# whitespace separates the words of an ACL line, '+' and '#' are wildcards, '%' starts a pattern substitution.
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.%/-]{1,200}$")
_SAFE_TOPIC = re.compile(r"^[A-Za-z0-9_.:/+#-]{1,300}$")


def generate_password() -> str:
    """A new device password: 256 random bits, URL-safe, shown once and never stored."""
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


def mosquitto_hash(password: str, *, salt: bytes | None = None, iterations: int = BROKER_HASH_ITERATIONS) -> str:
    """`$7$<iterations>$<salt>$<hash>`: PBKDF2-HMAC-SHA512 as Mosquitto 2 checks it."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    b64 = base64.b64encode
    return f"${MOSQUITTO_PBKDF2}${iterations}${b64(salt).decode()}${b64(digest).decode()}"


def verify_mosquitto_hash(password: str, encoded: str) -> bool:
    """Whether `password` matches a `$7$` hash (ours or one written by mosquitto_passwd)."""
    parts = encoded.split("$")
    if len(parts) != 5 or parts[0] != "" or parts[1] != MOSQUITTO_PBKDF2 or not parts[2].isdigit():
        return False
    try:
        salt, expected = base64.b64decode(parts[3], validate=True), base64.b64decode(parts[4], validate=True)
    except ValueError:
        return False
    actual = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, int(parts[2]))
    return hmac.compare_digest(actual, expected)


def broker_username(tenant: str, device_key: str) -> str:
    """The MQTT username of a device: `<tenant>/<device_key>`, with ':' written `%3A` (the password file's
    separator; device keys such as MAC addresses contain it, '%' never occurs in a key)."""
    return f"{tenant}/{device_key.replace(':', '%3A')}"


def device_topic(tenant: str, device_key: str, kind: str) -> str:
    return f"{TOPIC_ROOT}/{tenant}/{device_key}/{kind}"


@dataclass(frozen=True, slots=True)
class BrokerAccount:
    """One broker user: its name, its `$7$` hash and the topics it may publish to and receive from."""

    username: str
    password_hash: str
    publish: tuple[str, ...] = ()
    receive: tuple[str, ...] = ()
    comment: str = ""


def device_account(tenant: str, device_key: str, password_hash: str) -> BrokerAccount:
    """A device publishes its own telemetry and status (birth, last will) and receives only its own commands."""
    return BrokerAccount(
        username=broker_username(tenant, device_key),
        password_hash=password_hash,
        publish=(device_topic(tenant, device_key, "telemetry"), device_topic(tenant, device_key, "status")),
        receive=(device_topic(tenant, device_key, "command"),),
        comment=f"device {tenant}/{device_key}",
    )


def ingest_account(username: str, password_hash: str) -> BrokerAccount:
    """The ingestors: everything under the root, which covers their `$share/<group>/assetpulse/#` subscription;
    and `assetpulse doctor`, which logs in as them, a topic of its own outside the root for its round trip (no
    device can read or write it, and no ingestor takes its test message for telemetry)."""
    return BrokerAccount(
        username,
        password_hash,
        publish=(f"{DOCTOR_TOPIC_ROOT}/#",),
        receive=(f"{TOPIC_ROOT}/#", f"{DOCTOR_TOPIC_ROOT}/#"),
        comment="service: ingestor",
    )


def detector_account(username: str, password_hash: str) -> BrokerAccount:
    """The detector: reads every device's telemetry and status, publishes nothing."""
    receive = (f"{TOPIC_ROOT}/+/+/telemetry", f"{TOPIC_ROOT}/+/+/status")
    return BrokerAccount(username, password_hash, receive=receive, comment="service: detector")


def render_password_file(accounts: Iterable[BrokerAccount]) -> str:
    """Mosquitto's password file, one line per account, sorted by username."""
    lines = []
    for account in sorted(accounts, key=lambda a: a.username):
        _check_name(account.username)
        if not account.password_hash.startswith(f"${MOSQUITTO_PBKDF2}$") or ":" in account.password_hash:
            raise ValueError(f"the hash of {account.username!r} is not in Mosquitto's $7$ format")
        lines.append(f"{account.username}:{account.password_hash}\n")
    return "".join(lines)


def render_acl_file(accounts: Iterable[BrokerAccount]) -> str:
    """Mosquitto's ACL file: a `user` block per account; no general or anonymous grants, so all else is denied."""
    blocks = ["# Generated by `assetpulse broker sync-auth` from the device registry; edits are overwritten.\n"]
    for account in sorted(accounts, key=lambda a: a.username):
        _check_name(account.username)
        lines = [f"# {account.comment}"] if account.comment else []
        lines.append(f"user {account.username}")
        for access, topics in (("write", account.publish), ("read", account.receive)):
            for topic in topics:
                if not _SAFE_TOPIC.match(topic):
                    raise ValueError(f"topic {topic!r} cannot be written into an ACL file")
                lines.append(f"topic {access} {topic}")
        blocks.append("\n" + "\n".join(lines) + "\n")
    return "".join(blocks)


def _check_name(username: str) -> None:
    if not _SAFE_NAME.match(username):
        raise ValueError(f"username {username!r} cannot be written into Mosquitto's password or ACL file")
