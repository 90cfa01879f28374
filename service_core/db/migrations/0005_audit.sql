-- The audit trail: who changed which business record, when, and what changed.  Every business table gets the
-- trigger with `SELECT audit.track('schema.table')`.  The actor is whatever the transaction set with
-- `set_config('assetpulse.actor', 'user:7', true)` (the API does it for every authenticated request); changes made
-- outside the API are recorded as `db:<role>`.
CREATE SCHEMA IF NOT EXISTS audit;

CREATE TABLE audit.changes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    table_name  text NOT NULL,              -- schema-qualified, e.g. 'work.work_orders'
    record_id   text NOT NULL,
    action      text NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
    changed     jsonb NOT NULL              -- insert/delete: the row; update: {column: [old, new]} of what changed
);
CREATE INDEX changes_record_idx ON audit.changes (table_name, record_id, id);
CREATE INDEX changes_actor_idx ON audit.changes (actor, id);

-- The id of a row, or its primary key's values joined with '/' for a table keyed otherwise.
CREATE FUNCTION audit.row_key(tbl oid, r jsonb) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(r ->> 'id', (
        SELECT string_agg(r ->> a.attname, '/' ORDER BY k.ord)
        FROM pg_index AS i
        CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k (attnum, ord)
        JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
        WHERE i.indrelid = tbl AND i.indisprimary), '?')
$$;

CREATE FUNCTION audit.record_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    who text := coalesce(nullif(current_setting('assetpulse.actor', true), ''), 'db:' || session_user);
    tbl text := TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME;
    old_row jsonb;
    new_row jsonb;
    diff jsonb;
BEGIN
    IF TG_OP = 'INSERT' THEN
        new_row := to_jsonb(NEW);
        INSERT INTO audit.changes (actor, table_name, record_id, action, changed)
        VALUES (who, tbl, audit.row_key(TG_RELID, new_row), 'insert', new_row);
        RETURN NEW;
    ELSIF TG_OP = 'UPDATE' THEN
        old_row := to_jsonb(OLD);
        new_row := to_jsonb(NEW);
        SELECT jsonb_object_agg(n.key, jsonb_build_array(o.value, n.value)) INTO diff
        FROM jsonb_each(new_row) AS n JOIN jsonb_each(old_row) AS o USING (key)
        WHERE n.value IS DISTINCT FROM o.value;
        IF diff IS NOT NULL THEN
            INSERT INTO audit.changes (actor, table_name, record_id, action, changed)
            VALUES (who, tbl, audit.row_key(TG_RELID, new_row), 'update', diff);
        END IF;
        RETURN NEW;
    ELSE
        old_row := to_jsonb(OLD);
        INSERT INTO audit.changes (actor, table_name, record_id, action, changed)
        VALUES (who, tbl, audit.row_key(TG_RELID, old_row), 'delete', old_row);
        RETURN OLD;
    END IF;
END
$$;

-- Put a table under audit: every insert, update and delete of a row is recorded.
CREATE FUNCTION audit.track(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format(
        'CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON %s '
        'FOR EACH ROW EXECUTE FUNCTION audit.record_change()', tbl);
END
$$;

-- Rows that never change once written (issued invoices, posted work orders...) refuse updates and deletes.
CREATE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% of %.% row % is not allowed: %', lower(TG_OP), TG_TABLE_SCHEMA, TG_TABLE_NAME,
        coalesce(to_jsonb(OLD) ->> 'id', '?'), TG_ARGV[0]
        USING ERRCODE = 'restrict_violation';
END
$$;
