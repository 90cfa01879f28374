"""HTTP routes of the audit trail (who changed what and when: admin and finance) and the security log (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from service_core.api.deps import AdminUser, ConnDep, require_roles
from service_core.api.errors import ERROR_RESPONSES
from service_core.api.pagination import Limit
from service_core.api.transactions import TransactionalRoute
from service_core.audit import service as audit_service
from service_core.audit.schemas import ChangePublic, SecurityEventName, SecurityEventPublic
from service_core.auth.domain import Principal, Role

router = APIRouter(route_class=TransactionalRoute, prefix="/audit", tags=["audit"], responses=ERROR_RESPONSES)

Auditor = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.FINANCE))]


@router.get("/changes", summary="Changes to business records, newest first; page with before_id")
def list_changes(
    conn: ConnDep,
    _: Auditor,
    *,
    table: Annotated[str | None, Query(pattern=r"^[a-z_]+\.[a-z_]+$", description="e.g. work.work_orders")] = None,
    record_id: Annotated[str | None, Query(max_length=100)] = None,
    actor: Annotated[str | None, Query(max_length=100, description="e.g. user:7")] = None,
    before_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Limit = 100,
) -> list[ChangePublic]:
    return audit_service.list_changes(
        conn, table_name=table, record_id=record_id, actor=actor, before_id=before_id, limit=limit
    )


@router.get(
    "/security-events",
    summary="The security log (admin): logins, API keys, users, device credentials; newest first, page with before_id",
)
def list_security_events(
    conn: ConnDep,
    _: AdminUser,
    *,
    event: SecurityEventName | None = None,
    subject: Annotated[str | None, Query(max_length=320, description="e.g. user:7, device:12, an email")] = None,
    actor: Annotated[str | None, Query(max_length=100, description="e.g. user:7, anonymous")] = None,
    client_ip: Annotated[str | None, Query(max_length=100)] = None,
    since: AwareDatetime | None = None,
    before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    limit: Limit = 100,
) -> list[SecurityEventPublic]:
    return audit_service.list_security_events(
        conn,
        event=event,
        subject=subject,
        actor=actor,
        client_ip=client_ip,
        since=since,
        before_id=before_id,
        limit=limit,
    )
