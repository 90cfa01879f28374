-- Assets: what we service, customer-owned or leased to the customer by us; a hierarchy site → asset → component;
-- meter readings (run hours); leases with their payment schedule.  Devices link to assets.
CREATE SCHEMA IF NOT EXISTS assets;

CREATE TABLE assets.asset_types (
    id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code         text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9_-]{1,64}$'),   -- also the device_type of its sensors
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100)
);

CREATE TABLE assets.assets (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id       integer NOT NULL REFERENCES crm.accounts (id),          -- where it is serviced
    location_id      integer REFERENCES crm.locations (id),
    parent_id        bigint REFERENCES assets.assets (id),                    -- site → asset → component
    level            text NOT NULL DEFAULT 'asset' CHECK (level IN ('site', 'asset', 'component')),
    asset_type_id    integer REFERENCES assets.asset_types (id),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    model            text NOT NULL DEFAULT '',
    serial_number    text,
    ownership        text NOT NULL DEFAULT 'customer' CHECK (ownership IN ('customer', 'leased')),
    install_date     date,
    warranty_end     date,
    criticality      text NOT NULL DEFAULT 'medium' CHECK (criticality IN ('low', 'medium', 'high', 'critical')),
    status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'retired')),
    run_hours        numeric(12, 1) NOT NULL DEFAULT 0 CHECK (run_hours >= 0),   -- latest meter reading
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_id IS DISTINCT FROM id)
);
CREATE UNIQUE INDEX assets_serial_idx ON assets.assets (asset_type_id, serial_number) WHERE serial_number IS NOT NULL;
CREATE INDEX assets_account_idx ON assets.assets (account_id);
CREATE INDEX assets_location_idx ON assets.assets (location_id);
CREATE INDEX assets_parent_idx ON assets.assets (parent_id) WHERE parent_id IS NOT NULL;

ALTER TABLE fleet.devices
    ADD CONSTRAINT devices_asset_fk FOREIGN KEY (asset_id) REFERENCES assets.assets (id) ON DELETE SET NULL;

CREATE TABLE assets.meter_readings (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    asset_id     bigint NOT NULL REFERENCES assets.assets (id) ON DELETE CASCADE,
    meter        text NOT NULL DEFAULT 'run_hours' CHECK (meter ~ '^[a-z0-9_]{1,64}$'),
    value        numeric(14, 2) NOT NULL CHECK (value >= 0),
    read_at      timestamptz NOT NULL,
    source       text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'telemetry', 'work_order')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (asset_id, meter, read_at)
);

CREATE TABLE assets.leases (
    id                  integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number              text NOT NULL UNIQUE CHECK (number ~ '^[A-Za-z0-9_-]{1,32}$'),
    asset_id            bigint NOT NULL REFERENCES assets.assets (id),
    account_id          integer NOT NULL REFERENCES crm.accounts (id),        -- the lessee (pays)
    status              text NOT NULL DEFAULT 'draft'
                        CHECK (status IN ('draft', 'active', 'ended', 'bought_out', 'terminated')),
    start_date          date NOT NULL,
    end_date            date NOT NULL CHECK (end_date > start_date),
    period_months       smallint NOT NULL DEFAULT 1 CHECK (period_months IN (1, 3, 6, 12)),
    periodic_charge     numeric(14, 2) NOT NULL CHECK (periodic_charge >= 0),
    deposit             numeric(14, 2) NOT NULL DEFAULT 0 CHECK (deposit >= 0),
    buyout_price        numeric(14, 2) CHECK (buyout_price >= 0),
    ended_on            date,
    end_reason          text,
    created_at          timestamptz NOT NULL DEFAULT now()
);
-- An asset is leased to at most one customer at a time.
CREATE UNIQUE INDEX leases_one_active_idx ON assets.leases (asset_id) WHERE status = 'active';

-- One row per billing period of a lease; `invoice_id` is set when the period has been invoiced.
CREATE TABLE assets.lease_periods (
    id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lease_id      integer NOT NULL REFERENCES assets.leases (id) ON DELETE CASCADE,
    period_start  date NOT NULL,
    period_end    date NOT NULL CHECK (period_end > period_start),   -- exclusive
    due_date      date NOT NULL,
    amount        numeric(14, 2) NOT NULL CHECK (amount >= 0),
    invoice_id    bigint,                                              -- FK added with billing
    UNIQUE (lease_id, period_start)
);

SELECT audit.track('assets.asset_types');
SELECT audit.track('assets.assets');
SELECT audit.track('assets.leases');
SELECT audit.track('assets.lease_periods');
