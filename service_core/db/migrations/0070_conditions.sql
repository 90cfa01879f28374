-- Conditions: what detection believes is wrong with an asset (an equipment fault or a failing sensor), with its
-- evidence and lifecycle; the rules that turn them into work orders; the health of each asset; stored models.
CREATE SCHEMA IF NOT EXISTS detection;

CREATE TABLE detection.conditions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    asset_id         bigint NOT NULL REFERENCES assets.assets (id),
    device_id        integer REFERENCES fleet.devices (id),
    failure_mode     text NOT NULL CHECK (failure_mode ~ '^[a-z0-9_]{1,64}$'),
    category         text NOT NULL CHECK (category IN ('equipment', 'sensor')),
    severity         text NOT NULL CHECK (severity IN ('warning', 'major', 'critical')),
    status           text NOT NULL DEFAULT 'raised'
                     CHECK (status IN ('raised', 'acknowledged', 'snoozed', 'cleared', 'resolved')),
    onset_at         timestamptz NOT NULL,           -- first reading of the episode that crossed the threshold
    raised_at        timestamptz NOT NULL,           -- after the on-delay
    last_evidence_at timestamptz NOT NULL,
    peak_score       double precision NOT NULL,
    evidence         jsonb NOT NULL,                 -- scores, contributing signals, time range, model version
    acknowledged_at  timestamptz,
    acknowledged_by  text,
    snoozed_until    timestamptz,
    cleared_at       timestamptz,
    resolved_at      timestamptz,
    work_order_id    bigint REFERENCES work.work_orders (id),
    outcome          text CHECK (outcome IN ('true_alarm', 'false_alarm')),
    created_at       timestamptz NOT NULL DEFAULT now()
);
-- At most one open condition per asset and failure mode, also under concurrent detectors.
CREATE UNIQUE INDEX conditions_one_open_idx ON detection.conditions (asset_id, failure_mode)
    WHERE status IN ('raised', 'acknowledged', 'snoozed');
CREATE INDEX conditions_status_idx ON detection.conditions (status, severity, id);
CREATE INDEX conditions_asset_idx ON detection.conditions (asset_id, id);
CREATE INDEX conditions_work_order_idx ON detection.conditions (work_order_id) WHERE work_order_id IS NOT NULL;

ALTER TABLE work.work_orders
    ADD CONSTRAINT work_orders_condition_fk FOREIGN KEY (condition_id) REFERENCES detection.conditions (id);

-- Which work a condition opens: the most specific matching rule wins (failure mode over '*').
CREATE TABLE detection.rules (
    id                integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    failure_mode      text NOT NULL DEFAULT '*' CHECK (failure_mode ~ '^(\*|[a-z0-9_]{1,64})$'),
    category          text NOT NULL CHECK (category IN ('equipment', 'sensor')),
    min_severity      text NOT NULL DEFAULT 'warning' CHECK (min_severity IN ('warning', 'major', 'critical')),
    min_criticality   text NOT NULL DEFAULT 'low' CHECK (min_criticality IN ('low', 'medium', 'high', 'critical')),
    incident_type_id  integer REFERENCES work.incident_types (id),
    work_type         text NOT NULL CHECK (work_type IN ('maintenance', 'repair', 'inspection', 'sensor_check')),
    priority          text NOT NULL CHECK (priority IN ('emergency', 'high', 'normal', 'low')),
    raise_priority_if_critical_asset boolean NOT NULL DEFAULT true,
    recurrence_days   integer NOT NULL DEFAULT 30 CHECK (recurrence_days BETWEEN 0 AND 365),
    is_active         boolean NOT NULL DEFAULT true
);
INSERT INTO detection.rules (failure_mode, category, min_severity, work_type, priority) VALUES
    ('*', 'equipment', 'major', 'repair', 'high'),
    ('*', 'equipment', 'warning', 'inspection', 'normal'),
    ('*', 'sensor', 'warning', 'sensor_check', 'low');

CREATE TABLE detection.asset_health (
    asset_id        bigint PRIMARY KEY REFERENCES assets.assets (id) ON DELETE CASCADE,
    scored_at       timestamptz NOT NULL,
    health_score    smallint NOT NULL CHECK (health_score BETWEEN 0 AND 100),
    anomaly_score   double precision NOT NULL,
    contributions   jsonb NOT NULL DEFAULT '[]',    -- [{"signal": ..., "share": ...}], largest first
    rul_hours       double precision,
    rul_low_hours   double precision,
    rul_high_hours  double precision,
    model_version   text
);

CREATE TABLE detection.models (
    id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    asset_type    text NOT NULL,
    kind          text NOT NULL,                    -- e.g. 'pca_residual', 'rul_gbr'
    version       integer NOT NULL,
    trained_at    timestamptz NOT NULL DEFAULT now(),
    training      jsonb NOT NULL,                   -- data range, assets, rows
    parameters    jsonb NOT NULL,
    metrics       jsonb NOT NULL DEFAULT '{}',
    artifact      bytea NOT NULL,
    is_active     boolean NOT NULL DEFAULT false,
    UNIQUE (asset_type, kind, version)
);
CREATE UNIQUE INDEX models_one_active_idx ON detection.models (asset_type, kind) WHERE is_active;

SELECT audit.track('detection.conditions');
SELECT audit.track('detection.rules');
