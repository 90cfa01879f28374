-- The assets the live detector does not score now, and why: a device sampling too far from its model's training
-- interval (`detection.sampling`).  Its health score, if it has one, is as old as its scored_at: the fleet page
-- and the asset's health say "not scored" with this reason instead of letting an old score look current.  The
-- detector writes a row when it refuses a device and deletes it when it scores the device again (or stops
-- watching it); `since` is when the refusal began.
CREATE TABLE detection.not_scored (
    asset_id             bigint PRIMARY KEY REFERENCES assets.assets (id) ON DELETE CASCADE,
    device_id            integer NOT NULL REFERENCES fleet.devices (id) ON DELETE CASCADE,
    model_version        text NOT NULL,
    reason               text NOT NULL,
    sampling_interval_s  double precision NOT NULL CHECK (sampling_interval_s > 0),
    trained_interval_s   double precision NOT NULL CHECK (trained_interval_s > 0),
    since                timestamptz NOT NULL
);
