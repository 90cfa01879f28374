"""The pure rules of accounts: the credit-hold rule, who may pay, which fields are finance's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service_core.accounts.domain import (
    RELEASED,
    HoldState,
    billing_fields_in,
    next_hold,
    payer_problem,
    timezone_name,
)

NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)
EARLIER = NOW - timedelta(days=3)
AUTO_HOLD = HoldState(hold=True, reason="over credit limit", since=EARLIER, manual=False)
MANUAL_HOLD = HoldState(hold=True, reason="disputed invoices", since=EARLIER, manual=True)


def test_automatic_hold_sets_reason_and_since():
    assert next_hold(RELEASED, hold=True, reason="over limit", manual=False, now=NOW) == HoldState(
        True, "over limit", NOW, False
    )


def test_automatic_hold_again_keeps_since_and_updates_reason():
    after = next_hold(AUTO_HOLD, hold=True, reason="90 days overdue", manual=False, now=NOW)
    assert after == HoldState(True, "90 days overdue", EARLIER, False)


def test_automatic_release_releases_an_automatic_hold():
    assert next_hold(AUTO_HOLD, hold=False, reason="paid", manual=False, now=NOW) == RELEASED


def test_automatic_release_leaves_a_manual_hold():
    assert next_hold(MANUAL_HOLD, hold=False, reason="paid", manual=False, now=NOW) == MANUAL_HOLD


def test_automatic_hold_does_not_relabel_a_manual_hold():
    assert next_hold(MANUAL_HOLD, hold=True, reason="over limit", manual=False, now=NOW) == MANUAL_HOLD


def test_manual_release_always_applies():
    assert next_hold(MANUAL_HOLD, hold=False, reason="", manual=True, now=NOW) == RELEASED
    assert next_hold(AUTO_HOLD, hold=False, reason="", manual=True, now=NOW) == RELEASED


def test_manual_hold_over_an_automatic_one_becomes_manual_and_keeps_since():
    assert next_hold(AUTO_HOLD, hold=True, reason="fraud check", manual=True, now=NOW) == HoldState(
        True, "fraud check", EARLIER, True
    )


def test_manual_hold_from_released_starts_now():
    assert next_hold(RELEASED, hold=True, reason="fraud check", manual=True, now=NOW).since == NOW


@pytest.mark.parametrize(
    ("kind", "payer_id", "payer_kind", "problem"),
    [
        ("both", None, None, None),
        ("billing", None, None, None),
        ("service", None, None, "a service-only account needs a billing account that pays"),
        ("service", 2, "billing", None),
        ("service", 2, "both", None),
        ("service", 2, "service", "account 2 is a service-only account and cannot pay"),
        ("service", 2, None, "billing account 2 does not exist"),
        ("service", 1, "service", "a service-only account cannot pay for itself"),
        ("both", 1, "both", None),
    ],
)
def test_payer_rules(kind, payer_id, payer_kind, problem):
    assert payer_problem(account_id=1, kind=kind, payer_id=payer_id, payer_kind=payer_kind) == problem


def test_billing_is_one_level_deep():
    billed_elsewhere = payer_problem(account_id=1, kind="service", payer_id=2, payer_kind="both", payers_payer_id=3)
    assert billed_elsewhere == "account 2 is billed to account 3; name account 3 as payer"
    assert payer_problem(account_id=1, kind="service", payer_id=2, payer_kind="both", payers_payer_id=2) is None
    paying_for_others = payer_problem(account_id=1, kind="both", payer_id=2, payer_kind="billing", pays_for_others=True)
    assert paying_for_others == (
        "an account that pays for other accounts pays its own bills and cannot be billed to another"
    )


def test_billing_fields_are_named_sorted():
    assert billing_fields_in({"name", "tax_rate", "currency", "email"}) == ["currency", "tax_rate"]
    assert billing_fields_in({"name", "phone"}) == []


def test_timezone_names():
    assert timezone_name("Europe/Berlin") == "Europe/Berlin"
    for bad in ("Mars/Olympus", "../etc/passwd", ""):
        with pytest.raises(ValueError, match="unknown time zone"):
            timezone_name(bad)
