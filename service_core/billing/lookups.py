"""Read-only look-ups billing needs from other schemas: an account's billing terms and the effective price list."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import psycopg

from service_core.exceptions import NotFound


@dataclass(frozen=True, slots=True)
class AccountBilling:
    account_id: int
    currency: str
    tax_rate: Decimal
    payment_terms_days: int
    price_list_id: int | None


def account_billing(conn: psycopg.Connection, *, account_id: int) -> AccountBilling:
    """The currency, tax rate, payment terms and price list of an account; `NotFound` if there is none."""
    row = conn.execute(
        "SELECT id, currency, tax_rate, payment_terms_days, price_list_id FROM crm.accounts WHERE id = %s",
        (account_id,),
    ).fetchone()
    if row is None:
        raise NotFound(f"account {account_id} does not exist")
    return AccountBilling(int(row[0]), str(row[1]), row[2], int(row[3]), row[4])


def effective_price_list(
    conn: psycopg.Connection, *, account_id: int, price_list_id: int | None
) -> tuple[int | None, Decimal]:
    """The price list that applies (`price_list_id`: the agreement's, else the account's, else the default) and its
    minimum charge."""
    row = conn.execute(
        """
        SELECT pl.id, pl.minimum_charge
        FROM catalog.price_lists pl
        WHERE pl.id = coalesce(
            %(price_list)s::int,
            (SELECT price_list_id FROM crm.accounts WHERE id = %(account)s),
            (SELECT id FROM catalog.price_lists WHERE is_default))
        """,
        {"price_list": price_list_id, "account": account_id},
    ).fetchone()
    if row is None:
        return None, Decimal("0.00")
    return int(row[0]), row[1]
