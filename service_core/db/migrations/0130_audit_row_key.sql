-- The audit trigger takes a row's key from its 'id' column directly and asks the catalog (audit.row_key) only
-- for tables keyed otherwise: calling the SQL function for every row cost more than the rest of the trigger
-- (0.52 ms of a work-order insert's 1.1 ms; 0.07 ms after).
CREATE OR REPLACE FUNCTION audit.record_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    who text := coalesce(nullif(current_setting('assetpulse.actor', true), ''), 'db:' || session_user);
    tbl text := TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME;
    old_row jsonb;
    new_row jsonb;
    diff jsonb;
    rid text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        new_row := to_jsonb(NEW);
        rid := new_row ->> 'id';
        IF rid IS NULL THEN rid := audit.row_key(TG_RELID, new_row); END IF;
        INSERT INTO audit.changes (actor, table_name, record_id, action, changed)
        VALUES (who, tbl, rid, 'insert', new_row);
        RETURN NEW;
    ELSIF TG_OP = 'UPDATE' THEN
        old_row := to_jsonb(OLD);
        new_row := to_jsonb(NEW);
        SELECT jsonb_object_agg(n.key, jsonb_build_array(o.value, n.value)) INTO diff
        FROM jsonb_each(new_row) AS n JOIN jsonb_each(old_row) AS o USING (key)
        WHERE n.value IS DISTINCT FROM o.value;
        IF diff IS NOT NULL THEN
            rid := new_row ->> 'id';
            IF rid IS NULL THEN rid := audit.row_key(TG_RELID, new_row); END IF;
            INSERT INTO audit.changes (actor, table_name, record_id, action, changed)
            VALUES (who, tbl, rid, 'update', diff);
        END IF;
        RETURN NEW;
    ELSE
        old_row := to_jsonb(OLD);
        rid := old_row ->> 'id';
        IF rid IS NULL THEN rid := audit.row_key(TG_RELID, old_row); END IF;
        INSERT INTO audit.changes (actor, table_name, record_id, action, changed)
        VALUES (who, tbl, rid, 'delete', old_row);
        RETURN OLD;
    END IF;
END
$$;
