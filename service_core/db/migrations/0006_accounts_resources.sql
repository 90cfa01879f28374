-- Accounts (who we serve and who pays), their contacts and service locations; territories; resources
-- (technicians, crews, equipment) with skills, working hours and time off.
CREATE SCHEMA IF NOT EXISTS crm;
CREATE SCHEMA IF NOT EXISTS resources;

CREATE TABLE resources.territories (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE crm.accounts (
    id                  integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number              text NOT NULL UNIQUE CHECK (number ~ '^[A-Za-z0-9_-]{1,32}$'),
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind                text NOT NULL DEFAULT 'both' CHECK (kind IN ('service', 'billing', 'both')),
    billing_account_id  integer REFERENCES crm.accounts (id),   -- who pays for work at this account; NULL: itself
    currency            char(3) NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    payment_terms_days  integer NOT NULL DEFAULT 30 CHECK (payment_terms_days BETWEEN 0 AND 365),
    tax_rate            numeric(6, 4) NOT NULL DEFAULT 0 CHECK (tax_rate >= 0 AND tax_rate < 1),
    credit_limit        numeric(14, 2) CHECK (credit_limit >= 0),                -- NULL: no limit
    credit_hold         boolean NOT NULL DEFAULT false,
    credit_hold_reason  text,
    credit_hold_since   timestamptz,
    credit_hold_manual  boolean NOT NULL DEFAULT false,   -- set by a person: automatic release leaves it alone
    tenant              text CHECK (tenant ~ '^[A-Za-z0-9_-]{1,64}$'),         -- customer-portal scope
    email               text,
    phone               text,
    is_active           boolean NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX accounts_billing_idx ON crm.accounts (billing_account_id) WHERE billing_account_id IS NOT NULL;
CREATE INDEX accounts_name_idx ON crm.accounts (lower(name));

CREATE TABLE crm.contacts (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  integer NOT NULL REFERENCES crm.accounts (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email       text,
    phone       text,
    role        text,                      -- e.g. 'site manager', 'accounts payable'
    is_primary  boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contacts_account_idx ON crm.contacts (account_id);

CREATE TABLE crm.locations (
    id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id    integer NOT NULL REFERENCES crm.accounts (id),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    address       text NOT NULL DEFAULT '',
    latitude      double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude     double precision NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    timezone      text NOT NULL DEFAULT 'UTC',
    territory_id  integer REFERENCES resources.territories (id),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX locations_account_idx ON crm.locations (account_id);

CREATE TABLE resources.skills (
    id    integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code  text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9_-]{1,64}$'),
    name  text NOT NULL CHECK (length(name) BETWEEN 1 AND 100)
);

CREATE TABLE resources.resources (
    id                 integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind               text NOT NULL DEFAULT 'technician' CHECK (kind IN ('technician', 'crew', 'equipment')),
    user_id            integer UNIQUE REFERENCES auth.users (id),    -- the login of a technician
    territory_id       integer REFERENCES resources.territories (id),
    home_latitude      double precision NOT NULL CHECK (home_latitude BETWEEN -90 AND 90),
    home_longitude     double precision NOT NULL CHECK (home_longitude BETWEEN -180 AND 180),
    timezone           text NOT NULL DEFAULT 'UTC',
    hourly_cost        numeric(10, 2) NOT NULL DEFAULT 0 CHECK (hourly_cost >= 0),
    hourly_bill_rate   numeric(10, 2) NOT NULL DEFAULT 0 CHECK (hourly_bill_rate >= 0),
    is_active          boolean NOT NULL DEFAULT true,
    created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE resources.resource_skills (
    resource_id  integer NOT NULL REFERENCES resources.resources (id) ON DELETE CASCADE,
    skill_id     integer NOT NULL REFERENCES resources.skills (id),
    proficiency  smallint NOT NULL DEFAULT 3 CHECK (proficiency BETWEEN 1 AND 5),   -- 3 = standard speed
    PRIMARY KEY (resource_id, skill_id)
);

-- Weekly working hours in the resource's time zone (several rows per weekday make a split shift).
CREATE TABLE resources.working_hours (
    id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource_id  integer NOT NULL REFERENCES resources.resources (id) ON DELETE CASCADE,
    weekday      smallint NOT NULL CHECK (weekday BETWEEN 0 AND 6),    -- ISO: 0 = Monday
    start_time   time NOT NULL,
    end_time     time NOT NULL CHECK (end_time > start_time),
    break_minutes smallint NOT NULL DEFAULT 0 CHECK (break_minutes BETWEEN 0 AND 240)
);
CREATE INDEX working_hours_resource_idx ON resources.working_hours (resource_id, weekday);

CREATE TABLE resources.time_off (
    id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource_id  integer NOT NULL REFERENCES resources.resources (id) ON DELETE CASCADE,
    start_at     timestamptz NOT NULL,
    end_at       timestamptz NOT NULL CHECK (end_at > start_at),
    reason       text NOT NULL DEFAULT ''
);
CREATE INDEX time_off_resource_idx ON resources.time_off (resource_id, start_at);

SELECT audit.track('resources.territories');
SELECT audit.track('crm.accounts');
SELECT audit.track('crm.contacts');
SELECT audit.track('crm.locations');
SELECT audit.track('resources.skills');
SELECT audit.track('resources.resources');
SELECT audit.track('resources.resource_skills');
SELECT audit.track('resources.working_hours');
SELECT audit.track('resources.time_off');
