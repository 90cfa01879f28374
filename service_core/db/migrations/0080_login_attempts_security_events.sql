-- Login rate limiting and the security log.
--
-- auth.login_attempts: every login attempt (the email as typed, normalized when it is one; the client address),
-- so every API worker sees the same recent failures and refuses a guessing run with 429.  Rows older than a day are
-- pruned by the login use case itself.
--
-- audit.security_events: who did what that matters to security, from where: logins (success, failure, throttled),
-- API keys created and revoked, users created, deactivated and reactivated, device credentials issued, rotated and
-- revoked.  Logins are written by the auth service; the others by triggers on the tables themselves, so a change
-- made from the CLI or psql is recorded too.  The actor and client address come from the transaction's settings
-- `assetpulse.actor` and `assetpulse.client_ip` (set per API request).  Rows never change once written.
CREATE TABLE auth.login_attempts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    email       text NOT NULL CHECK (length(email) <= 320),
    client_ip   text NOT NULL CHECK (length(client_ip) <= 100),
    succeeded   boolean NOT NULL
);
CREATE INDEX login_attempts_email_idx ON auth.login_attempts (email, at);
CREATE INDEX login_attempts_ip_idx ON auth.login_attempts (client_ip, at);
CREATE INDEX login_attempts_at_idx ON auth.login_attempts (at);

CREATE TABLE audit.security_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    event       text NOT NULL CHECK (event IN (
                    'login.succeeded', 'login.failed', 'login.throttled',
                    'api_key.created', 'api_key.revoked',
                    'user.created', 'user.deactivated', 'user.reactivated',
                    'device.credentials_issued', 'device.credentials_rotated', 'device.credentials_revoked')),
    subject     text NOT NULL,          -- 'user:7', 'api_key:3', 'device:12', or the email a login was tried with
    client_ip   text,
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX security_events_event_idx ON audit.security_events (event, id);
CREATE INDEX security_events_subject_idx ON audit.security_events (subject, id);
CREATE TRIGGER security_events_append_only BEFORE UPDATE OR DELETE ON audit.security_events
    FOR EACH ROW EXECUTE FUNCTION audit.refuse_change('the security log is append-only');

-- The caller of this transaction as the API set it, else the database role.
CREATE FUNCTION audit.current_actor() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('assetpulse.actor', true), ''), 'db:' || session_user)
$$;

CREATE FUNCTION audit.security_event(event text, subject text, detail jsonb DEFAULT '{}'::jsonb)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO audit.security_events (actor, event, subject, client_ip, detail)
    VALUES (audit.current_actor(), event, subject, nullif(current_setting('assetpulse.client_ip', true), ''), detail)
$$;

CREATE FUNCTION audit.user_security_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM audit.security_event('user.created', 'user:' || NEW.id, jsonb_build_object('role', NEW.role));
    ELSIF OLD.is_active AND NOT NEW.is_active THEN
        PERFORM audit.security_event('user.deactivated', 'user:' || NEW.id);
    ELSIF NOT OLD.is_active AND NEW.is_active THEN
        PERFORM audit.security_event('user.reactivated', 'user:' || NEW.id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER users_security_events AFTER INSERT OR UPDATE OF is_active ON auth.users
    FOR EACH ROW EXECUTE FUNCTION audit.user_security_event();

CREATE FUNCTION audit.api_key_security_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM audit.security_event('api_key.created', 'api_key:' || NEW.id,
                                     jsonb_build_object('name', NEW.name, 'role', NEW.role, 'prefix', NEW.prefix));
    ELSIF OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL THEN
        PERFORM audit.security_event('api_key.revoked', 'api_key:' || NEW.id, jsonb_build_object('name', NEW.name));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER api_keys_security_events AFTER INSERT OR UPDATE OF revoked_at ON auth.api_keys
    FOR EACH ROW EXECUTE FUNCTION audit.api_key_security_event();

CREATE FUNCTION audit.device_security_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    device jsonb := jsonb_build_object('tenant', NEW.tenant, 'device_key', NEW.device_key);
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.credentials_hash IS NOT NULL THEN
            PERFORM audit.security_event('device.credentials_issued', 'device:' || NEW.id, device);
        END IF;
    ELSIF OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL THEN
        PERFORM audit.security_event('device.credentials_revoked', 'device:' || NEW.id, device);
    ELSIF NEW.credentials_hash IS NOT NULL AND NEW.credentials_hash IS DISTINCT FROM OLD.credentials_hash THEN
        PERFORM audit.security_event(
            CASE WHEN OLD.credentials_hash IS NULL AND OLD.revoked_at IS NULL
                 THEN 'device.credentials_issued' ELSE 'device.credentials_rotated' END,
            'device:' || NEW.id, device);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER devices_security_events AFTER INSERT OR UPDATE OF credentials_hash, revoked_at ON fleet.devices
    FOR EACH ROW EXECUTE FUNCTION audit.device_security_event();
