import pytest

from service_core.db.migrate import Migration, discover, packaged_files, pending
from service_core.exceptions import MigrationError


def test_variants_follow_the_backend_and_order_is_by_version():
    files = {"0002_b.native.sql": "n", "0002_b.timescale.sql": "t", "0001_a.sql": "a", "0010_c.sql": "c"}
    assert [(m.version, m.sql) for m in discover(files, "native")] == [(1, "a"), (2, "n"), (10, "c")]
    assert [m.sql for m in discover(files, "timescale")] == ["a", "t", "c"]


@pytest.mark.parametrize(
    "files",
    [
        {"1_a.sql": ""},
        {"0001_A.sql": ""},
        {"0001_a.sql": "", "0001_b.sql": ""},
        {"0001_a.sql": "", "0001_a.native.sql": ""},
    ],
)
def test_badly_named_or_clashing_files_are_refused(files: dict[str, str]):
    with pytest.raises(MigrationError):
        discover(files, "native")


def test_changed_applied_migration_is_refused():
    m = Migration(1, "a", "CREATE TABLE x ()")
    assert pending({}, [m]) == [m]
    assert pending({1: m.checksum}, [m]) == []
    with pytest.raises(MigrationError, match="changed after it was applied"):
        pending({1: "0" * 64}, [m])


def test_no_transaction_files_split_into_statements():
    m = Migration(2, "t", "-- assetpulse: no-transaction\nSELECT 1\n-- split\n-- only a comment\n-- split\nSELECT 2\n")
    assert not m.transactional
    assert m.statements() == ["-- assetpulse: no-transaction\nSELECT 1", "SELECT 2"]


def test_packaged_migrations_resolve_for_both_backends():
    files = packaged_files()
    native, timescale = discover(files, "native"), discover(files, "timescale")
    assert [m.version for m in native] == [m.version for m in timescale]
    assert all(m.transactional for m in native)
    assert any("create_hypertable" in m.sql for m in timescale)
