-- The catalogue (products, service items, price lists), incident types (templates of work), preventive-maintenance
-- plans, work orders with their lines, tasks, time entries and attachments, the SLA clock, and bookings.
CREATE SCHEMA IF NOT EXISTS catalog;
CREATE SCHEMA IF NOT EXISTS work;

-- What can be put on a work order line: a product (a part) or a service (labour, travel, a fixed-price job).
CREATE TABLE catalog.items (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku         text NOT NULL UNIQUE CHECK (sku ~ '^[A-Za-z0-9_.-]{1,64}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind        text NOT NULL CHECK (kind IN ('product', 'labour', 'travel', 'service')),
    unit        text NOT NULL DEFAULT 'each' CHECK (unit IN ('each', 'hour', 'km', 'litre', 'metre', 'kg')),
    unit_cost   numeric(12, 2) NOT NULL DEFAULT 0 CHECK (unit_cost >= 0),
    unit_price  numeric(12, 2) NOT NULL DEFAULT 0 CHECK (unit_price >= 0),      -- list price
    is_active   boolean NOT NULL DEFAULT true
);

CREATE TABLE catalog.price_lists (
    id              integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    currency        char(3) NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    minimum_charge  numeric(12, 2) NOT NULL DEFAULT 0 CHECK (minimum_charge >= 0),   -- per invoiced work order
    is_default      boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX price_lists_one_default_idx ON catalog.price_lists (is_default) WHERE is_default;

CREATE TABLE catalog.price_list_items (
    price_list_id  integer NOT NULL REFERENCES catalog.price_lists (id) ON DELETE CASCADE,
    item_id        integer NOT NULL REFERENCES catalog.items (id),
    unit_price     numeric(12, 2) NOT NULL CHECK (unit_price >= 0),
    PRIMARY KEY (price_list_id, item_id)
);

ALTER TABLE agreements.agreements
    ADD CONSTRAINT agreements_price_list_fk FOREIGN KEY (price_list_id) REFERENCES catalog.price_lists (id);
ALTER TABLE crm.accounts ADD COLUMN price_list_id integer REFERENCES catalog.price_lists (id);

CREATE TABLE work.incident_types (
    id                  integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code                text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9_-]{1,64}$'),
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    work_type           text NOT NULL
                        CHECK (work_type IN ('maintenance', 'repair', 'installation', 'inspection', 'sensor_check')),
    estimated_minutes   integer NOT NULL DEFAULT 60 CHECK (estimated_minutes BETWEEN 1 AND 10080),
    default_priority    text NOT NULL DEFAULT 'normal' CHECK (default_priority IN ('emergency', 'high', 'normal', 'low'))
);

CREATE TABLE work.incident_type_skills (
    incident_type_id  integer NOT NULL REFERENCES work.incident_types (id) ON DELETE CASCADE,
    skill_id          integer NOT NULL REFERENCES resources.skills (id),
    min_proficiency   smallint NOT NULL DEFAULT 1 CHECK (min_proficiency BETWEEN 1 AND 5),
    PRIMARY KEY (incident_type_id, skill_id)
);

CREATE TABLE work.incident_type_tasks (
    id                integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_type_id  integer NOT NULL REFERENCES work.incident_types (id) ON DELETE CASCADE,
    position          smallint NOT NULL,
    description       text NOT NULL CHECK (length(description) BETWEEN 1 AND 500),
    UNIQUE (incident_type_id, position)
);

CREATE TABLE work.incident_type_items (
    incident_type_id  integer NOT NULL REFERENCES work.incident_types (id) ON DELETE CASCADE,
    item_id           integer NOT NULL REFERENCES catalog.items (id),
    quantity          numeric(12, 3) NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (incident_type_id, item_id)
);

-- Preventive maintenance: every interval_days (calendar) or every interval_run_hours (meter) an agreement's
-- assets get a work order of this incident type, generated lead_days ahead of the due date.
CREATE TABLE agreements.pm_plans (
    id                  integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agreement_id        integer NOT NULL REFERENCES agreements.agreements (id) ON DELETE CASCADE,
    asset_id            bigint REFERENCES assets.assets (id),      -- NULL: every asset the agreement covers
    incident_type_id    integer NOT NULL REFERENCES work.incident_types (id),
    basis               text NOT NULL CHECK (basis IN ('calendar', 'meter')),
    interval_days       integer CHECK (interval_days > 0),
    interval_run_hours  numeric(10, 1) CHECK (interval_run_hours > 0),
    lead_days           integer NOT NULL DEFAULT 7 CHECK (lead_days >= 0),
    first_due_date      date,
    is_active           boolean NOT NULL DEFAULT true,
    CHECK ((basis = 'calendar' AND interval_days IS NOT NULL) OR (basis = 'meter' AND interval_run_hours IS NOT NULL))
);

CREATE SEQUENCE work.work_order_number_seq;

CREATE TABLE work.work_orders (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number              text NOT NULL UNIQUE DEFAULT 'WO-' || lpad(nextval('work.work_order_number_seq')::text, 7, '0'),
    account_id          integer NOT NULL REFERENCES crm.accounts (id),         -- service account
    billing_account_id  integer NOT NULL REFERENCES crm.accounts (id),
    location_id         integer REFERENCES crm.locations (id),
    asset_id            bigint REFERENCES assets.assets (id),
    incident_type_id    integer REFERENCES work.incident_types (id),
    work_type           text NOT NULL
                        CHECK (work_type IN ('maintenance', 'repair', 'installation', 'inspection', 'sensor_check')),
    priority            text NOT NULL DEFAULT 'normal' CHECK (priority IN ('emergency', 'high', 'normal', 'low')),
    source              text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'agreement', 'iot_condition', 'follow_up')),
    status              text NOT NULL DEFAULT 'unscheduled'
                        CHECK (status IN ('unscheduled', 'scheduled', 'in_progress', 'completed', 'posted', 'canceled')),
    summary             text NOT NULL CHECK (length(summary) BETWEEN 1 AND 300),
    description         text NOT NULL DEFAULT '',
    agreement_id        integer REFERENCES agreements.agreements (id),
    pm_plan_id          integer REFERENCES agreements.pm_plans (id),
    pm_due_date         date,
    parent_id           bigint REFERENCES work.work_orders (id),                -- the job this follows up
    condition_id        bigint,                                                  -- the IoT condition that opened it
    estimated_minutes   integer NOT NULL DEFAULT 60 CHECK (estimated_minutes BETWEEN 1 AND 10080),
    window_start        timestamptz,                                             -- promised arrival window
    window_end          timestamptz,
    sla_target_id       integer REFERENCES policy.sla_targets (id),
    response_due_at     timestamptz,       -- as computed when opened; the live clock is in work.sla_events
    resolution_due_at   timestamptz,
    responded_at        timestamptz,       -- first booking started (traveling or in progress)
    completed_at        timestamptz,
    posted_at           timestamptz,
    posted_by           integer REFERENCES auth.users (id),
    canceled_at         timestamptz,
    cancel_reason       text,
    resolution_code     text CHECK (resolution_code IN ('fixed', 'fault_confirmed', 'no_fault_found', 'partial', 'not_fixed')),
    resolution_notes    text NOT NULL DEFAULT '',
    created_by          text NOT NULL DEFAULT 'system',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    version             integer NOT NULL DEFAULT 1,                              -- optimistic concurrency
    CHECK (window_end IS NULL OR window_start IS NULL OR window_end > window_start)
);
CREATE INDEX work_orders_status_idx ON work.work_orders (status, priority, id);
CREATE INDEX work_orders_account_idx ON work.work_orders (account_id, id);
CREATE INDEX work_orders_billing_idx ON work.work_orders (billing_account_id, id);
CREATE INDEX work_orders_asset_idx ON work.work_orders (asset_id, id);
CREATE INDEX work_orders_created_idx ON work.work_orders (created_at, id);
CREATE INDEX work_orders_parent_idx ON work.work_orders (parent_id) WHERE parent_id IS NOT NULL;
-- A plan generates one work order per asset and due date, also when two generators run at once.
CREATE UNIQUE INDEX work_orders_pm_once_idx ON work.work_orders (pm_plan_id, asset_id, pm_due_date)
    WHERE pm_plan_id IS NOT NULL;

CREATE TABLE work.work_order_skills (
    work_order_id    bigint NOT NULL REFERENCES work.work_orders (id) ON DELETE CASCADE,
    skill_id         integer NOT NULL REFERENCES resources.skills (id),
    min_proficiency  smallint NOT NULL DEFAULT 1 CHECK (min_proficiency BETWEEN 1 AND 5),
    PRIMARY KEY (work_order_id, skill_id)
);

CREATE TABLE work.work_order_preferences (
    work_order_id  bigint NOT NULL REFERENCES work.work_orders (id) ON DELETE CASCADE,
    resource_id    integer NOT NULL REFERENCES resources.resources (id),
    preference     text NOT NULL CHECK (preference IN ('preferred', 'excluded')),
    PRIMARY KEY (work_order_id, resource_id)
);

-- The SLA clock as events: it starts when the order opens, pauses (waiting on customer or parts), resumes, stops.
CREATE TABLE work.sla_events (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    work_order_id  bigint NOT NULL REFERENCES work.work_orders (id) ON DELETE CASCADE,
    at             timestamptz NOT NULL,
    event          text NOT NULL CHECK (event IN ('start', 'pause', 'resume', 'stop')),
    reason         text CHECK (reason IN ('waiting_on_customer', 'waiting_on_parts', 'other'))
);
CREATE INDEX sla_events_order_idx ON work.sla_events (work_order_id, at, id);

CREATE TABLE work.lines (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    work_order_id     bigint NOT NULL REFERENCES work.work_orders (id) ON DELETE CASCADE,
    item_id           integer REFERENCES catalog.items (id),
    kind              text NOT NULL CHECK (kind IN ('product', 'labour', 'travel', 'service')),
    description       text NOT NULL CHECK (length(description) BETWEEN 1 AND 300),
    line_status       text NOT NULL DEFAULT 'estimated' CHECK (line_status IN ('estimated', 'used')),
    quantity          numeric(12, 3) NOT NULL CHECK (quantity > 0),
    quantity_to_bill  numeric(12, 3) NOT NULL CHECK (quantity_to_bill >= 0),
    unit_price        numeric(12, 2) CHECK (unit_price >= 0),      -- NULL: from the agreement or price list
    unit_cost         numeric(12, 2) NOT NULL DEFAULT 0 CHECK (unit_cost >= 0),
    resource_id       integer REFERENCES resources.resources (id),
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lines_order_idx ON work.lines (work_order_id);

CREATE TABLE work.tasks (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    work_order_id  bigint NOT NULL REFERENCES work.work_orders (id) ON DELETE CASCADE,
    position       smallint NOT NULL,
    description    text NOT NULL CHECK (length(description) BETWEEN 1 AND 500),
    result         text NOT NULL DEFAULT 'pending' CHECK (result IN ('pending', 'pass', 'fail', 'not_applicable')),
    notes          text NOT NULL DEFAULT '',
    done_at        timestamptz,
    done_by        integer REFERENCES resources.resources (id),
    UNIQUE (work_order_id, position)
);

CREATE TABLE work.attachments (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    work_order_id  bigint NOT NULL REFERENCES work.work_orders (id) ON DELETE CASCADE,
    url            text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2000),
    title          text NOT NULL DEFAULT '',
    added_by       text NOT NULL,
    added_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE work.bookings (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    work_order_id    bigint NOT NULL REFERENCES work.work_orders (id),
    resource_id      integer NOT NULL REFERENCES resources.resources (id),
    start_at         timestamptz NOT NULL,
    end_at           timestamptz NOT NULL CHECK (end_at > start_at),
    status           text NOT NULL DEFAULT 'scheduled'
                     CHECK (status IN ('scheduled', 'traveling', 'in_progress', 'completed', 'canceled')),
    locked           boolean NOT NULL DEFAULT false,        -- the optimizer may not move it
    travel_minutes   integer NOT NULL DEFAULT 0 CHECK (travel_minutes >= 0),
    explanation      jsonb,                                   -- why this resource (automatic assignment)
    assigned_by      text NOT NULL DEFAULT 'manual',          -- 'manual', 'auto', 'optimizer'
    status_changed_at timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- Two dispatchers cannot book one resource twice for the same time: the database refuses the second.
    CONSTRAINT bookings_no_overlap EXCLUDE USING gist (
        int4range(resource_id, resource_id, '[]') WITH &&,
        tstzrange(start_at, end_at) WITH &&
    ) WHERE (status <> 'canceled')
);
CREATE INDEX bookings_order_idx ON work.bookings (work_order_id);
CREATE INDEX bookings_resource_idx ON work.bookings (resource_id, start_at);

CREATE TABLE work.time_entries (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    work_order_id  bigint NOT NULL REFERENCES work.work_orders (id) ON DELETE CASCADE,
    booking_id     bigint REFERENCES work.bookings (id),
    resource_id    integer NOT NULL REFERENCES resources.resources (id),
    kind           text NOT NULL DEFAULT 'work' CHECK (kind IN ('work', 'travel', 'break')),
    started_at     timestamptz NOT NULL,
    ended_at       timestamptz NOT NULL CHECK (ended_at > started_at),
    notes          text NOT NULL DEFAULT ''
);
CREATE INDEX time_entries_order_idx ON work.time_entries (work_order_id);
CREATE INDEX time_entries_resource_idx ON work.time_entries (resource_id, started_at);

SELECT audit.track('catalog.items');
SELECT audit.track('catalog.price_lists');
SELECT audit.track('catalog.price_list_items');
SELECT audit.track('work.incident_types');
SELECT audit.track('agreements.pm_plans');
SELECT audit.track('work.work_orders');
SELECT audit.track('work.lines');
SELECT audit.track('work.tasks');
SELECT audit.track('work.attachments');
SELECT audit.track('work.bookings');
SELECT audit.track('work.time_entries');

-- Posting freezes a work order: it (and its lines) can no longer change.
CREATE TRIGGER work_orders_posted_frozen BEFORE UPDATE OR DELETE ON work.work_orders
    FOR EACH ROW WHEN (OLD.status = 'posted') EXECUTE FUNCTION audit.refuse_change('the work order is posted');

CREATE FUNCTION work.refuse_line_change_when_posted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    order_id bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.work_order_id ELSE NEW.work_order_id END;
BEGIN
    IF EXISTS (SELECT 1 FROM work.work_orders WHERE id = order_id AND status = 'posted') THEN
        RAISE EXCEPTION 'work order % is posted: its % can no longer change', order_id, TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER lines_posted_frozen BEFORE INSERT OR UPDATE OR DELETE ON work.lines
    FOR EACH ROW EXECUTE FUNCTION work.refuse_line_change_when_posted();
CREATE TRIGGER tasks_posted_frozen BEFORE INSERT OR UPDATE OR DELETE ON work.tasks
    FOR EACH ROW EXECUTE FUNCTION work.refuse_line_change_when_posted();
CREATE TRIGGER time_entries_posted_frozen BEFORE INSERT OR UPDATE OR DELETE ON work.time_entries
    FOR EACH ROW EXECUTE FUNCTION work.refuse_line_change_when_posted();
