-- What the ingestor could not store, kept with its raw bytes and reason so it can be inspected and replayed.
-- A message redelivered by the broker lands on the same row (same topic and payload hash) and bumps `seen`.
CREATE SCHEMA IF NOT EXISTS ingest;

CREATE TABLE ingest.dead_letters (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic          text NOT NULL,
    payload        bytea NOT NULL,
    payload_sha256 bytea NOT NULL,
    reason         text NOT NULL,        -- machine-readable: not_json, invalid_payload, non_finite, oversize, bad_topic
    detail         text NOT NULL,        -- what exactly was wrong, for people
    first_seen_at  timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    seen           integer NOT NULL DEFAULT 1,
    replayed_at    timestamptz,          -- set when a replay stored it
    UNIQUE (topic, payload_sha256)
);
CREATE INDEX dead_letters_open_idx ON ingest.dead_letters (first_seen_at) WHERE replayed_at IS NULL;

-- Well-formed readings the ingestor would not accept yet: unknown device, timestamp too far in the future,
-- older than raw retention.  `payload` holds just the rejected readings, as a message that can be replayed.
CREATE TABLE ingest.quarantine (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic          text NOT NULL,
    tenant         text NOT NULL,
    device_key     text NOT NULL,
    payload        bytea NOT NULL,
    payload_sha256 bytea NOT NULL,
    reason         text NOT NULL,        -- unknown_device, future_timestamp, beyond_retention
    detail         text NOT NULL,
    reading_count  integer NOT NULL,
    first_seen_at  timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    seen           integer NOT NULL DEFAULT 1,
    replayed_at    timestamptz,
    UNIQUE (topic, reason, payload_sha256)
);
CREATE INDEX quarantine_open_idx ON ingest.quarantine (first_seen_at) WHERE replayed_at IS NULL;
