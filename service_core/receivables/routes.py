"""HTTP routes of the receivables domain: aging, credit checks, dunning, disputes, promises to pay and the
collections worklist (finance and admin write; every role but technicians reads)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, status

from service_core.api.deps import ConnDep, Finance, require_roles
from service_core.api.errors import ERROR_RESPONSES
from service_core.api.pagination import Limit, Offset, Page
from service_core.api.transactions import TransactionalRoute
from service_core.auth.domain import Principal, Role
from service_core.receivables import cases, credit, dunning
from service_core.receivables import service as receivables_service
from service_core.receivables.schemas import (
    AgingReport,
    CreditCheckRun,
    CreditStatus,
    DisputeCreate,
    DisputePublic,
    DisputeResolve,
    DunningNoticePublic,
    DunningRun,
    DunningRunResult,
    PromiseCancel,
    PromiseCreate,
    PromisePublic,
    WorklistRow,
)

router = APIRouter(
    route_class=TransactionalRoute, prefix="/receivables", tags=["receivables"], responses=ERROR_RESPONSES
)

FinanceReader = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.FINANCE, Role.DISPATCHER, Role.VIEWER))]
AccountFilter = Annotated[int | None, Query(ge=1, le=2**31 - 1)]
AsOf = Annotated[date | None, Query(description="default: today (UTC)")]
InvoiceFilter = Annotated[int | None, Query(ge=1, le=2**62)]
CaseId = Annotated[int, Path(ge=1, le=2**62)]


def _today() -> date:
    return datetime.now(UTC).date()


@router.get("/aging", summary="Open balances per account in buckets current, 1-30, 31-60, 61-90, 90+")
def aging(conn: ConnDep, _: FinanceReader, as_of: AsOf = None, account_id: AccountFilter = None) -> AgingReport:
    return receivables_service.aging(conn, as_of=as_of or _today(), account_id=account_id)


@router.get("/worklist", summary="Accounts with overdue money, highest collections risk first")
def worklist(
    conn: ConnDep, _: FinanceReader, as_of: AsOf = None, limit: Limit = 50, offset: Offset = 0
) -> Page[WorklistRow]:
    items, total = receivables_service.worklist(conn, as_of=as_of or _today(), limit=limit, offset=offset)
    return Page[WorklistRow](items=items, total=total, limit=limit, offset=offset)


@router.post("/credit-check", summary="Run the automatic credit check on every account with receivables")
def run_credit_check(conn: ConnDep, _: Finance) -> CreditCheckRun:
    return credit.run_credit_check(conn)


@router.post("/credit-check/{account_id}", summary="Run the automatic credit check on one account")
def check_account(conn: ConnDep, _: Finance, account_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> CreditStatus:
    return credit.check_account(conn, account_id=account_id)


@router.post("/dunning/run", summary="Send due dunning levels (with fee invoices); reruns add nothing")
def run_dunning(conn: ConnDep, principal: Finance, run_in: DunningRun) -> DunningRunResult:
    return dunning.run_dunning(conn, as_of=run_in.as_of, actor=principal.actor)


@router.get("/dunning/invoices/{invoice_id}", summary="Dunning notices sent for an invoice")
def notices(
    conn: ConnDep, _: FinanceReader, invoice_id: Annotated[int, Path(ge=1, le=2**62)]
) -> list[DunningNoticePublic]:
    return dunning.notices_of(conn, invoice_id=invoice_id)


@router.post("/disputes", status_code=status.HTTP_201_CREATED, summary="Open a dispute (pauses dunning)")
def open_dispute(conn: ConnDep, principal: Finance, dispute_in: DisputeCreate) -> DisputePublic:
    return dunning.open_dispute(conn, dispute_in=dispute_in, actor=principal.actor)


@router.get("/disputes", summary="Disputes, newest first; filter by invoice, account, open or resolved")
def list_disputes(
    conn: ConnDep,
    _: FinanceReader,
    *,
    invoice_id: InvoiceFilter = None,
    account_id: AccountFilter = None,
    is_open: Annotated[bool | None, Query(alias="open", description="true: unresolved; false: resolved")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[DisputePublic]:
    items, total = cases.list_disputes(conn, invoice_id=invoice_id, account_id=account_id, is_open=is_open,
                                       limit=limit, offset=offset)  # fmt: skip
    return Page[DisputePublic](items=items, total=total, limit=limit, offset=offset)


@router.get("/disputes/{dispute_id}", summary="One dispute")
def get_dispute(conn: ConnDep, _: FinanceReader, dispute_id: CaseId) -> DisputePublic:
    return cases.get_dispute(conn, dispute_id=dispute_id)


@router.post("/disputes/{dispute_id}/resolve", summary="Resolve a dispute (dunning resumes)")
def resolve_dispute(
    conn: ConnDep, _: Finance, dispute_id: Annotated[int, Path(ge=1, le=2**62)], resolve_in: DisputeResolve
) -> DisputePublic:
    return dunning.resolve_dispute(conn, dispute_id=dispute_id, resolution=resolve_in.resolution)


@router.post("/promises", status_code=status.HTTP_201_CREATED, summary="Record a promise to pay (pauses dunning)")
def create_promise(conn: ConnDep, principal: Finance, promise_in: PromiseCreate) -> PromisePublic:
    return dunning.create_promise(conn, promise_in=promise_in, actor=principal.actor, today=_today())


@router.get("/promises", summary="Promises to pay, latest promised date first; filter by invoice, account, status")
def list_promises(
    conn: ConnDep,
    _: FinanceReader,
    *,
    invoice_id: InvoiceFilter = None,
    account_id: AccountFilter = None,
    promise_status: Annotated[Literal["open", "kept", "broken", "canceled"] | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[PromisePublic]:
    items, total = cases.list_promises(conn, invoice_id=invoice_id, account_id=account_id, status=promise_status,
                                       limit=limit, offset=offset)  # fmt: skip
    return Page[PromisePublic](items=items, total=total, limit=limit, offset=offset)


@router.get("/promises/{promise_id}", summary="One promise to pay")
def get_promise(conn: ConnDep, _: FinanceReader, promise_id: CaseId) -> PromisePublic:
    return cases.get_promise(conn, promise_id=promise_id)


@router.post("/promises/{promise_id}/cancel", summary="Withdraw an open promise to pay (dunning stops waiting on it)")
def cancel_promise(conn: ConnDep, principal: Finance, promise_id: CaseId, cancel_in: PromiseCancel) -> PromisePublic:
    return cases.cancel_promise(conn, promise_id=promise_id, reason=cancel_in.reason, actor=principal.actor)
