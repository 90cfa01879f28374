"""Pure rules of accounts: who may pay for whom, which fields only finance may set, and the credit-hold rule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

BILLING_CAPABLE = frozenset({"billing", "both"})
# Changing these is a finance decision: dispatchers may create and edit accounts, but not what they pay or owe.
BILLING_FIELDS = frozenset(
    {"billing_account_id", "currency", "payment_terms_days", "tax_rate", "credit_limit", "price_list_id"}
)


def timezone_name(name: str) -> str:
    """An IANA time zone name (`Europe/Berlin`); a `ValueError` for anything zoneinfo does not know."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc
    return name


def billing_fields_in(fields: Iterable[str]) -> list[str]:
    """The billing fields among `fields`, sorted (a caller without finance rights may set none of them)."""
    return sorted(set(fields) & BILLING_FIELDS)


def payer_problem(
    *,
    account_id: int | None,
    kind: str,
    payer_id: int | None,
    payer_kind: str | None,
    payers_payer_id: int | None = None,
    pays_for_others: bool = False,
) -> str | None:
    """Why `payer_id` may not pay for an account of `kind`, or None when the arrangement is valid.

    Billing is one level deep: the payer pays its own bills (`payers_payer_id`, the payer's own billing account, is
    none or itself), and an account that pays for others (`pays_for_others`) is not billed to another account, so
    the account named as payer is always the one invoiced."""
    if payer_id is None:
        return None if kind in BILLING_CAPABLE else "a service-only account needs a billing account that pays"
    if account_id is not None and payer_id == account_id:
        return None if kind in BILLING_CAPABLE else "a service-only account cannot pay for itself"
    if payer_kind is None:
        return f"billing account {payer_id} does not exist"
    if payer_kind not in BILLING_CAPABLE:
        return f"account {payer_id} is a service-only account and cannot pay"
    if payers_payer_id is not None and payers_payer_id != payer_id:
        return f"account {payer_id} is billed to account {payers_payer_id}; name account {payers_payer_id} as payer"
    if pays_for_others:
        return "an account that pays for other accounts pays its own bills and cannot be billed to another"
    return None


@dataclass(frozen=True, slots=True)
class HoldState:
    """The credit-hold fields of an account."""

    hold: bool
    reason: str | None
    since: datetime | None
    manual: bool


RELEASED = HoldState(hold=False, reason=None, since=None, manual=False)


def next_hold(current: HoldState, *, hold: bool, reason: str, manual: bool, now: datetime) -> HoldState:
    """The hold after a person (`manual`) or the automatic credit check asks to hold or release.

    A person's decision always applies.  The automatic check holds with its reason, but never releases (nor
    re-labels) a hold a person set: that one stays until a person releases it.
    """
    if manual:
        if not hold:
            return RELEASED
        return HoldState(hold=True, reason=reason, since=current.since if current.hold else now, manual=True)
    if current.hold and current.manual:
        return current
    if not hold:
        return RELEASED
    if current.hold:
        return replace(current, reason=reason)
    return HoldState(hold=True, reason=reason, since=now, manual=False)
