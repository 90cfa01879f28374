"""`assetpulse users create` as an operator runs it, customer-portal users included."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg
import pytest

from service_core.auth import service as auth_service
from tests.masterdata_factories import make_account

pytestmark = pytest.mark.e2e

PASSWORD = "portal-pass-2024"


def users_create(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSETPULSE_")}
    env |= {"COLUMNS": "250", "ASSETPULSE_DATABASE_URL": database_url, "ASSETPULSE_USER_PASSWORD": PASSWORD}
    return subprocess.run(
        [sys.executable, "-c", "from service_core.cli import main; main()", "users", "create", *args],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def user_rows(database_url: str) -> list[tuple[str, str, int | None]]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT email, role, account_id FROM auth.users ORDER BY email").fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def test_a_customer_user_is_created_for_its_account_and_can_log_in(database_url: str):
    account = make_account(database_url)
    out = users_create(
        database_url, "--email", "Buyer@Example.com", "--role", "customer", "--account-id", str(account.id)
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\t")[1:] == ["buyer@example.com", "customer", f"account {account.id}\n"]
    assert user_rows(database_url) == [("buyer@example.com", "customer", account.id)]
    with psycopg.connect(database_url) as conn:  # the same user the API would have created: it logs in
        user = auth_service.authenticate(conn, email="buyer@example.com", password=PASSWORD)
        principal = auth_service.principal_for_user(conn, user_id=user.id)
    assert principal.account_id == account.id and principal.role.value == "customer"


def test_a_customer_user_without_an_account_is_refused(database_url: str):
    out = users_create(database_url, "--email", "buyer@example.com", "--role", "customer")
    assert out.returncode == 2
    assert "a customer user needs the --account-id of their customer account" in out.stderr
    assert "Traceback" not in out.stderr
    assert user_rows(database_url) == []


def test_a_staff_user_with_an_account_is_refused(database_url: str):
    account = make_account(database_url)
    out = users_create(
        database_url, "--email", "ops@example.com", "--role", "dispatcher", "--account-id", str(account.id)
    )
    assert out.returncode == 2
    assert "only customer users belong to an account; a dispatcher user has no --account-id" in out.stderr
    assert user_rows(database_url) == []


def test_an_unknown_account_is_refused(database_url: str):
    out = users_create(database_url, "--email", "buyer@example.com", "--role", "customer", "--account-id", "424242")
    assert out.returncode == 2
    assert "error: account 424242 does not exist" in out.stderr
    assert "Traceback" not in out.stderr
    assert user_rows(database_url) == []


def test_a_staff_user_still_needs_no_account(database_url: str):
    out = users_create(database_url, "--email", "admin@example.com", "--role", "admin", "--full-name", "Ada")
    assert out.returncode == 0, out.stderr
    assert out.stdout.rstrip("\n").split("\t")[1:] == ["admin@example.com", "admin"]
    assert user_rows(database_url) == [("admin@example.com", "admin", None)]
