-- Per-device MQTT credentials the broker can check itself.
-- broker_password_hash: the same password as credentials_hash, in Mosquitto's password-file format
--   ($7$<iterations>$<salt b64>$<PBKDF2-SHA512 b64>), so the password file is generated from the registry and the
--   password itself is never stored.  A revoked device keeps no hash at all: revocation cannot be undone by
--   accident, only by issuing new credentials (which clears revoked_at).
ALTER TABLE fleet.devices
    ADD COLUMN broker_password_hash   text
        CHECK (broker_password_hash ~ '^\$7\$[0-9]+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$'),
    ADD COLUMN credentials_rotated_at timestamptz,
    ADD COLUMN revoked_at             timestamptz,
    ADD CONSTRAINT devices_revoked_has_no_credentials
        CHECK (revoked_at IS NULL OR (broker_password_hash IS NULL AND credentials_hash IS NULL));

-- the password-file generator reads exactly these rows
CREATE INDEX devices_broker_accounts_idx ON fleet.devices (tenant, device_key)
    WHERE broker_password_hash IS NOT NULL AND revoked_at IS NULL;
