-- An invoice line that bills a lease charge names it, as a work line names its work-order line: when a lease is
-- bought out or terminated, billing credits exactly the rent lines invoiced for the days after it ended.
ALTER TABLE billing.invoice_lines ADD COLUMN lease_period_id integer REFERENCES assets.lease_periods (id);
CREATE INDEX invoice_lines_lease_period_idx ON billing.invoice_lines (lease_period_id)
    WHERE lease_period_id IS NOT NULL;

-- Lines invoiced before this migration are found by what periodic invoicing wrote on them:
-- 'lease <number>: <kind> <period start> to <period end>' on the invoice the charge is marked with.
ALTER TABLE billing.invoice_lines DISABLE TRIGGER invoice_lines_immutable;
UPDATE billing.invoice_lines line
SET lease_period_id = p.id
FROM assets.lease_periods p JOIN assets.leases l ON l.id = p.lease_id
WHERE p.invoice_id = line.invoice_id
  AND line.kind = 'lease'
  AND line.credits_line_id IS NULL
  AND line.description = format('lease %s: %s %s to %s', l.number, replace(p.kind, '_', ' '),
                                to_char(p.period_start, 'YYYY-MM-DD'), to_char(p.period_end, 'YYYY-MM-DD'));
ALTER TABLE billing.invoice_lines ENABLE TRIGGER invoice_lines_immutable;
