-- A promise to pay the customer withdraws is 'canceled': it no longer pauses dunning (only 'open' ones do) and is
-- not counted among the account's broken promises.
ALTER TABLE billing.promises_to_pay DROP CONSTRAINT promises_to_pay_status_check;
ALTER TABLE billing.promises_to_pay
    ADD CONSTRAINT promises_to_pay_status_check CHECK (status IN ('open', 'kept', 'broken', 'canceled'));
