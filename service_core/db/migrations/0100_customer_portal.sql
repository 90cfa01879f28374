-- The customer portal: customer users, and a database role that sees only their accounts' rows.
--
-- auth.users gets the role 'customer' and account_id, the customer account such a user belongs to (required for
-- a customer, forbidden for staff).  API keys stay staff only.
--
-- assetpulse_portal is a NOLOGIN role.  The API switches a customer's transaction to it (SET LOCAL ROLE) and
-- names the accounts the customer may read in the setting `assetpulse.account_scope` ('{3,7}': their account and
-- the accounts it pays for).  It may SELECT only the tables the portal's read routes read, and row-level security
-- shows it only the rows of those accounts: a query that forgets a WHERE cannot leak another customer's data.
-- Every other role keeps seeing everything through the `staff_all` policies (table owners and superusers bypass
-- row-level security anyway; the portal role is neither).
ALTER TABLE auth.users DROP CONSTRAINT users_role_check;
ALTER TABLE auth.users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'dispatcher', 'technician', 'finance', 'viewer', 'customer'));
ALTER TABLE auth.users ADD COLUMN account_id integer REFERENCES crm.accounts (id);
ALTER TABLE auth.users ADD CONSTRAINT users_customer_account_check
    CHECK ((role = 'customer') = (account_id IS NOT NULL));
CREATE INDEX users_account_idx ON auth.users (account_id) WHERE account_id IS NOT NULL;

-- Roles are shared by every database of the server: create it once (two databases migrating at the same time may
-- both try, hence the exception handler).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'assetpulse_portal') THEN
        CREATE ROLE assetpulse_portal NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;
-- A non-superuser owner may SET ROLE only to a role it is a member of.
GRANT assetpulse_portal TO CURRENT_USER;

-- The accounts the current transaction's customer may read; none when the setting is missing.
CREATE FUNCTION auth.portal_accounts() RETURNS integer[] LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('assetpulse.account_scope', true), ''), '{}')::integer[]
$$;

GRANT USAGE ON SCHEMA auth, crm, assets, fleet, work, billing, detection, catalog TO assetpulse_portal;
GRANT EXECUTE ON FUNCTION auth.portal_accounts() TO assetpulse_portal;

-- Reference data without an account: readable as a whole.
GRANT SELECT ON assets.asset_types, catalog.items TO assetpulse_portal;

-- The views of the billing ledger check the caller's rights and row security, not their owner's.
ALTER VIEW billing.invoice_balances SET (security_invoker = true);
ALTER VIEW billing.unapplied_credits SET (security_invoker = true);
GRANT SELECT ON billing.invoice_balances, billing.unapplied_credits TO assetpulse_portal;

-- `scope(table, condition)`: the portal may read the rows of `table` where `condition` holds; everyone else all.
CREATE FUNCTION pg_temp.scope(tbl regclass, portal_condition text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('GRANT SELECT ON %s TO assetpulse_portal', tbl);
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('CREATE POLICY portal_read ON %s FOR SELECT TO assetpulse_portal USING (%s)', tbl, portal_condition);
    EXECUTE format('CREATE POLICY staff_all ON %s FOR ALL TO PUBLIC '
                   'USING (current_user <> ''assetpulse_portal'') WITH CHECK (current_user <> ''assetpulse_portal'')',
                   tbl);
END
$$;

SELECT pg_temp.scope('crm.accounts', 'id = ANY (auth.portal_accounts())');
SELECT pg_temp.scope('crm.contacts', 'account_id = ANY (auth.portal_accounts())');
SELECT pg_temp.scope('crm.locations', 'account_id = ANY (auth.portal_accounts())');

SELECT pg_temp.scope('assets.assets', 'account_id = ANY (auth.portal_accounts())');
SELECT pg_temp.scope('assets.meter_readings',
                     'EXISTS (SELECT FROM assets.assets a WHERE a.id = meter_readings.asset_id)');
SELECT pg_temp.scope('assets.leases', 'account_id = ANY (auth.portal_accounts())');
SELECT pg_temp.scope('assets.lease_periods',
                     'EXISTS (SELECT FROM assets.leases l WHERE l.id = lease_periods.lease_id)');
SELECT pg_temp.scope('fleet.devices', 'EXISTS (SELECT FROM assets.assets a WHERE a.id = devices.asset_id)');
SELECT pg_temp.scope('detection.conditions', 'EXISTS (SELECT FROM assets.assets a WHERE a.id = conditions.asset_id)');

SELECT pg_temp.scope('work.work_orders',
                     'account_id = ANY (auth.portal_accounts()) OR billing_account_id = ANY (auth.portal_accounts())');
SELECT pg_temp.scope('work.lines', 'EXISTS (SELECT FROM work.work_orders w WHERE w.id = lines.work_order_id)');
SELECT pg_temp.scope('work.tasks', 'EXISTS (SELECT FROM work.work_orders w WHERE w.id = tasks.work_order_id)');
SELECT pg_temp.scope('work.time_entries',  -- the review of a work order sums its time by kind
                     'EXISTS (SELECT FROM work.work_orders w WHERE w.id = time_entries.work_order_id)');

SELECT pg_temp.scope('billing.invoices', 'account_id = ANY (auth.portal_accounts())');
SELECT pg_temp.scope('billing.invoice_lines',
                     'EXISTS (SELECT FROM billing.invoices i WHERE i.id = invoice_lines.invoice_id)');
SELECT pg_temp.scope('billing.payments', 'account_id = ANY (auth.portal_accounts())');
SELECT pg_temp.scope('billing.allocations',
                     'EXISTS (SELECT FROM billing.invoices i WHERE i.id = allocations.invoice_id)');
SELECT pg_temp.scope('billing.refunds',
                     'EXISTS (SELECT FROM billing.payments p WHERE p.id = refunds.payment_id) '
                     'OR EXISTS (SELECT FROM billing.invoices i WHERE i.id = refunds.credit_note_id)');
