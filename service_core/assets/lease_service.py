"""Lease use cases: draft, activate (with the billing schedule), end, buy out, terminate; charges for billing."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from decimal import Decimal

import psycopg
from psycopg import errors
from psycopg.rows import class_row

from service_core import messagebus
from service_core.assets import lease_domain
from service_core.assets.lease_schemas import LeaseCreate, LeasePeriodPublic, LeasePublic
from service_core.events import LeaseEndedEarly, RentInvoicedPastEnd
from service_core.exceptions import Conflict, InvalidInput, NotFound

log = logging.getLogger(__name__)

_COLUMNS = (
    "id, number, asset_id, account_id, status, start_date, end_date, period_months, periodic_charge, deposit, "
    "buyout_price, ended_on, end_reason, created_at"
)
_PERIOD_SELECT = """
    SELECT p.id, p.lease_id, l.number AS lease_number, l.account_id, p.kind, p.period_start, p.period_end,
           p.due_date, p.amount, p.invoice_id
    FROM assets.lease_periods p JOIN assets.leases l ON l.id = p.lease_id
"""


def create_lease(conn: psycopg.Connection, *, lease_in: LeaseCreate) -> LeasePublic:
    """A draft lease of an asset to an account; nothing is billed until it is activated."""
    try:
        with conn.transaction(), conn.cursor(row_factory=class_row(LeasePublic)) as cur:
            lease = cur.execute(
                f"""
                INSERT INTO assets.leases (number, asset_id, account_id, start_date, end_date, period_months,
                                           periodic_charge, deposit, buyout_price)
                VALUES (%(number)s, %(asset_id)s, %(account_id)s, %(start_date)s, %(end_date)s, %(period_months)s,
                        %(periodic_charge)s, %(deposit)s, %(buyout_price)s)
                ON CONFLICT (number) DO NOTHING RETURNING {_COLUMNS}
                """,
                lease_in.model_dump(),
            ).fetchone()
    except errors.ForeignKeyViolation as exc:
        field = "asset_id" if "asset" in (exc.diag.constraint_name or "") else "account_id"
        raise InvalidInput(f"{field}: {field.removesuffix('_id')} {getattr(lease_in, field)} does not exist") from exc
    if lease is None:
        raise Conflict(f"lease number {lease_in.number} is taken")
    return lease


def get_lease(conn: psycopg.Connection, *, lease_id: int, lock: bool = False) -> LeasePublic:
    suffix = " FOR UPDATE" if lock else ""
    with conn.cursor(row_factory=class_row(LeasePublic)) as cur:
        lease = cur.execute(f"SELECT {_COLUMNS} FROM assets.leases WHERE id = %s{suffix}", (lease_id,)).fetchone()
    if lease is None:
        raise NotFound(f"lease {lease_id} does not exist")
    return lease


def list_leases(
    conn: psycopg.Connection,
    *,
    asset_id: int | None = None,
    account_id: int | None = None,
    status: str | None = None,
    limit: int,
    offset: int,
) -> tuple[list[LeasePublic], int]:
    """One page of leases, newest start first, and how many match."""
    params = {"asset": asset_id, "account": account_id, "status": status, "limit": limit, "offset": offset}
    where = """
        WHERE (%(asset)s::bigint IS NULL OR asset_id = %(asset)s)
          AND (%(account)s::int IS NULL OR account_id = %(account)s)
          AND (%(status)s::text IS NULL OR status = %(status)s)
    """
    total = conn.execute(f"SELECT count(*) FROM assets.leases {where}", params).fetchone()
    with conn.cursor(row_factory=class_row(LeasePublic)) as cur:
        cur.execute(
            f"SELECT {_COLUMNS} FROM assets.leases {where} "
            "ORDER BY start_date DESC, id DESC LIMIT %(limit)s OFFSET %(offset)s",
            params,
        )
        return cur.fetchall(), int(total[0]) if total else 0


def delete_draft(conn: psycopg.Connection, *, lease_id: int) -> None:
    """Throw away a lease that was never activated."""
    lease = get_lease(conn, lease_id=lease_id, lock=True)
    if lease.status != "draft":
        raise Conflict(f"lease {lease.number} is {lease.status}; only a draft can be deleted")
    conn.execute("DELETE FROM assets.leases WHERE id = %s", (lease_id,))


def activate(conn: psycopg.Connection, *, lease_id: int) -> LeasePublic:
    """Start the lease: its schedule is written and the asset becomes leased; one active lease per asset."""
    lease = get_lease(conn, lease_id=lease_id, lock=True)
    status = lease_domain.next_status(lease.status, "activate")
    conn.execute("SELECT 1 FROM assets.assets WHERE id = %s FOR UPDATE", (lease.asset_id,))
    try:
        with conn.transaction():
            conn.execute("UPDATE assets.leases SET status = %s WHERE id = %s", (status, lease_id))
    except errors.UniqueViolation as exc:
        raise Conflict(f"asset {lease.asset_id} already has an active lease") from exc
    charges = lease_domain.schedule(
        start=lease.start_date,
        end=lease.end_date,
        period_months=lease.period_months,
        periodic_charge=lease.periodic_charge,
        deposit=lease.deposit,
    )
    _add_charges(conn, lease_id, charges)
    conn.execute("UPDATE assets.assets SET ownership = 'leased', updated_at = now() WHERE id = %s", (lease.asset_id,))
    log.info("lease %s activated with %d charges", lease.number, len(charges))
    return get_lease(conn, lease_id=lease_id)


def end(conn: psycopg.Connection, *, lease_id: int) -> LeasePublic:
    """End a lease on its agreed end date (not before it)."""
    lease = get_lease(conn, lease_id=lease_id, lock=True)
    status = lease_domain.next_status(lease.status, "end")
    if problem := lease_domain.natural_end_problem(today=datetime.now(UTC).date(), end=lease.end_date):
        raise Conflict(problem)
    return _close(conn, lease, status=status, on=lease.end_date, reason="ended as agreed")


def buy_out(conn: psycopg.Connection, *, lease_id: int, on: date, actor: str) -> LeasePublic:
    """The lessee buys the asset `on` that day: rent from then on is dropped or credited, the buy-out price is
    charged."""
    lease = get_lease(conn, lease_id=lease_id, lock=True)
    status = lease_domain.next_status(lease.status, "buy_out")
    if lease.buyout_price is None:
        raise Conflict(f"lease {lease.number} has no buy-out price")
    _end_early(conn, lease, on=on, kind="buyout", amount=lease.buyout_price, actor=actor)
    conn.execute("UPDATE assets.assets SET ownership = 'customer', updated_at = now() WHERE id = %s", (lease.asset_id,))
    return _close(conn, lease, status=status, on=on, reason="bought out")


def terminate(
    conn: psycopg.Connection, *, lease_id: int, on: date, fee: Decimal | None, reason: str, actor: str
) -> LeasePublic:
    """End the lease early `on` that day: rent from then on is dropped or credited, the fee, if any, is charged."""
    lease = get_lease(conn, lease_id=lease_id, lock=True)
    status = lease_domain.next_status(lease.status, "terminate")
    _end_early(conn, lease, on=on, kind="termination_fee", amount=fee, actor=actor)
    return _close(conn, lease, status=status, on=on, reason=reason or "terminated")


def lease_periods(conn: psycopg.Connection, *, lease_id: int) -> list[LeasePeriodPublic]:
    """Every charge of the lease, by due date."""
    get_lease(conn, lease_id=lease_id)
    with conn.cursor(row_factory=class_row(LeasePeriodPublic)) as cur:
        cur.execute(f"{_PERIOD_SELECT} WHERE p.lease_id = %s ORDER BY p.due_date, p.kind, p.id", (lease_id,))
        return cur.fetchall()


def periods_due(conn: psycopg.Connection, *, through: date) -> list[LeasePeriodPublic]:
    """Charges not invoiced yet, due on or before `through`, of leases that were activated."""
    with conn.cursor(row_factory=class_row(LeasePeriodPublic)) as cur:
        cur.execute(
            f"""{_PERIOD_SELECT}
            WHERE p.invoice_id IS NULL AND p.due_date <= %s
              AND l.status IN ('active', 'ended', 'bought_out', 'terminated')
            ORDER BY p.due_date, p.lease_id, p.id
            """,
            (through,),
        )
        return cur.fetchall()


def lock_periods_to_invoice(
    conn: psycopg.Connection, *, lease_id: int, period_ids: list[int]
) -> list[LeasePeriodPublic]:
    """Those of a lease's charges `period_ids` still not invoiced, read afresh and locked until commit.

    The lease is locked first (shared), as ending it early locks it (exclusively) before its charges: a charge
    dropped or shortened meanwhile is seen as it is now, and the two never wait for each other in a circle.
    """
    conn.execute("SELECT 1 FROM assets.leases WHERE id = %s FOR SHARE", (lease_id,))
    with conn.cursor(row_factory=class_row(LeasePeriodPublic)) as cur:
        cur.execute(
            f"""{_PERIOD_SELECT}
            WHERE p.lease_id = %s AND p.id = ANY(%s) AND p.invoice_id IS NULL
            ORDER BY p.due_date, p.id FOR UPDATE OF p
            """,
            (lease_id, period_ids),
        )
        return cur.fetchall()


def mark_period_invoiced(conn: psycopg.Connection, *, period_id: int, invoice_id: int) -> None:
    """Note the invoice of a charge; `Conflict` if another invoice has it already."""
    try:
        with conn.transaction():
            cur = conn.execute(
                "UPDATE assets.lease_periods SET invoice_id = %s WHERE id = %s AND invoice_id IS NULL",
                (invoice_id, period_id),
            )
    except errors.ForeignKeyViolation as exc:
        raise NotFound(f"invoice {invoice_id} does not exist") from exc
    if cur.rowcount == 1:
        return
    row = conn.execute("SELECT invoice_id FROM assets.lease_periods WHERE id = %s", (period_id,)).fetchone()
    if row is None:
        raise NotFound(f"lease charge {period_id} does not exist")
    raise Conflict(f"lease charge {period_id} is invoiced already (invoice {row[0]})")


def _end_early(
    conn: psycopg.Connection, lease: LeasePublic, *, on: date, kind: str, amount: Decimal | None, actor: str
) -> None:
    """Rent for the days from `on` on is no longer owed: dropped (or cut short) where not invoiced yet, credited by
    billing (through `LeaseEndedEarly`) where it was.  The charge rows stay locked until commit, so a periodic run
    that reads them meanwhile waits and then sees the shortened schedule."""
    if problem := lease_domain.end_early_problem(on=on, start=lease.start_date, end=lease.end_date):
        raise InvalidInput(f"on: {problem}")
    rows = conn.execute(
        "SELECT id, kind, period_start, period_end, amount, invoice_id FROM assets.lease_periods "
        "WHERE lease_id = %s AND period_end > %s ORDER BY period_start, id FOR UPDATE",
        (lease.id, on),
    ).fetchall()
    invoiced: list[RentInvoicedPastEnd] = []
    for period_id, charge_kind, start, period_end, charge_amount, invoice_id in rows:
        after = lease_domain.rent_after_early_end(kind=charge_kind, period_start=start, period_end=period_end, on=on)
        if after is None:
            continue
        if invoice_id is not None:
            invoiced.append(RentInvoicedPastEnd(period_id, invoice_id, after.days, after.days_after_end))
        elif after.whole:
            conn.execute("DELETE FROM assets.lease_periods WHERE id = %s", (period_id,))
        else:
            conn.execute(
                "UPDATE assets.lease_periods SET period_end = %s, amount = %s WHERE id = %s",
                (on, charge_amount - after.share_of(charge_amount), period_id),
            )
    if amount is not None and amount > 0:
        _add_charges(conn, lease.id, [lease_domain.one_day_charge(kind, on, amount)])
    messagebus.publish(conn, LeaseEndedEarly(lease.id, lease.number, on, actor, tuple(invoiced)))


def _close(conn: psycopg.Connection, lease: LeasePublic, *, status: str, on: date, reason: str) -> LeasePublic:
    conn.execute(
        "UPDATE assets.leases SET status = %s, ended_on = %s, end_reason = %s WHERE id = %s",
        (status, on, reason, lease.id),
    )
    log.info("lease %s %s on %s", lease.number, status, on)
    return get_lease(conn, lease_id=lease.id)


def _add_charges(conn: psycopg.Connection, lease_id: int, charges: list[lease_domain.Charge]) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO assets.lease_periods (lease_id, kind, period_start, period_end, due_date, amount) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [(lease_id, c.kind, c.period_start, c.period_end, c.due_date, c.amount) for c in charges],
        )
