-- Policies: business-hours calendars and SLA targets by priority (a default set, and per agreement).
-- Agreements: service agreements and warranties per account and asset: coverage, rates, preventive-maintenance
-- plans (calendar or meter based) and a periodic fee.
CREATE SCHEMA IF NOT EXISTS policy;
CREATE SCHEMA IF NOT EXISTS agreements;

CREATE TABLE policy.calendars (
    id        integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name      text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    timezone  text NOT NULL DEFAULT 'UTC',
    always_open boolean NOT NULL DEFAULT false    -- 24x7: the hours below are ignored
);

CREATE TABLE policy.calendar_hours (
    id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    calendar_id  integer NOT NULL REFERENCES policy.calendars (id) ON DELETE CASCADE,
    weekday      smallint NOT NULL CHECK (weekday BETWEEN 0 AND 6),   -- ISO: 0 = Monday
    start_time   time NOT NULL,
    end_time     time NOT NULL CHECK (end_time > start_time)
);

CREATE TABLE policy.holidays (
    calendar_id  integer NOT NULL REFERENCES policy.calendars (id) ON DELETE CASCADE,
    day          date NOT NULL,
    name         text NOT NULL DEFAULT '',
    PRIMARY KEY (calendar_id, day)
);

CREATE TABLE agreements.agreements (
    id                   integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number               text NOT NULL UNIQUE CHECK (number ~ '^[A-Za-z0-9_-]{1,32}$'),
    kind                 text NOT NULL DEFAULT 'service' CHECK (kind IN ('service', 'warranty')),
    account_id           integer NOT NULL REFERENCES crm.accounts (id),    -- the customer (billing follows it)
    name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    status               text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'expired', 'canceled')),
    start_date           date NOT NULL,
    end_date             date NOT NULL CHECK (end_date > start_date),
    covers_all_assets    boolean NOT NULL DEFAULT false,                   -- else only agreement_assets
    covered_work_types   text[] NOT NULL DEFAULT '{}',                     -- work types billed at zero
    covers_labour        boolean NOT NULL DEFAULT true,
    covers_parts         boolean NOT NULL DEFAULT false,
    covers_travel        boolean NOT NULL DEFAULT true,
    discount_pct         numeric(5, 2) NOT NULL DEFAULT 0 CHECK (discount_pct BETWEEN 0 AND 100),  -- on billable work
    labour_rate          numeric(10, 2) CHECK (labour_rate >= 0),           -- overrides the price list
    price_list_id        integer,                                           -- FK added with billing
    calendar_id          integer REFERENCES policy.calendars (id),
    periodic_fee         numeric(14, 2) NOT NULL DEFAULT 0 CHECK (periodic_fee >= 0),
    billing_period_months smallint NOT NULL DEFAULT 1 CHECK (billing_period_months IN (1, 3, 6, 12)),
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agreements_account_idx ON agreements.agreements (account_id);

CREATE TABLE agreements.agreement_assets (
    agreement_id  integer NOT NULL REFERENCES agreements.agreements (id) ON DELETE CASCADE,
    asset_id      bigint NOT NULL REFERENCES assets.assets (id),
    PRIMARY KEY (agreement_id, asset_id)
);
CREATE INDEX agreement_assets_asset_idx ON agreements.agreement_assets (asset_id);

-- SLA targets by priority: rows with agreement_id NULL are the default policy.
CREATE TABLE policy.sla_targets (
    id                  integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agreement_id        integer REFERENCES agreements.agreements (id) ON DELETE CASCADE,
    priority            text NOT NULL CHECK (priority IN ('emergency', 'high', 'normal', 'low')),
    calendar_id         integer REFERENCES policy.calendars (id),           -- NULL: 24x7
    response_minutes    integer NOT NULL CHECK (response_minutes > 0),
    resolution_minutes  integer NOT NULL CHECK (resolution_minutes > 0),
    warning_fraction    numeric(4, 3) NOT NULL DEFAULT 0.75 CHECK (warning_fraction > 0 AND warning_fraction < 1),
    CHECK (resolution_minutes >= response_minutes)
);
CREATE UNIQUE INDEX sla_targets_key_idx ON policy.sla_targets (coalesce(agreement_id, 0), priority);

-- What happens as an SLA clock runs: at a fraction of the target (or at breach, fraction 1) notify a role,
-- raise the priority, or reassign.
CREATE TABLE policy.escalation_rules (
    id              integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    priority        text CHECK (priority IN ('emergency', 'high', 'normal', 'low')),    -- NULL: every priority
    target          text NOT NULL CHECK (target IN ('response', 'resolution')),
    at_fraction     numeric(4, 3) NOT NULL CHECK (at_fraction > 0 AND at_fraction <= 2),
    action          text NOT NULL CHECK (action IN ('notify', 'raise_priority', 'reassign')),
    notify_role     text CHECK (notify_role IN ('admin', 'dispatcher', 'technician', 'finance', 'viewer'))
);

SELECT audit.track('policy.calendars');
SELECT audit.track('policy.calendar_hours');
SELECT audit.track('policy.holidays');
SELECT audit.track('agreements.agreements');
SELECT audit.track('agreements.agreement_assets');
SELECT audit.track('policy.sla_targets');
SELECT audit.track('policy.escalation_rules');
