"""HTTP routes of the payments domain (finance and admin write; every role but technicians reads)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Response, status

from service_core.api.deps import ConnDep, Finance, require_roles
from service_core.api.errors import ERROR_RESPONSES
from service_core.api.pagination import Limit, Offset, Page
from service_core.api.transactions import TransactionalRoute
from service_core.auth.domain import Principal, Role
from service_core.payments import service as payments_service
from service_core.payments.domain import Allocation
from service_core.payments.schemas import (
    AccountCredit,
    AllocationsCreate,
    IdempotencyKey,
    PaymentCreate,
    PaymentPublic,
    PaymentReverse,
    RefundCreate,
    RefundPublic,
)

router = APIRouter(route_class=TransactionalRoute, prefix="/payments", tags=["payments"], responses=ERROR_RESPONSES)

FinanceReader = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.FINANCE, Role.DISPATCHER, Role.VIEWER))]
# ... and a customer user, who sees only their accounts' payments (row-level security of the portal role)
PaymentReader = Annotated[
    Principal, Depends(require_roles(Role.ADMIN, Role.FINANCE, Role.DISPATCHER, Role.VIEWER, Role.CUSTOMER))
]
PaymentId = Annotated[int, Path(ge=1, le=2**62, description="id of the payment")]
CreditNoteId = Annotated[int, Path(ge=1, le=2**62, description="id of the credit note")]
AccountId = Annotated[int, Path(ge=1, le=2**31 - 1, description="id of the account")]


@router.get("", summary="List payments (newest received first)")
def list_payments(
    conn: ConnDep,
    _: PaymentReader,
    account_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    status: Literal["received", "reversed"] | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[PaymentPublic]:
    items, total = payments_service.list_page(conn, account_id=account_id, status=status, limit=limit, offset=offset)
    return Page[PaymentPublic](items=items, total=total, limit=limit, offset=offset)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Record a payment; the same Idempotency-Key and body again returns the same payment (200)",
    responses={200: {"model": PaymentPublic, "description": "A retry: the payment recorded before"}},
)
def record_payment(
    conn: ConnDep,
    principal: Finance,
    payment_in: PaymentCreate,
    response: Response,
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
) -> PaymentPublic:
    payment, created = payments_service.record_payment(
        conn, payment_in=payment_in, idempotency_key=idempotency_key, actor=principal.actor
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return payment


@router.get("/accounts/{account_id}/credit", summary="Unapplied payments and credit notes of an account")
def account_credit(conn: ConnDep, _: FinanceReader, account_id: AccountId) -> AccountCredit:
    return payments_service.account_credit(conn, account_id=account_id)


@router.post(
    "/credit-notes/{credit_note_id}/allocations",
    summary="Apply the unapplied part of a credit note to invoices (explicitly or oldest due first)",
)
def allocate_credit_note(
    conn: ConnDep, principal: Finance, credit_note_id: CreditNoteId, allocations_in: AllocationsCreate
) -> AccountCredit:
    wanted = None if allocations_in.auto else [Allocation(a.invoice_id, a.amount) for a in allocations_in.allocations]
    return payments_service.allocate_credit_note(
        conn, credit_note_id=credit_note_id, allocations=wanted, actor=principal.actor
    )


@router.post(
    "/credit-notes/{credit_note_id}/refunds",
    status_code=status.HTTP_201_CREATED,
    summary="Refund the unapplied part of a credit note",
)
def refund_credit_note(
    conn: ConnDep, principal: Finance, credit_note_id: CreditNoteId, refund_in: RefundCreate
) -> RefundPublic:
    return payments_service.refund_credit_note(
        conn, credit_note_id=credit_note_id, refund_in=refund_in, actor=principal.actor
    )


@router.get("/{payment_id}", summary="A payment with its allocations and unapplied amount")
def read_payment(conn: ConnDep, _: PaymentReader, payment_id: PaymentId) -> PaymentPublic:
    return payments_service.get_payment(conn, payment_id=payment_id)


@router.post("/{payment_id}/allocations", summary="Apply a payment to invoices (explicitly or oldest due first)")
def allocate_payment(
    conn: ConnDep, principal: Finance, payment_id: PaymentId, allocations_in: AllocationsCreate
) -> PaymentPublic:
    wanted = None if allocations_in.auto else [Allocation(a.invoice_id, a.amount) for a in allocations_in.allocations]
    return payments_service.allocate(conn, payment_id=payment_id, allocations=wanted, actor=principal.actor)


@router.post("/{payment_id}/refunds", status_code=status.HTTP_201_CREATED, summary="Refund unapplied cash")
def refund_payment(conn: ConnDep, principal: Finance, payment_id: PaymentId, refund_in: RefundCreate) -> RefundPublic:
    return payments_service.refund(conn, payment_id=payment_id, refund_in=refund_in, actor=principal.actor)


@router.post("/{payment_id}/reverse", summary="Reverse a bounced payment: its invoices reopen")
def reverse_payment(
    conn: ConnDep, principal: Finance, payment_id: PaymentId, reverse_in: PaymentReverse
) -> PaymentPublic:
    return payments_service.reverse(conn, payment_id=payment_id, reason=reverse_in.reason, actor=principal.actor)
