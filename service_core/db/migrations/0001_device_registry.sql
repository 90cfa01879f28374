-- The device registry: which device is which asset, what kind it is, how it authenticates, whether it is online.
CREATE SCHEMA IF NOT EXISTS fleet;

CREATE TABLE fleet.devices (
    id                integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant            text NOT NULL CHECK (tenant ~ '^[A-Za-z0-9_-]{1,64}$'),
    device_key        text NOT NULL CHECK (device_key ~ '^[A-Za-z0-9_.:-]{1,128}$'),
    device_type       text NOT NULL CHECK (length(device_type) BETWEEN 1 AND 64),
    asset_id          bigint,            -- the asset this device instruments (assets arrive with the service core)
    credentials_hash  text,              -- scrypt hash of the device's MQTT password, never the password
    metadata          jsonb NOT NULL DEFAULT '{}'::jsonb,
    status            text NOT NULL DEFAULT 'unknown' CHECK (status IN ('unknown', 'online', 'offline')),
    status_changed_at timestamptz,
    last_seen_at      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant, device_key)
);
CREATE INDEX devices_asset_idx ON fleet.devices (asset_id) WHERE asset_id IS NOT NULL;
