-- The live detector's own bookkeeping: how far it has read each device's telemetry (a high-water mark on the
-- readings' event time) and the hysteresis state of every (asset, episode key), so a restarted detector neither
-- rescores old readings nor raises an open episode again.  Operational state written every poll: not audited.
CREATE TABLE detection.high_water_marks (
    device_id   integer PRIMARY KEY REFERENCES fleet.devices (id) ON DELETE CASCADE,
    last_ts     timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE detection.episode_states (
    asset_id    bigint NOT NULL REFERENCES assets.assets (id) ON DELETE CASCADE,
    episode     text NOT NULL CHECK (episode ~ '^[a-z0-9_:.]{1,128}$'),  -- 'equipment' or 'sensor:<check>:<signal>'
    state       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (asset_id, episode)
);
