-- Billing ledger read side: which invoice line a credit-note line credits, each invoice's balance, and the unapplied
-- credit (payments and credit notes) of every account.
ALTER TABLE billing.invoice_lines ADD COLUMN credits_line_id bigint REFERENCES billing.invoice_lines (id);
CREATE INDEX invoice_lines_credits_idx ON billing.invoice_lines (credits_line_id) WHERE credits_line_id IS NOT NULL;

CREATE INDEX invoices_status_due_idx ON billing.invoices (status, kind, due_date, id);
CREATE INDEX invoices_credits_idx ON billing.invoices (credits_invoice_id) WHERE credits_invoice_id IS NOT NULL;
CREATE INDEX refunds_payment_idx ON billing.refunds (payment_id) WHERE payment_id IS NOT NULL;
CREATE INDEX refunds_credit_note_idx ON billing.refunds (credit_note_id) WHERE credit_note_id IS NOT NULL;
CREATE INDEX promises_invoice_idx ON billing.promises_to_pay (invoice_id, status);

-- Paid (by payments), credited (by credit notes) and open balance of every invoice, from active allocations.
CREATE VIEW billing.invoice_balances AS
SELECT i.id AS invoice_id,
       i.account_id,
       coalesce(sum(a.amount) FILTER (WHERE a.payment_id IS NOT NULL), 0)::numeric(14, 2) AS paid,
       coalesce(sum(a.amount) FILTER (WHERE a.credit_note_id IS NOT NULL), 0)::numeric(14, 2) AS credited,
       (i.total - coalesce(sum(a.amount), 0))::numeric(14, 2) AS balance
FROM billing.invoices i
LEFT JOIN billing.allocations a ON a.invoice_id = i.id AND a.reversed_at IS NULL
GROUP BY i.id;

-- Money an account has paid or been credited that is not applied to an invoice nor refunded.
CREATE VIEW billing.unapplied_credits AS
SELECT 'payment'::text AS source, p.id AS source_id, p.account_id, p.received_on AS dated,
       (p.amount
        - coalesce((SELECT sum(a.amount) FROM billing.allocations a
                    WHERE a.payment_id = p.id AND a.reversed_at IS NULL), 0)
        - coalesce((SELECT sum(r.amount) FROM billing.refunds r WHERE r.payment_id = p.id), 0))::numeric(14, 2)
           AS unapplied
FROM billing.payments p
WHERE p.status = 'received'
UNION ALL
SELECT 'credit_note'::text, i.id, i.account_id, i.issue_date,
       (-i.total
        - coalesce((SELECT sum(a.amount) FROM billing.allocations a
                    WHERE a.credit_note_id = i.id AND a.reversed_at IS NULL), 0)
        - coalesce((SELECT sum(r.amount) FROM billing.refunds r WHERE r.credit_note_id = i.id), 0))::numeric(14, 2)
FROM billing.invoices i
WHERE i.kind = 'credit_note' AND i.status = 'issued';
