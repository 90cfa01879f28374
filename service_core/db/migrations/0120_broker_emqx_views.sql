-- What an EMQX cluster's built-in PostgreSQL authentication and authorization read (deploy/compose.emqx.yaml).
--
-- No new secret is stored: fleet.devices.broker_password_hash is Mosquitto's `$7$<iterations>$<salt b64>$<hash
-- b64>`, PBKDF2-HMAC-SHA512 over the raw salt bytes, and EMQX's `pbkdf2` algorithm (mac_fun sha512, the same
-- iteration count, dk_length 64) computes the same derivation and compares it, as lowercase hex, with the
-- `password_hash` column, using the `salt` column's bytes as they come.  So broker.logins decodes the `$7$` string:
-- password_hash as hex, salt as bytea (the raw bytes), iterations as a column EMQX's query filters on (EMQX has one
-- iteration count per authenticator; a hash written with another count cannot log in there).
--
-- broker.service_logins holds the AssetPulse services' broker users (ingestor, detector), written by
-- `assetpulse broker sync-service-logins` from ASSETPULSE_BROKER_* (Mosquitto gets them through its password
-- file instead).  broker.acl grants what the Mosquitto ACL file grants, one row per rule: a device publishes its
-- own telemetry and status and subscribes to its own command topic; a service subscribes to its topics (also in
-- the `$share/<group>/` form, whichever EMQX checks).  EMQX denies what no row allows (authorization.no_match).
--
-- assetpulse_broker is the NOLOGIN role EMQX connects as once the operator gives it a password
-- (deploy/README.md): it may read these two views and nothing else.
CREATE SCHEMA IF NOT EXISTS broker;

CREATE TABLE broker.service_logins (
    username             text PRIMARY KEY CHECK (username ~ '^[A-Za-z0-9_.-]{1,64}$'),
    broker_password_hash text NOT NULL
        CHECK (broker_password_hash ~ '^\$7\$[0-9]+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$'),
    receive              text[] NOT NULL DEFAULT '{}',
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE VIEW broker.logins AS
SELECT username,
       encode(decode(split_part(mosquitto_hash, '$', 5), 'base64'), 'hex') AS password_hash,
       decode(split_part(mosquitto_hash, '$', 4), 'base64')                AS salt,
       split_part(mosquitto_hash, '$', 3)::integer                         AS iterations,
       false                                                               AS is_superuser
FROM (
    SELECT tenant || '/' || replace(device_key, ':', '%3A') AS username, broker_password_hash AS mosquitto_hash
    FROM fleet.devices
    WHERE broker_password_hash IS NOT NULL AND revoked_at IS NULL
    UNION ALL
    SELECT username, broker_password_hash FROM broker.service_logins
) AS accounts;

CREATE VIEW broker.acl AS
SELECT d.tenant || '/' || replace(d.device_key, ':', '%3A') AS username,
       'allow'::text                                         AS permission,
       rule.action,
       'assetpulse/' || d.tenant || '/' || d.device_key || '/' || rule.kind AS topic
FROM fleet.devices AS d
CROSS JOIN (VALUES ('publish', 'telemetry'), ('publish', 'status'), ('subscribe', 'command')) AS rule (action, kind)
WHERE d.broker_password_hash IS NOT NULL AND d.revoked_at IS NULL
UNION ALL
SELECT s.username, 'allow', 'subscribe', topic.filter
FROM broker.service_logins AS s
CROSS JOIN LATERAL unnest(s.receive) AS granted (filter)
CROSS JOIN LATERAL (VALUES (granted.filter), ('$share/+/' || granted.filter)) AS topic (filter);

-- EMQX looks a device up by username at every CONNECT: the expression index makes that an index scan.
CREATE INDEX devices_broker_username_idx ON fleet.devices ((tenant || '/' || replace(device_key, ':', '%3A')))
    WHERE broker_password_hash IS NOT NULL AND revoked_at IS NULL;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'assetpulse_broker') THEN
        CREATE ROLE assetpulse_broker NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;
GRANT USAGE ON SCHEMA broker TO assetpulse_broker;
GRANT SELECT ON broker.logins, broker.acl TO assetpulse_broker;
