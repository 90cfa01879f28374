"""The SQL of the ingest write path, kept in one place."""

from __future__ import annotations

CREATE_STAGING = """
CREATE TEMP TABLE IF NOT EXISTS staging_readings (
    device_id integer NOT NULL,
    metric_id integer NOT NULL,
    ts        timestamptz NOT NULL,
    value     double precision NOT NULL
) ON COMMIT DELETE ROWS
"""

COPY_STAGING = "COPY staging_readings (device_id, metric_id, ts, value) FROM STDIN (FORMAT BINARY)"

_INSERTED = """
ins AS (
    INSERT INTO telemetry.readings (device_id, metric_id, ts, value)
    SELECT device_id, metric_id, ts, value FROM staging_readings
    ORDER BY device_id, metric_id, ts  -- in index order: fewer page touches, fewer lock-order surprises
    ON CONFLICT DO NOTHING
    RETURNING device_id, metric_id, ts, value
)"""

_LATEST = """
latest AS (
    INSERT INTO telemetry.latest AS l (device_id, metric_id, ts, value)
    SELECT DISTINCT ON (device_id, metric_id) device_id, metric_id, ts, value
    FROM ins ORDER BY device_id, metric_id, ts DESC
    ON CONFLICT (device_id, metric_id) DO UPDATE SET ts = EXCLUDED.ts, value = EXCLUDED.value
    WHERE EXCLUDED.ts > l.ts
)"""


def _rollup(name: str, unit: str) -> str:
    return f"""
{name} AS (
    INSERT INTO telemetry.{name} AS r (device_id, metric_id, bucket, n, sum_value, min_value, max_value, sum_sq)
    SELECT device_id, metric_id, date_trunc('{unit}', ts), count(*), sum(value), min(value), max(value),
           sum(value * value)
    FROM ins GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (device_id, metric_id, bucket) DO UPDATE SET
        n = r.n + EXCLUDED.n,
        sum_value = r.sum_value + EXCLUDED.sum_value,
        min_value = LEAST(r.min_value, EXCLUDED.min_value),
        max_value = GREATEST(r.max_value, EXCLUDED.max_value),
        sum_sq = r.sum_sq + EXCLUDED.sum_sq
)"""


# Two ways to move a staged batch into the store.
#
# The fast path, for a batch of only new readings (the usual case): a plain INSERT, which costs about half of
# INSERT ... ON CONFLICT (no speculative insertion), then the roll-ups and latest values from the staging table.
# It runs under a savepoint; a unique violation (a redelivered message, a duplicate inside the batch) rolls it back
# and the batch takes the idempotent path instead:
#
# readings, both roll-ups and the latest values move together in one statement, fed only by the rows that were
# really inserted, so a redelivered message never counts twice in a roll-up.
INSERT_NEW = """
INSERT INTO telemetry.readings (device_id, metric_id, ts, value)
SELECT device_id, metric_id, ts, value FROM staging_readings
ORDER BY device_id, metric_id, ts
"""
_STAGED = """
ins AS (SELECT device_id, metric_id, ts, value FROM staging_readings)"""

MERGE_NATIVE = (
    "WITH"
    + ",".join([_INSERTED, _rollup("rollup_1m", "minute"), _rollup("rollup_1h", "hour"), _LATEST])
    + "\nSELECT count(*) FROM ins"
)
DERIVE_NATIVE = (
    "WITH"
    + ",".join([_STAGED, _rollup("rollup_1m", "minute"), _rollup("rollup_1h", "hour"), _LATEST])
    + "\nSELECT count(*) FROM ins"
)
# TimescaleDB: continuous aggregates maintain the roll-ups.
MERGE_TIMESCALE = "WITH" + ",".join([_INSERTED, _LATEST]) + "\nSELECT count(*) FROM ins"
DERIVE_TIMESCALE = "WITH" + ",".join([_STAGED, _LATEST]) + "\nSELECT count(*) FROM ins"

UPSERT_DEAD_LETTER = """
INSERT INTO ingest.dead_letters (topic, payload, payload_sha256, reason, detail)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (topic, payload_sha256) DO UPDATE SET
    seen = ingest.dead_letters.seen + 1, last_seen_at = now(),
    reason = EXCLUDED.reason, detail = EXCLUDED.detail
"""

UPSERT_QUARANTINE = """
INSERT INTO ingest.quarantine (topic, tenant, device_key, payload, payload_sha256, reason, detail, reading_count)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (topic, reason, payload_sha256) DO UPDATE SET
    seen = ingest.quarantine.seen + 1, last_seen_at = now(), detail = EXCLUDED.detail
"""

LOOKUP_METRICS = "SELECT name, id FROM telemetry.metrics WHERE name = ANY(%s)"
INSERT_METRICS = (
    "INSERT INTO telemetry.metrics (name) SELECT unnest(%s::text[]) ORDER BY 1 ON CONFLICT (name) DO NOTHING"
)
