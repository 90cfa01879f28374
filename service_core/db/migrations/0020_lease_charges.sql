-- A lease's schedule holds every charge it bills, not only rent: the deposit due at the start, the buy-out
-- price and an early-termination fee.  Several kinds may fall on the same day, so the key includes the kind.
ALTER TABLE assets.lease_periods
    ADD COLUMN kind text NOT NULL DEFAULT 'rent' CHECK (kind IN ('rent', 'deposit', 'buyout', 'termination_fee'));
ALTER TABLE assets.lease_periods DROP CONSTRAINT lease_periods_lease_id_period_start_key;
ALTER TABLE assets.lease_periods ADD CONSTRAINT lease_periods_once UNIQUE (lease_id, kind, period_start);
-- Billing asks for the charges due and not yet invoiced.
CREATE INDEX lease_periods_due_idx ON assets.lease_periods (due_date) WHERE invoice_id IS NULL;
