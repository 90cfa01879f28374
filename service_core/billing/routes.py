"""HTTP routes of the billing domain: invoices and credit notes (finance and admin write; every role but
technicians reads)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from service_core.api.deps import ConnDep, Finance, require_roles
from service_core.api.errors import ERROR_RESPONSES
from service_core.api.pagination import Limit, Offset, Page
from service_core.api.transactions import TransactionalRoute
from service_core.auth.domain import Principal, Role
from service_core.billing import credit_notes, drafting, periodic, queries
from service_core.billing import service as billing_service
from service_core.billing.schemas import (
    CreditNoteCreate,
    InvoiceCreate,
    InvoiceIssue,
    InvoiceKind,
    InvoiceLineCreate,
    InvoicePublic,
    InvoiceSummary,
    PeriodicRun,
    PeriodicRunResult,
    ShownStatus,
)

router = APIRouter(route_class=TransactionalRoute, prefix="/invoices", tags=["billing"], responses=ERROR_RESPONSES)

# Finance readers, and a customer user, who sees only their accounts' invoices (row-level security of the portal role)
InvoiceReader = Annotated[
    Principal, Depends(require_roles(Role.ADMIN, Role.FINANCE, Role.DISPATCHER, Role.VIEWER, Role.CUSTOMER))
]
InvoiceId = Annotated[int, Path(ge=1, le=2**62, description="id of the invoice")]
LineId = Annotated[int, Path(ge=1, le=2**62, description="id of the invoice line")]
WorkOrderId = Annotated[int, Path(ge=1, le=2**62, description="id of the posted work order")]


@router.get("", summary="List invoices and credit notes (newest first)")
def list_invoices(
    conn: ConnDep,
    _: InvoiceReader,
    *,
    account_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    status: ShownStatus | None = None,
    kind: InvoiceKind | None = None,
    overdue: bool | None = None,
    issued_from: date | None = None,
    issued_to: date | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[InvoiceSummary]:
    items, total = queries.list_page(
        conn,
        account_id=account_id,
        status=status,
        kind=kind,
        overdue=overdue,
        issued_from=issued_from,
        issued_to=issued_to,
        limit=limit,
        offset=offset,
    )
    return Page[InvoiceSummary](items=items, total=total, limit=limit, offset=offset)


@router.get("/{invoice_id}", summary="An invoice with its lines, balance and status")
def read_invoice(conn: ConnDep, _: InvoiceReader, invoice_id: InvoiceId) -> InvoicePublic:
    return queries.get_invoice(conn, invoice_id=invoice_id)


@router.post("", status_code=status.HTTP_201_CREATED, summary="A manual draft invoice (finance, admin)")
def create_invoice(conn: ConnDep, _: Finance, invoice_in: InvoiceCreate) -> InvoicePublic:
    return billing_service.create_manual_draft(conn, invoice_in=invoice_in)


@router.post(
    "/from-work-order/{work_order_id}",
    status_code=status.HTTP_201_CREATED,
    summary="Draft (or rebuild the draft of) the invoice of a posted work order",
)
def draft_from_work_order(conn: ConnDep, _: Finance, work_order_id: WorkOrderId) -> InvoicePublic:
    return drafting.draft_for_work_order(conn, work_order_id=work_order_id)


@router.post("/run-periodic", summary="Invoice due lease charges (LSE) and agreement fees (AGR) through a date")
def run_periodic(conn: ConnDep, principal: Finance, run_in: PeriodicRun) -> PeriodicRunResult:
    return periodic.run_periodic(conn, through=run_in.through, actor=principal.actor)


@router.post("/{invoice_id}/lines", status_code=status.HTTP_201_CREATED, summary="Add a manual line to a draft")
def add_line(conn: ConnDep, _: Finance, invoice_id: InvoiceId, line_in: InvoiceLineCreate) -> InvoicePublic:
    return billing_service.add_line(conn, invoice_id=invoice_id, line_in=line_in)


@router.delete("/{invoice_id}/lines/{line_id}", summary="Remove a line from a draft")
def remove_line(conn: ConnDep, _: Finance, invoice_id: InvoiceId, line_id: LineId) -> InvoicePublic:
    return billing_service.remove_line(conn, invoice_id=invoice_id, line_id=line_id)


@router.post("/{invoice_id}/discard", summary="Discard a draft")
def discard_invoice(conn: ConnDep, _: Finance, invoice_id: InvoiceId) -> InvoicePublic:
    return billing_service.discard(conn, invoice_id=invoice_id)


@router.post("/{invoice_id}/issue", summary="Issue a draft with the next number of its series")
def issue_invoice(
    conn: ConnDep, principal: Finance, invoice_id: InvoiceId, issue_in: InvoiceIssue | None = None
) -> InvoicePublic:
    issue_date = issue_in.issue_date if issue_in else None
    return billing_service.issue(conn, invoice_id=invoice_id, actor=principal.actor, issue_date=issue_date)


@router.post(
    "/{invoice_id}/credit-notes",
    status_code=status.HTTP_201_CREATED,
    summary="Credit chosen lines (or all that remains) of an issued invoice; the credit note is issued and applied",
)
def create_credit_note(
    conn: ConnDep, principal: Finance, invoice_id: InvoiceId, credit_in: CreditNoteCreate
) -> InvoicePublic:
    return credit_notes.create_credit_note(conn, invoice_id=invoice_id, credit_in=credit_in, actor=principal.actor)
