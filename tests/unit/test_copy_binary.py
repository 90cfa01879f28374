import struct
from datetime import UTC, datetime

from ingest.copy_binary import HEADER, TRAILER, ReadingColumns, pg_microseconds


def test_postgres_epoch_microseconds():
    assert pg_microseconds(datetime(2000, 1, 1, tzinfo=UTC)) == 0
    assert pg_microseconds(datetime(2000, 1, 1, 0, 0, 1, 5, tzinfo=UTC)) == 1_000_005
    assert pg_microseconds(datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC)) == -1_000_000


def test_rows_are_laid_out_as_binary_copy_expects():
    cols = ReadingColumns()
    cols.add_group(7, 123, [1, 2], [1.5, -2.0])
    data = cols.to_copy()
    assert data.startswith(HEADER) and data.endswith(TRAILER) and len(cols) == 2
    body = data[len(HEADER) : -len(TRAILER)]
    row = struct.Struct(">h i i i i i q i d")
    assert len(body) == 2 * row.size
    assert row.unpack_from(body, 0) == (4, 4, 7, 4, 1, 8, 123, 8, 1.5)
    assert row.unpack_from(body, row.size) == (4, 4, 7, 4, 2, 8, 123, 8, -2.0)
