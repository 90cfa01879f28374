"""Agreement use cases: create and change, covered assets, lifecycle, the terms a work order gets.

Functions take an open connection; the caller owns the transaction.  Fee periods live in `fees.py`.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import psycopg
from psycopg import errors, sql
from psycopg.rows import class_row

from service_core.agreements import fees
from service_core.agreements.domain import AgreementTerms, next_status
from service_core.agreements.schemas import AgreementCreate, AgreementPublic, AgreementUpdate, FeePeriodPublic
from service_core.exceptions import Conflict, InvalidInput, InvalidTransition, NotFound

log = logging.getLogger(__name__)

_COLUMNS = """a.id, a.number, a.kind, a.account_id, a.name, a.status, a.start_date, a.end_date, a.covers_all_assets,
    ARRAY(SELECT aa.asset_id FROM agreements.agreement_assets aa WHERE aa.agreement_id = a.id ORDER BY 1) AS asset_ids,
    a.covered_work_types, a.covers_labour, a.covers_parts, a.covers_travel, a.discount_pct, a.labour_rate,
    a.price_list_id, a.calendar_id, a.periodic_fee, a.billing_period_months, a.created_at"""
_TERMS_COLUMNS = """a.id, a.number, a.kind, a.account_id, a.covered_work_types, a.covers_labour, a.covers_parts,
    a.covers_travel, a.discount_pct, a.labour_rate, a.price_list_id, a.calendar_id"""
_NULLABLE = frozenset({"labour_rate", "price_list_id", "calendar_id"})
_DRAFT_ONLY_CHANGE = "the terms of an agreement are fixed once it is active; only a draft's may change"


def create_agreement(conn: psycopg.Connection, *, agreement_in: AgreementCreate) -> AgreementPublic:
    """Create a draft agreement with its covered assets; `Conflict` if the number is taken."""
    _check_references(
        conn,
        account_id=agreement_in.account_id,
        calendar_id=agreement_in.calendar_id,
        price_list_id=agreement_in.price_list_id,
    )
    _check_assets(conn, account_id=agreement_in.account_id, asset_ids=agreement_in.asset_ids)
    values = agreement_in.model_dump(exclude={"asset_ids"})
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in values)
    placeholders = sql.SQL(", ").join(sql.Placeholder(c) for c in values)
    query = sql.SQL("INSERT INTO agreements.agreements ({}) VALUES ({}) RETURNING id").format(columns, placeholders)
    try:
        with conn.transaction():
            row = conn.execute(query, values).fetchone()
    except errors.UniqueViolation as exc:
        raise Conflict(f"agreement number {agreement_in.number} is taken") from exc
    assert row is not None
    agreement_id = int(row[0])
    for asset_id in agreement_in.asset_ids:
        conn.execute(
            "INSERT INTO agreements.agreement_assets (agreement_id, asset_id) VALUES (%s, %s)", (agreement_id, asset_id)
        )
    log.info("agreement %s created for account %s", agreement_in.number, agreement_in.account_id)
    return get_agreement(conn, agreement_id=agreement_id)


def get_agreement(conn: psycopg.Connection, *, agreement_id: int, lock: bool = False) -> AgreementPublic:
    with conn.cursor(row_factory=class_row(AgreementPublic)) as cur:
        cur.execute(
            f"SELECT {_COLUMNS} FROM agreements.agreements a WHERE a.id = %s" + (" FOR UPDATE" if lock else ""),
            (agreement_id,),
        )
        agreement = cur.fetchone()
    if agreement is None:
        raise NotFound(f"agreement {agreement_id} does not exist")
    return agreement


def list_agreements(
    conn: psycopg.Connection, *, account_id: int | None, status: str | None, limit: int, offset: int
) -> tuple[list[AgreementPublic], int]:
    """One page of agreements by number, and how many there are."""
    where = "WHERE (%(acc)s::int IS NULL OR a.account_id = %(acc)s) AND (%(st)s::text IS NULL OR a.status = %(st)s)"
    params = {"acc": account_id, "st": status, "limit": limit, "offset": offset}
    (total,) = conn.execute(f"SELECT count(*) FROM agreements.agreements a {where}", params).fetchone() or (0,)
    with conn.cursor(row_factory=class_row(AgreementPublic)) as cur:
        cur.execute(
            f"SELECT {_COLUMNS} FROM agreements.agreements a {where} ORDER BY a.number, a.id "
            "LIMIT %(limit)s OFFSET %(offset)s",
            params,
        )
        return cur.fetchall(), int(total)


def update_agreement(conn: psycopg.Connection, *, agreement_id: int, agreement_in: AgreementUpdate) -> AgreementPublic:
    """Change a draft's terms (or any agreement's name); `InvalidTransition` for an active one's terms."""
    current = get_agreement(conn, agreement_id=agreement_id, lock=True)
    changes = {k: v for k, v in agreement_in.model_dump(exclude_unset=True).items() if v is not None or k in _NULLABLE}
    if current.status in ("expired", "canceled") or (current.status == "active" and set(changes) - {"name"}):
        raise InvalidTransition(
            _DRAFT_ONLY_CHANGE if current.status == "active" else f"the agreement is {current.status}"
        )
    if changes.get("start_date", current.start_date) >= changes.get("end_date", current.end_date):
        raise InvalidInput("end_date must be after start_date")
    _check_references(
        conn, account_id=None, calendar_id=changes.get("calendar_id"), price_list_id=changes.get("price_list_id")
    )
    if changes:
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in changes
        )
        query = sql.SQL("UPDATE agreements.agreements SET {} WHERE id = %(agreement_id)s").format(assignments)
        conn.execute(query, {**changes, "agreement_id": agreement_id})
    return get_agreement(conn, agreement_id=agreement_id)


def delete_agreement(conn: psycopg.Connection, *, agreement_id: int) -> None:
    """Delete a draft agreement; active or past ones stay (cancel them)."""
    current = get_agreement(conn, agreement_id=agreement_id, lock=True)
    if current.status != "draft":
        raise InvalidTransition(f"only a draft agreement can be deleted; this one is {current.status}: cancel it")
    try:
        with conn.transaction():
            conn.execute("DELETE FROM agreements.agreements WHERE id = %s", (agreement_id,))
    except errors.ForeignKeyViolation as exc:
        raise Conflict(f"agreement {agreement_id} is referred to by work orders") from exc


def add_asset(conn: psycopg.Connection, *, agreement_id: int, asset_id: int) -> AgreementPublic:
    """Cover one more of the account's assets (draft or active agreement)."""
    current = _changeable(conn, agreement_id)
    _check_assets(conn, account_id=current.account_id, asset_ids=[asset_id])
    conn.execute(
        "INSERT INTO agreements.agreement_assets (agreement_id, asset_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (agreement_id, asset_id),
    )
    return get_agreement(conn, agreement_id=agreement_id)


def remove_asset(conn: psycopg.Connection, *, agreement_id: int, asset_id: int) -> AgreementPublic:
    """Stop covering an asset; `NotFound` if it was not covered."""
    _changeable(conn, agreement_id)
    removed = conn.execute(
        "DELETE FROM agreements.agreement_assets WHERE agreement_id = %s AND asset_id = %s RETURNING asset_id",
        (agreement_id, asset_id),
    ).fetchone()
    if removed is None:
        raise NotFound(f"asset {asset_id} is not covered by agreement {agreement_id}")
    return get_agreement(conn, agreement_id=agreement_id)


def _changeable(conn: psycopg.Connection, agreement_id: int) -> AgreementPublic:
    current = get_agreement(conn, agreement_id=agreement_id, lock=True)
    if current.status not in ("draft", "active"):
        raise InvalidTransition(f"the agreement is {current.status}: its assets can no longer change")
    return current


def change_status(conn: psycopg.Connection, *, agreement_id: int, action: str, on: date) -> AgreementPublic:
    """activate (generates its fee periods), expire or cancel (drops uninvoiced fees after `on`)."""
    current = get_agreement(conn, agreement_id=agreement_id, lock=True)
    status = next_status(current.status, action)
    if action == "activate" and current.end_date < on:
        raise InvalidTransition(f"agreement {current.number} ended on {current.end_date}: it cannot be activated")
    conn.execute("UPDATE agreements.agreements SET status = %s WHERE id = %s", (status, agreement_id))
    if action == "activate":
        fees.generate_fee_periods(conn, agreement=current)
    elif action == "cancel":
        fees.drop_future_fee_periods(conn, agreement_id=agreement_id, after=on)
    log.info("agreement %s: %s -> %s", current.number, current.status, status)
    return get_agreement(conn, agreement_id=agreement_id)


def terms_for_work_order(
    conn: psycopg.Connection, *, agreement_id: int | None, account_id: int, asset_id: int | None, on: date
) -> AgreementTerms | None:
    """The given agreement if active on `on`, else an active agreement of the account covering the asset.

    Among several, one naming the asset wins over one covering all assets, then the latest start.
    """
    if agreement_id is not None:
        row = conn.execute(
            f"SELECT {_TERMS_COLUMNS} FROM agreements.agreements a WHERE a.id = %s AND a.status = 'active' "
            "AND a.start_date <= %s AND a.end_date >= %s",
            (agreement_id, on, on),
        ).fetchone()
        if row is not None:
            return _terms(row)
    row = conn.execute(
        f"""
        SELECT {_TERMS_COLUMNS} FROM agreements.agreements a
        LEFT JOIN agreements.agreement_assets aa ON aa.agreement_id = a.id AND aa.asset_id = %(asset)s
        WHERE a.account_id = %(account)s AND a.status = 'active' AND a.start_date <= %(on)s AND a.end_date >= %(on)s
          AND (aa.asset_id IS NOT NULL OR a.covers_all_assets)
        ORDER BY (aa.asset_id IS NOT NULL) DESC, a.start_date DESC, a.id DESC LIMIT 1
        """,
        {"asset": asset_id, "account": account_id, "on": on},
    ).fetchone()
    return None if row is None else _terms(row)


def _terms(row: Any) -> AgreementTerms:
    return AgreementTerms(
        agreement_id=row[0],
        number=row[1],
        kind=row[2],
        account_id=row[3],
        covered_work_types=frozenset(row[4]),
        covers_labour=row[5],
        covers_parts=row[6],
        covers_travel=row[7],
        discount_pct=row[8],
        labour_rate=row[9],
        price_list_id=row[10],
        calendar_id=row[11],
    )


def _check_references(
    conn: psycopg.Connection, *, account_id: int | None, calendar_id: int | None, price_list_id: int | None
) -> None:
    for table, row_id, what in (
        ("crm.accounts", account_id, "account"),
        ("policy.calendars", calendar_id, "calendar"),
        ("catalog.price_lists", price_list_id, "price list"),
    ):
        if row_id is not None and conn.execute(f"SELECT 1 FROM {table} WHERE id = %s", (row_id,)).fetchone() is None:
            raise InvalidInput(f"{what} {row_id} does not exist")


def _check_assets(conn: psycopg.Connection, *, account_id: int, asset_ids: list[int]) -> None:
    if not asset_ids:
        return
    found = {
        int(r[0])
        for r in conn.execute(
            "SELECT id FROM assets.assets WHERE id = ANY(%s) AND account_id = %s", (asset_ids, account_id)
        ).fetchall()
    }
    missing = sorted(set(asset_ids) - found)
    if missing:
        raise InvalidInput(f"assets {missing} do not exist or are not account {account_id}'s")


def fee_periods_due(conn: psycopg.Connection, *, through: date) -> list[FeePeriodPublic]:
    """Uninvoiced fee periods due on or before `through`, oldest first (billing invoices them)."""
    return fees.fee_periods_due(conn, through=through)


def mark_fee_period_invoiced(conn: psycopg.Connection, *, fee_period_id: int, invoice_id: int) -> None:
    """Record that billing invoiced a fee period (idempotent for the same invoice, `Conflict` for another)."""
    fees.mark_fee_period_invoiced(conn, fee_period_id=fee_period_id, invoice_id=invoice_id)
