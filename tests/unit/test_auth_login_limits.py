"""Pure rules of login rate limiting: the sliding window, the wait it asks for, the key an attempt counts under."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service_core.auth.domain import LoginLimits, LoginThrottled, login_retry_after, login_subject, normalize_email
from service_core.exceptions import NotAuthenticated

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


def ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


def test_fewer_failures_than_the_limit_may_try_now():
    assert login_retry_after([], limit=3, window=WINDOW, now=NOW) is None
    assert login_retry_after([ago(1), ago(2)], limit=3, window=WINDOW, now=NOW) is None


def test_at_the_limit_the_wait_lasts_until_the_oldest_counted_failure_leaves_the_window():
    # three failures 10, 5 and 1 minutes ago: the one 10 minutes ago leaves the window in 5 minutes
    assert login_retry_after([ago(1), ago(10), ago(5)], limit=3, window=WINDOW, now=NOW) == 300


def test_above_the_limit_enough_failures_must_age_out():
    # five failures, limit 3: the count drops below 3 once the third newest (6 minutes ago) is out: in 9 minutes
    failures = [ago(14), ago(12), ago(6), ago(2), ago(1)]
    assert login_retry_after(failures, limit=3, window=WINDOW, now=NOW) == 9 * 60


def test_failures_outside_the_window_do_not_count():
    failures = [ago(16), ago(20), ago(30), ago(1)]
    assert login_retry_after(failures, limit=2, window=WINDOW, now=NOW) is None
    assert login_retry_after([ago(15)], limit=1, window=WINDOW, now=NOW) is None  # exactly the window: out


def test_the_wait_is_whole_seconds_and_at_least_one():
    failures = [NOW - WINDOW + timedelta(milliseconds=200)]
    assert login_retry_after(failures, limit=1, window=WINDOW, now=NOW) == 1
    failures = [NOW - WINDOW + timedelta(seconds=2, milliseconds=1)]
    assert login_retry_after(failures, limit=1, window=WINDOW, now=NOW) == 3


def test_default_limits_are_strict_per_email_and_looser_per_client():
    limits = LoginLimits()
    assert (limits.max_failures_per_email, limits.max_failures_per_client, limits.window) == (5, 20, WINDOW)


def test_login_subject_is_the_normalized_email_or_a_bounded_clean_string():
    assert login_subject("  Dana@Example.COM ") == "dana@example.com"
    assert login_subject("not an email\x00") == "not an email"
    assert login_subject("X" * 1000) == "x" * 254


def test_emails_with_control_characters_are_refused():
    for bad in ("a\x00b@example.com", "ab@exa\x01mple.com", "ab@example.co\x7f"):
        with pytest.raises(ValueError, match="not an email"):
            normalize_email(bad)


def test_a_throttled_login_is_a_refused_login_with_a_wait():
    refusal = LoginThrottled("too many", retry_after=42)
    assert isinstance(refusal, NotAuthenticated)
    assert refusal.retry_after == 42 and str(refusal) == "too many"
