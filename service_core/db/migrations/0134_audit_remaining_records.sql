-- The audit trail on the business records that had none: device identities and credentials, users and API keys
-- (who was given which role, whose key was revoked), meter readings, incident-type templates (their tasks, skills
-- and suggested items) and a work order's required skills and preferred resources.  What stays out, and why: the
-- telemetry, ingest and detection tables (machine data and detector state, not records anyone edits),
-- work.sla_events (itself a log of a work order's SLA clock), billing.series (the invoice number counters, whose
-- every step is an audited invoice), the login and security-event logs and audit.changes itself.
--
-- Secrets never reach audit.changes: a trigger's arguments name columns whose values are recorded as
-- "[redacted]" (an update still shows that they changed, and a null stays null).

CREATE FUNCTION audit.redacted(r jsonb, secret_columns text[]) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT r || coalesce((
        SELECT jsonb_object_agg(c, CASE WHEN jsonb_typeof(r -> c) = 'null' THEN r -> c ELSE '"[redacted]"'::jsonb END)
        FROM unnest(secret_columns) AS c
        WHERE r ? c), '{}'::jsonb)
$$;

-- An update's {column: [old, new]} with each secret column's pair redacted.
CREATE FUNCTION audit.redacted_diff(diff jsonb, secret_columns text[]) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT diff || coalesce((
        SELECT jsonb_object_agg(c, jsonb_build_array(
            CASE WHEN jsonb_typeof(diff -> c -> 0) = 'null' THEN 'null'::jsonb ELSE '"[redacted]"'::jsonb END,
            CASE WHEN jsonb_typeof(diff -> c -> 1) = 'null' THEN 'null'::jsonb ELSE '"[redacted]"'::jsonb END))
        FROM unnest(secret_columns) AS c
        WHERE diff ? c), '{}'::jsonb)
$$;

-- As migration 0130's, plus the redaction of the columns named by the trigger's arguments (none: as before).
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
        IF TG_NARGS > 0 THEN new_row := audit.redacted(new_row, TG_ARGV); END IF;
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
            IF TG_NARGS > 0 THEN diff := audit.redacted_diff(diff, TG_ARGV); END IF;
            INSERT INTO audit.changes (actor, table_name, record_id, action, changed)
            VALUES (who, tbl, rid, 'update', diff);
        END IF;
        RETURN NEW;
    ELSE
        old_row := to_jsonb(OLD);
        rid := old_row ->> 'id';
        IF rid IS NULL THEN rid := audit.row_key(TG_RELID, old_row); END IF;
        IF TG_NARGS > 0 THEN old_row := audit.redacted(old_row, TG_ARGV); END IF;
        INSERT INTO audit.changes (actor, table_name, record_id, action, changed)
        VALUES (who, tbl, rid, 'delete', old_row);
        RETURN OLD;
    END IF;
END
$$;

-- Put a table under audit with its secret columns redacted.
CREATE FUNCTION audit.track_redacted(tbl regclass, secret_columns text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format(
        'CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON %s '
        'FOR EACH ROW EXECUTE FUNCTION audit.record_change(%s)',
        tbl, (SELECT string_agg(quote_literal(c), ', ') FROM unnest(secret_columns) AS c));
END
$$;

SELECT audit.track('assets.meter_readings');
SELECT audit.track('work.incident_type_tasks');
SELECT audit.track('work.incident_type_skills');
SELECT audit.track('work.incident_type_items');
SELECT audit.track('work.work_order_skills');
SELECT audit.track('work.work_order_preferences');
SELECT audit.track_redacted('auth.users', ARRAY['password_hash']);
SELECT audit.track_redacted('auth.api_keys', ARRAY['key_hash']);

-- A device: its registration, identity, asset link and credentials, not its presence (the ingestor touches
-- status and last_seen_at every few seconds per device: an update of only those columns fires no trigger).
CREATE TRIGGER audit_changes AFTER INSERT OR DELETE ON fleet.devices
    FOR EACH ROW EXECUTE FUNCTION audit.record_change('credentials_hash', 'broker_password_hash');
CREATE TRIGGER audit_changes_registration
    AFTER UPDATE OF tenant, device_key, device_type, asset_id, metadata, credentials_hash, broker_password_hash,
        credentials_rotated_at, revoked_at
    ON fleet.devices
    FOR EACH ROW EXECUTE FUNCTION audit.record_change('credentials_hash', 'broker_password_hash');
