-- Work orders and bookings: list filters backed by indexes, one resource never records two overlapping time
-- entries, and the reason a supervisor gave for posting with a pending checklist.
ALTER TABLE work.work_orders ADD COLUMN posted_force_reason text CHECK (length(posted_force_reason) <= 500);

CREATE INDEX work_orders_status_id_idx ON work.work_orders (status, id);
CREATE INDEX work_orders_priority_id_idx ON work.work_orders (priority, id);
CREATE INDEX work_orders_source_id_idx ON work.work_orders (source, id);
-- Summary search uses a trigram index where the server has pg_trgm (a contrib module: present on packaged
-- PostgreSQL and TimescaleDB images, absent from the embedded server of the demo, where search scans).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
        CREATE INDEX work_orders_summary_trgm_idx ON work.work_orders USING gin (summary gin_trgm_ops);
    END IF;
END
$$;

CREATE INDEX bookings_status_start_idx ON work.bookings (status, start_at, id);

-- A technician cannot be in two places at once: the database refuses a second overlapping entry.
ALTER TABLE work.time_entries ADD CONSTRAINT time_entries_no_overlap EXCLUDE USING gist (
    int4range(resource_id, resource_id, '[]') WITH &&,
    tstzrange(started_at, ended_at) WITH &&
);
