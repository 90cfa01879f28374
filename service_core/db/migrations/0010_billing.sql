-- Billing: invoices and credit notes numbered without gaps per series, immutable once issued; payments,
-- their allocation to invoices, refunds and reversals; receivables: dunning, promises to pay, disputes.
CREATE SCHEMA IF NOT EXISTS billing;

-- Gapless numbering: the next number is taken with UPDATE ... RETURNING inside the issuing transaction, so a
-- rolled-back issue gives its number back and two issuers queue on the row lock.
CREATE TABLE billing.series (
    code         text PRIMARY KEY CHECK (code ~ '^[A-Z]{2,8}$'),      -- 'INV', 'CN', 'LSE', 'AGR', 'FEE'
    description  text NOT NULL DEFAULT '',
    next_number  integer NOT NULL DEFAULT 1 CHECK (next_number >= 1)
);
INSERT INTO billing.series (code, description) VALUES
    ('INV', 'invoices for posted work'),
    ('LSE', 'lease invoices'),
    ('AGR', 'agreement fees'),
    ('FEE', 'dunning fees and interest'),
    ('CN', 'credit notes');

CREATE TABLE billing.invoices (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind                text NOT NULL DEFAULT 'invoice' CHECK (kind IN ('invoice', 'credit_note')),
    status              text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'issued', 'discarded')),
    series              text NOT NULL REFERENCES billing.series (code),
    number              integer,                                   -- set when issued
    invoice_number      text UNIQUE,                               -- e.g. 'INV-000042', set when issued
    account_id          integer NOT NULL REFERENCES crm.accounts (id),      -- the billing account
    currency            char(3) NOT NULL,
    issue_date          date,
    due_date            date,
    subtotal            numeric(14, 2) NOT NULL DEFAULT 0,
    tax_total           numeric(14, 2) NOT NULL DEFAULT 0,
    total               numeric(14, 2) NOT NULL DEFAULT 0,
    work_order_id       bigint REFERENCES work.work_orders (id),
    lease_id            integer REFERENCES assets.leases (id),
    agreement_id        integer REFERENCES agreements.agreements (id),
    period_start        date,
    period_end          date,
    credits_invoice_id  bigint REFERENCES billing.invoices (id),   -- a credit note: the invoice it corrects
    reason              text NOT NULL DEFAULT '',
    created_at          timestamptz NOT NULL DEFAULT now(),
    issued_at           timestamptz,
    issued_by           text,
    UNIQUE (series, number),
    CHECK ((status = 'issued') = (number IS NOT NULL AND issue_date IS NOT NULL AND due_date IS NOT NULL)),
    CHECK ((kind = 'credit_note') = (credits_invoice_id IS NOT NULL))
);
CREATE INDEX invoices_account_idx ON billing.invoices (account_id, due_date);
CREATE INDEX invoices_issue_idx ON billing.invoices (issue_date);
-- Posted work is invoiced once; a lease or agreement period is invoiced once.
CREATE UNIQUE INDEX invoices_work_order_once_idx ON billing.invoices (work_order_id)
    WHERE work_order_id IS NOT NULL AND kind = 'invoice' AND status <> 'discarded';
CREATE UNIQUE INDEX invoices_lease_period_once_idx ON billing.invoices (lease_id, period_start)
    WHERE lease_id IS NOT NULL AND kind = 'invoice' AND status <> 'discarded';
CREATE UNIQUE INDEX invoices_agreement_period_once_idx ON billing.invoices (agreement_id, period_start)
    WHERE agreement_id IS NOT NULL AND kind = 'invoice' AND status <> 'discarded';

CREATE TABLE billing.invoice_lines (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id          bigint NOT NULL REFERENCES billing.invoices (id) ON DELETE CASCADE,
    position            smallint NOT NULL,
    description         text NOT NULL,
    kind                text NOT NULL CHECK (kind IN ('product', 'labour', 'travel', 'service', 'lease', 'agreement_fee',
                                                      'minimum_charge', 'dunning_fee', 'interest', 'credit')),
    quantity            numeric(12, 3) NOT NULL,
    unit_price          numeric(12, 2) NOT NULL,
    discount_pct        numeric(5, 2) NOT NULL DEFAULT 0,
    amount              numeric(14, 2) NOT NULL,        -- quantity × unit price less discount, rounded
    tax_rate            numeric(6, 4) NOT NULL DEFAULT 0,
    tax_amount          numeric(14, 2) NOT NULL DEFAULT 0,
    covered             boolean NOT NULL DEFAULT false, -- billed at zero under an agreement or warranty
    coverage_reason     text,
    work_order_line_id  bigint REFERENCES work.lines (id),
    UNIQUE (invoice_id, position)
);

-- An issued invoice is never edited: only credited.  A draft may change or be discarded.
CREATE FUNCTION billing.refuse_issued_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    inv_id bigint;
    inv_status text;
BEGIN
    IF TG_TABLE_NAME = 'invoices' THEN
        IF OLD.status = 'issued' THEN
            RAISE EXCEPTION 'invoice % is issued: it can only be credited, not changed', OLD.invoice_number
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    inv_id := CASE WHEN TG_OP = 'DELETE' THEN OLD.invoice_id ELSE NEW.invoice_id END;
    SELECT status INTO inv_status FROM billing.invoices WHERE id = inv_id;
    IF inv_status = 'issued' THEN
        RAISE EXCEPTION 'invoice % is issued: its lines can no longer change', inv_id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER invoices_immutable BEFORE UPDATE OR DELETE ON billing.invoices
    FOR EACH ROW EXECUTE FUNCTION billing.refuse_issued_change();
CREATE TRIGGER invoice_lines_immutable BEFORE INSERT OR UPDATE OR DELETE ON billing.invoice_lines
    FOR EACH ROW EXECUTE FUNCTION billing.refuse_issued_change();

ALTER TABLE assets.lease_periods
    ADD CONSTRAINT lease_periods_invoice_fk FOREIGN KEY (invoice_id) REFERENCES billing.invoices (id);

CREATE TABLE billing.payments (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id       integer NOT NULL REFERENCES crm.accounts (id),
    amount           numeric(14, 2) NOT NULL CHECK (amount > 0),
    currency         char(3) NOT NULL,
    received_on      date NOT NULL,
    method           text NOT NULL CHECK (method IN ('bank_transfer', 'card', 'check', 'cash', 'direct_debit', 'other')),
    reference        text NOT NULL DEFAULT '',
    idempotency_key  text UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 200),   -- a retried request: one payment
    status           text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'reversed')),
    reversed_at      timestamptz,
    reversal_reason  text,
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_account_idx ON billing.payments (account_id, received_on);

-- Money applied to an invoice: from a payment, or from a credit note.  A reversal marks allocations reversed.
CREATE TABLE billing.allocations (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id         bigint NOT NULL REFERENCES billing.invoices (id),
    payment_id         bigint REFERENCES billing.payments (id),
    credit_note_id     bigint REFERENCES billing.invoices (id),
    amount             numeric(14, 2) NOT NULL CHECK (amount > 0),
    allocated_at       timestamptz NOT NULL DEFAULT now(),
    allocated_by       text NOT NULL,
    reversed_at        timestamptz,
    CHECK ((payment_id IS NULL) <> (credit_note_id IS NULL))
);
CREATE INDEX allocations_invoice_idx ON billing.allocations (invoice_id) WHERE reversed_at IS NULL;
CREATE INDEX allocations_payment_idx ON billing.allocations (payment_id) WHERE payment_id IS NOT NULL;
CREATE INDEX allocations_credit_note_idx ON billing.allocations (credit_note_id) WHERE credit_note_id IS NOT NULL;

CREATE TABLE billing.refunds (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payment_id   bigint REFERENCES billing.payments (id),        -- unapplied cash of a payment, or
    credit_note_id bigint REFERENCES billing.invoices (id),      -- an unapplied credit note
    amount       numeric(14, 2) NOT NULL CHECK (amount > 0),
    refunded_on  date NOT NULL,
    reason       text NOT NULL DEFAULT '',
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((payment_id IS NULL) <> (credit_note_id IS NULL))
);

-- Dunning levels: at days_overdue, send a reminder, charge a fee, and/or charge interest.
CREATE TABLE billing.dunning_levels (
    level              smallint PRIMARY KEY CHECK (level BETWEEN 1 AND 9),
    days_overdue       integer NOT NULL UNIQUE CHECK (days_overdue >= 1),
    name               text NOT NULL,
    fee                numeric(12, 2) NOT NULL DEFAULT 0 CHECK (fee >= 0),
    annual_interest_pct numeric(6, 3) NOT NULL DEFAULT 0 CHECK (annual_interest_pct >= 0),
    places_credit_hold boolean NOT NULL DEFAULT false
);
INSERT INTO billing.dunning_levels (level, days_overdue, name, fee, annual_interest_pct, places_credit_hold) VALUES
    (1, 7, 'friendly reminder', 0, 0, false),
    (2, 30, 'second notice with fee', 25.00, 0, false),
    (3, 60, 'final notice with interest', 50.00, 8.000, true);

CREATE TABLE billing.dunning_notices (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id      bigint NOT NULL REFERENCES billing.invoices (id),
    level           smallint NOT NULL REFERENCES billing.dunning_levels (level),
    sent_at         timestamptz NOT NULL DEFAULT now(),
    balance         numeric(14, 2) NOT NULL,
    fee_invoice_id  bigint REFERENCES billing.invoices (id),
    UNIQUE (invoice_id, level)                   -- each level once per invoice, also with two dunning runs
);

CREATE TABLE billing.promises_to_pay (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id     bigint NOT NULL REFERENCES billing.invoices (id),
    promised_date  date NOT NULL,
    amount         numeric(14, 2) NOT NULL CHECK (amount > 0),
    status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'kept', 'broken')),
    notes          text NOT NULL DEFAULT '',
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE billing.disputes (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id    bigint NOT NULL REFERENCES billing.invoices (id),
    reason        text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    opened_at     timestamptz NOT NULL DEFAULT now(),
    opened_by     text NOT NULL,
    resolved_at   timestamptz,
    resolution    text
);
CREATE UNIQUE INDEX disputes_one_open_idx ON billing.disputes (invoice_id) WHERE resolved_at IS NULL;

SELECT audit.track('billing.invoices');
SELECT audit.track('billing.invoice_lines');
SELECT audit.track('billing.payments');
SELECT audit.track('billing.allocations');
SELECT audit.track('billing.refunds');
SELECT audit.track('billing.dunning_levels');
SELECT audit.track('billing.dunning_notices');
SELECT audit.track('billing.promises_to_pay');
SELECT audit.track('billing.disputes');
