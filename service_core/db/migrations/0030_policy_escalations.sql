-- Escalations that fired: one row per work order and rule, recorded once even when two runs overlap.
-- Recording is the action: the list is the notification feed (GET /policies/escalations).
CREATE TABLE policy.escalations (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    work_order_id  bigint NOT NULL REFERENCES work.work_orders (id) ON DELETE CASCADE,
    rule_id        integer REFERENCES policy.escalation_rules (id) ON DELETE SET NULL,
    target         text NOT NULL CHECK (target IN ('response', 'resolution')),
    fired_at       timestamptz NOT NULL,
    action         text NOT NULL CHECK (action IN ('notify', 'raise_priority', 'reassign')),
    notify_role    text CHECK (notify_role IN ('admin', 'dispatcher', 'technician', 'finance', 'viewer')),
    UNIQUE (work_order_id, rule_id)
);
CREATE INDEX escalations_fired_idx ON policy.escalations (fired_at, id);

SELECT audit.track('policy.escalations');
