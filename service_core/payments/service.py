"""Payment use cases: record (idempotent), allocate (explicit or oldest due first), refund unapplied cash, reverse a
bounced payment.  The payment row and the invoices are locked FOR UPDATE, so two clerks never over-allocate.
Functions take an open connection; the caller owns the transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.rows import class_row, dict_row

from service_core import messagebus
from service_core.billing import service as billing_service
from service_core.events import AccountBalanceChanged, PaymentRecorded
from service_core.exceptions import Conflict, InvalidInput, InvalidTransition, NotFound
from service_core.payments import domain
from service_core.payments.schemas import (
    AccountCredit,
    AllocationPublic,
    PaymentCreate,
    PaymentPublic,
    RefundCreate,
    RefundPublic,
)

_PAYMENT_COLUMNS = """p.id, p.account_id, p.amount, p.currency, p.received_on, p.method, p.reference, p.idempotency_key,
    p.status, p.reversed_at, p.reversal_reason, p.created_by, p.created_at,
    coalesce((SELECT sum(a.amount) FROM billing.allocations a
              WHERE a.payment_id = p.id AND a.reversed_at IS NULL), 0)::numeric(14, 2) AS allocated,
    coalesce((SELECT sum(r.amount) FROM billing.refunds r WHERE r.payment_id = p.id), 0)::numeric(14, 2) AS refunded"""


def _public(conn: psycopg.Connection, row: dict[str, Any]) -> PaymentPublic:
    with conn.cursor(row_factory=class_row(AllocationPublic)) as cur:
        cur.execute(
            "SELECT id, invoice_id, payment_id, credit_note_id, amount, allocated_at, allocated_by, reversed_at "
            "FROM billing.allocations WHERE payment_id = %s ORDER BY id",
            (row["id"],),
        )
        allocations = cur.fetchall()
    remaining = domain.unapplied(row["amount"], allocated=row["allocated"], refunded=row["refunded"])
    if row["status"] == "reversed":
        remaining = Decimal("0.00")
    return PaymentPublic(**row, unapplied=remaining, allocations=allocations)


def get_payment(conn: psycopg.Connection, *, payment_id: int, lock: bool = False) -> PaymentPublic:
    """One payment with its allocations and unapplied amount; `lock` holds its row FOR UPDATE."""
    if (
        lock
        and conn.execute("SELECT 1 FROM billing.payments WHERE id = %s FOR UPDATE", (payment_id,)).fetchone() is None
    ):
        raise NotFound(f"payment {payment_id} does not exist")
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(f"SELECT {_PAYMENT_COLUMNS} FROM billing.payments p WHERE p.id = %s", (payment_id,))
        row = cur.fetchone()
    if row is None:
        raise NotFound(f"payment {payment_id} does not exist")
    return _public(conn, row)


def list_page(
    conn: psycopg.Connection, *, account_id: int | None, status: str | None, limit: int, offset: int
) -> tuple[list[PaymentPublic], int]:
    """One page of payments (newest received first) and how many match."""
    where = (
        "(%(account)s::int IS NULL OR p.account_id = %(account)s) "
        "AND (%(status)s::text IS NULL OR p.status = %(status)s)"
    )
    params = {"account": account_id, "status": status, "limit": limit, "offset": offset}
    (total,) = conn.execute(f"SELECT count(*) FROM billing.payments p WHERE {where}", params).fetchone() or (0,)
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            f"SELECT {_PAYMENT_COLUMNS} FROM billing.payments p WHERE {where} "
            "ORDER BY p.received_on DESC, p.id DESC LIMIT %(limit)s OFFSET %(offset)s",
            params,
        )
        rows = cur.fetchall()
    return [_public(conn, r) for r in rows], int(total)


def _request_of(payment: PaymentPublic | PaymentCreate) -> domain.PaymentRequest:
    return domain.PaymentRequest(
        payment.account_id, payment.amount, payment.currency, payment.received_on, payment.method, payment.reference
    )


def _account_currency(conn: psycopg.Connection, account_id: int) -> str:
    row = conn.execute("SELECT currency FROM crm.accounts WHERE id = %s", (account_id,)).fetchone()
    if row is None:
        raise NotFound(f"account {account_id} does not exist")
    return str(row[0])


def record_payment(
    conn: psycopg.Connection, *, payment_in: PaymentCreate, idempotency_key: str | None, actor: str
) -> tuple[PaymentPublic, bool]:
    """Record a payment once per idempotency key: (payment, True) when new; (the stored one, False) for a retry of
    the same request; `Conflict` when the key was used for a different one.  Publishes `PaymentRecorded`."""
    key = idempotency_key or payment_in.idempotency_key
    if idempotency_key and payment_in.idempotency_key and idempotency_key != payment_in.idempotency_key:
        raise InvalidInput("the Idempotency-Key header and the idempotency_key field differ")
    currency = _account_currency(conn, payment_in.account_id)
    if payment_in.currency != currency:
        raise InvalidInput(f"account {payment_in.account_id} pays in {currency}, not {payment_in.currency}")
    row = conn.execute(
        """
        INSERT INTO billing.payments (account_id, amount, currency, received_on, method, reference, idempotency_key,
            created_by)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (idempotency_key) DO NOTHING RETURNING id
        """,
        (
            payment_in.account_id,
            payment_in.amount,
            payment_in.currency,
            payment_in.received_on,
            payment_in.method,
            payment_in.reference,
            key,
            actor,
        ),
    ).fetchone()
    if row is None:
        existing = conn.execute("SELECT id FROM billing.payments WHERE idempotency_key = %s", (key,)).fetchone()
        assert existing is not None
        stored = get_payment(conn, payment_id=int(existing[0]))
        if not domain.same_request(_request_of(stored), _request_of(payment_in)):
            raise Conflict(f"idempotency key {key!r} was already used for a different payment ({stored.id})")
        return stored, False
    payment_id = int(row[0])
    if payment_in.auto_allocate:
        allocate(conn, payment_id=payment_id, allocations=None, actor=actor)
    messagebus.publish(conn, PaymentRecorded(payment_id=payment_id, account_id=payment_in.account_id))
    return get_payment(conn, payment_id=payment_id), True


def _locked_received(conn: psycopg.Connection, payment_id: int) -> PaymentPublic:
    payment = get_payment(conn, payment_id=payment_id, lock=True)
    if payment.status != "received":
        raise InvalidTransition(f"payment {payment_id} is {payment.status}")
    return payment


def _plan(
    conn: psycopg.Connection,
    *,
    account_id: int,
    currency: str,
    available: Decimal,
    allocations: list[domain.Allocation] | None,
) -> list[domain.Allocation]:
    ids = None if allocations is None else [a.invoice_id for a in allocations]
    invoices = billing_service.lock_open_invoices(conn, account_id=account_id, invoice_ids=ids)
    for invoice in invoices:
        billing_service.ensure_same_currency(invoice, currency)
    if allocations is None:
        items = [domain.OpenItem(x.invoice_id, x.due_date, x.balance) for x in invoices]
        return domain.plan_oldest_first(available, items)
    return domain.check_explicit(available, allocations, {x.invoice_id: x.balance for x in invoices})


def allocate(
    conn: psycopg.Connection,
    *,
    payment_id: int,
    allocations: list[domain.Allocation] | None,
    actor: str,
    at: datetime | None = None,
) -> PaymentPublic:
    """Apply a payment to invoices: `allocations` as asked, or None for oldest due first; never over-allocates.
    `at`: when (None: now; the demo's history loader replays its own clock)."""
    payment = _locked_received(conn, payment_id)
    plan = _plan(
        conn,
        account_id=payment.account_id,
        currency=payment.currency,
        available=payment.unapplied,
        allocations=allocations,
    )
    for a in plan:
        billing_service.record_allocation(
            conn, invoice_id=a.invoice_id, amount=a.amount, actor=actor, payment_id=payment_id, at=at
        )
    if plan:
        messagebus.publish(conn, AccountBalanceChanged(account_id=payment.account_id, at=at or datetime.now(UTC)))
    return get_payment(conn, payment_id=payment_id)


def _locked_credit_note(conn: psycopg.Connection, credit_note_id: int) -> tuple[dict[str, Any], Decimal]:
    note = billing_service.lock_invoice(conn, invoice_id=credit_note_id)
    if note["kind"] != "credit_note" or note["status"] != "issued":
        raise InvalidTransition(f"invoice {credit_note_id} is not an issued credit note")
    row = conn.execute(
        "SELECT unapplied FROM billing.unapplied_credits WHERE source = 'credit_note' AND source_id = %s",
        (credit_note_id,),
    ).fetchone()
    return note, row[0] if row else Decimal("0.00")


def allocate_credit_note(
    conn: psycopg.Connection, *, credit_note_id: int, allocations: list[domain.Allocation] | None, actor: str
) -> AccountCredit:
    """Apply the unapplied part of a credit note to other invoices of its account (as asked, or oldest due first)."""
    note, available = _locked_credit_note(conn, credit_note_id)
    plan = _plan(
        conn, account_id=note["account_id"], currency=note["currency"], available=available, allocations=allocations
    )
    for a in plan:
        billing_service.record_allocation(
            conn, invoice_id=a.invoice_id, amount=a.amount, actor=actor, credit_note_id=credit_note_id
        )
    if plan:
        messagebus.publish(conn, AccountBalanceChanged(account_id=note["account_id"], at=datetime.now(UTC)))
    return account_credit(conn, account_id=note["account_id"])


def refund_credit_note(
    conn: psycopg.Connection, *, credit_note_id: int, refund_in: RefundCreate, actor: str
) -> RefundPublic:
    """Pay back the unapplied part of a credit note."""
    note, available = _locked_credit_note(conn, credit_note_id)
    domain.check_refund(refund_in.amount, available=available)
    return _insert_refund(
        conn, account_id=note["account_id"], refund_in=refund_in, actor=actor, credit_note_id=credit_note_id
    )


def refund(conn: psycopg.Connection, *, payment_id: int, refund_in: RefundCreate, actor: str) -> RefundPublic:
    """Pay back unapplied cash of a payment."""
    payment = _locked_received(conn, payment_id)
    domain.check_refund(refund_in.amount, available=payment.unapplied)
    return _insert_refund(conn, account_id=payment.account_id, refund_in=refund_in, actor=actor, payment_id=payment_id)


def _insert_refund(
    conn: psycopg.Connection,
    *,
    account_id: int,
    refund_in: RefundCreate,
    actor: str,
    payment_id: int | None = None,
    credit_note_id: int | None = None,
) -> RefundPublic:
    with conn.cursor(row_factory=class_row(RefundPublic)) as cur:
        cur.execute(
            """
            INSERT INTO billing.refunds (payment_id, credit_note_id, amount, refunded_on, reason, created_by)
            VALUES (%s, %s, %s, coalesce(%s, (now() AT TIME ZONE 'UTC')::date), %s, %s)
            RETURNING id, payment_id, credit_note_id, amount, refunded_on, reason, created_by, created_at
            """,
            (payment_id, credit_note_id, refund_in.amount, refund_in.refunded_on, refund_in.reason, actor),
        )
        created = cur.fetchone()
    assert created is not None
    messagebus.publish(conn, AccountBalanceChanged(account_id=account_id, at=datetime.now(UTC)))
    return created


def reverse(conn: psycopg.Connection, *, payment_id: int, reason: str, actor: str) -> PaymentPublic:
    """A bounced payment: status reversed, its allocations reversed, so its invoices reopen."""
    payment = _locked_received(conn, payment_id)
    if payment.refunded > 0:
        raise InvalidTransition(f"payment {payment_id} was partly refunded ({payment.refunded}): it cannot bounce")
    conn.execute(
        "UPDATE billing.payments SET status = 'reversed', reversed_at = now(), reversal_reason = %s WHERE id = %s",
        (reason, payment_id),
    )
    conn.execute(
        "UPDATE billing.allocations SET reversed_at = now() WHERE payment_id = %s AND reversed_at IS NULL",
        (payment_id,),
    )
    messagebus.publish(conn, AccountBalanceChanged(account_id=payment.account_id, at=datetime.now(UTC)))
    return get_payment(conn, payment_id=payment_id)


def account_credit(conn: psycopg.Connection, *, account_id: int) -> AccountCredit:
    """Unapplied payments and credit notes of an account (money it may use on later invoices or get refunded)."""
    _account_currency(conn, account_id)
    row = conn.execute(
        """
        SELECT coalesce(sum(unapplied) FILTER (WHERE source = 'payment'), 0)::numeric(14, 2),
               coalesce(sum(unapplied) FILTER (WHERE source = 'credit_note'), 0)::numeric(14, 2)
        FROM billing.unapplied_credits WHERE account_id = %s
        """,
        (account_id,),
    ).fetchone()
    assert row is not None
    return AccountCredit(
        account_id=account_id, unapplied_payments=row[0], unapplied_credit_notes=row[1], total=row[0] + row[1]
    )
