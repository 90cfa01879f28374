from datetime import UTC, datetime

from service_core.devices.domain import hash_password, status_applies, verify_password


def test_password_hash_verifies_and_is_salted():
    h1, h2 = hash_password("correct horse"), hash_password("correct horse")
    assert h1 != h2 and "correct horse" not in h1
    assert verify_password("correct horse", h1)
    assert not verify_password("wrong horse", h1)
    assert not verify_password("x", "garbage")


def test_older_status_news_is_ignored():
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    later = datetime(2026, 1, 2, tzinfo=UTC)
    assert status_applies(None, t0)
    assert status_applies(t0, later)
    assert not status_applies(later, t0)
