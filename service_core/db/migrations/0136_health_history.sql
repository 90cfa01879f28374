-- The history of each asset's scores, per minute and per hour of reading time: the lowest health score and the
-- highest anomaly score the detector gave the asset in that bucket (what the asset page draws and marks).  The
-- current score stays in detection.asset_health.  Telemetry maintenance (`assetpulse db maintain`, also run by the
-- ingestor) trims the minute rows like the 1-minute telemetry roll-ups and the hour rows like the 1-hour ones.
CREATE TABLE detection.health_history (
    asset_id       bigint NOT NULL REFERENCES assets.assets (id) ON DELETE CASCADE,
    resolution     text NOT NULL CHECK (resolution IN ('1m', '1h')),
    bucket         timestamptz NOT NULL,
    health_score   smallint NOT NULL CHECK (health_score BETWEEN 0 AND 100),
    anomaly_score  double precision NOT NULL,
    PRIMARY KEY (asset_id, resolution, bucket)
);
CREATE INDEX health_history_bucket_idx ON detection.health_history (resolution, bucket);
