"""Reading disputes and promises to pay (lists and details), and withdrawing a promise the customer takes back.
Opening and resolving a dispute and recording a promise live with the dunning they pause (`dunning.py`)."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import class_row

from service_core.exceptions import InvalidTransition, NotFound
from service_core.receivables import domain
from service_core.receivables.schemas import DisputePublic, PromisePublic

DISPUTE_COLUMNS = "d.id, d.invoice_id, d.reason, d.opened_at, d.opened_by, d.resolved_at, d.resolution"
PROMISE_COLUMNS = "p.id, p.invoice_id, p.promised_date, p.amount, p.status, p.notes, p.created_by, p.created_at"


def list_disputes(
    conn: psycopg.Connection, *, invoice_id: int | None, account_id: int | None, is_open: bool | None, limit: int,
    offset: int,
) -> tuple[list[DisputePublic], int]:  # fmt: skip
    """One page of disputes (newest first) and how many match; `is_open`: unresolved only (False: resolved only)."""
    where = (
        "(%(invoice)s::bigint IS NULL OR d.invoice_id = %(invoice)s) "
        "AND (%(account)s::int IS NULL OR i.account_id = %(account)s) "
        "AND (%(open)s::boolean IS NULL OR (d.resolved_at IS NULL) = %(open)s)"
    )
    params = {"invoice": invoice_id, "account": account_id, "open": is_open, "limit": limit, "offset": offset}
    return _page(conn, DisputePublic, f"SELECT {DISPUTE_COLUMNS} FROM billing.disputes d", where,
                 order="d.opened_at DESC, d.id DESC", params=params)  # fmt: skip


def get_dispute(conn: psycopg.Connection, *, dispute_id: int) -> DisputePublic:
    with conn.cursor(row_factory=class_row(DisputePublic)) as cur:
        cur.execute(f"SELECT {DISPUTE_COLUMNS} FROM billing.disputes d WHERE d.id = %s", (dispute_id,))
        dispute = cur.fetchone()
    if dispute is None:
        raise NotFound(f"dispute {dispute_id} does not exist")
    return dispute


def list_promises(
    conn: psycopg.Connection, *, invoice_id: int | None, account_id: int | None, status: str | None, limit: int,
    offset: int,
) -> tuple[list[PromisePublic], int]:  # fmt: skip
    """One page of promises to pay (latest promised date first) and how many match."""
    where = (
        "(%(invoice)s::bigint IS NULL OR p.invoice_id = %(invoice)s) "
        "AND (%(account)s::int IS NULL OR i.account_id = %(account)s) "
        "AND (%(status)s::text IS NULL OR p.status = %(status)s)"
    )
    params = {"invoice": invoice_id, "account": account_id, "status": status, "limit": limit, "offset": offset}
    return _page(conn, PromisePublic, f"SELECT {PROMISE_COLUMNS} FROM billing.promises_to_pay p", where,
                 order="p.promised_date DESC, p.id DESC", params=params)  # fmt: skip


def get_promise(conn: psycopg.Connection, *, promise_id: int, lock: bool = False) -> PromisePublic:
    with conn.cursor(row_factory=class_row(PromisePublic)) as cur:
        cur.execute(
            f"SELECT {PROMISE_COLUMNS} FROM billing.promises_to_pay p WHERE p.id = %s{' FOR UPDATE' if lock else ''}",
            (promise_id,),
        )
        promise = cur.fetchone()
    if promise is None:
        raise NotFound(f"promise to pay {promise_id} does not exist")
    return promise


def cancel_promise(conn: psycopg.Connection, *, promise_id: int, reason: str, actor: str) -> PromisePublic:
    """Withdraw an open promise (the customer takes it back): it no longer pauses dunning and is not counted as
    broken against the account; the reason and who withdrew it are kept in its notes (and in the audit trail)."""
    promise = get_promise(conn, promise_id=promise_id, lock=True)
    if problem := domain.promise_cancel_problem(promise.status):
        raise InvalidTransition(f"promise to pay {promise_id}: {problem}")
    note = f"canceled by {actor}: {reason}"
    conn.execute(
        "UPDATE billing.promises_to_pay SET status = 'canceled', "
        "notes = CASE WHEN notes = '' THEN %s ELSE notes || E'\\n' || %s END WHERE id = %s",
        (note, note, promise_id),
    )
    return get_promise(conn, promise_id=promise_id)


def _page(
    conn: psycopg.Connection, model: Any, select: str, where: str, *, order: str, params: dict[str, Any]
) -> tuple[list[Any], int]:
    """`select` (from a table aliased d or p, with an invoice_id) joined to its invoice as i, one page of it."""
    alias = select.rsplit(maxsplit=1)[-1]
    joined = f"{select} JOIN billing.invoices i ON i.id = {alias}.invoice_id WHERE {where}"
    (total,) = conn.execute(f"SELECT count(*) FROM ({joined}) AS matched", params).fetchone() or (0,)
    with conn.cursor(row_factory=class_row(model)) as cur:
        cur.execute(f"{joined} ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s", params)
        return cur.fetchall(), int(total)
