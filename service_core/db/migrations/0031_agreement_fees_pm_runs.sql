-- Agreement fees: one row per billing period, generated when the agreement is activated; `invoice_id` is set
-- when billing has invoiced it.  Preventive-maintenance runs: one row per plan, asset and due date (or meter
-- threshold), claimed before its work order is created, so two generators never create the same order twice.
CREATE TABLE agreements.fee_periods (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agreement_id  integer NOT NULL REFERENCES agreements.agreements (id) ON DELETE CASCADE,
    period_start  date NOT NULL,
    period_end    date NOT NULL CHECK (period_end > period_start),   -- exclusive
    due_date      date NOT NULL,
    amount        numeric(14, 2) NOT NULL CHECK (amount >= 0),
    invoice_id    bigint,
    UNIQUE (agreement_id, period_start)
);
CREATE INDEX fee_periods_due_idx ON agreements.fee_periods (due_date, id) WHERE invoice_id IS NULL;

CREATE TABLE agreements.pm_runs (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pm_plan_id       integer NOT NULL REFERENCES agreements.pm_plans (id) ON DELETE CASCADE,
    asset_id         bigint NOT NULL REFERENCES assets.assets (id),
    due_date         date NOT NULL,
    meter_threshold  numeric(12, 1),
    work_order_id    bigint REFERENCES work.work_orders (id) ON DELETE SET NULL,
    generated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (pm_plan_id, asset_id, due_date),
    UNIQUE (pm_plan_id, asset_id, meter_threshold)
);

SELECT audit.track('agreements.fee_periods');
SELECT audit.track('agreements.pm_runs');
