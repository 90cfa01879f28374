"""Who may act on a work order in the field: dispatchers and admins on any, a technician only where booked."""

from __future__ import annotations

import psycopg

from service_core.auth.domain import Principal, Role
from service_core.exceptions import PermissionDenied

SUPERVISORS = frozenset({Role.ADMIN, Role.DISPATCHER})


def is_supervisor(principal: Principal) -> bool:
    return principal.role in SUPERVISORS


def resource_of(conn: psycopg.Connection, principal: Principal) -> int | None:
    """The resource (technician) linked to the caller's login, if any."""
    if principal.kind != "user":
        return None
    row = conn.execute("SELECT id FROM resources.resources WHERE user_id = %s", (principal.id,)).fetchone()
    return int(row[0]) if row else None


def field_resource(conn: psycopg.Connection, *, work_order_id: int, principal: Principal) -> int | None:
    """The acting technician's resource id (None for a supervisor); 403 for a technician not booked on the order."""
    if is_supervisor(principal):
        return None
    resource_id = resource_of(conn, principal)
    booked = (
        resource_id is not None
        and conn.execute(
            "SELECT 1 FROM work.bookings WHERE work_order_id = %s AND resource_id = %s AND status <> 'canceled' "
            "LIMIT 1",
            (work_order_id, resource_id),
        ).fetchone()
    )
    if not booked:
        raise PermissionDenied(f"you hold no booking on work order {work_order_id}: only its technicians may act on it")
    return resource_id
