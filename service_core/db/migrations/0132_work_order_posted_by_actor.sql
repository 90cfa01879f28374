-- Who posted a work order, named as the audit trail and `created_by` name callers: `user:7` or `api_key:3`.
-- `posted_by` (a user id) stays for the users it can name; an integration posting with an API key left it NULL.
ALTER TABLE work.work_orders ADD COLUMN posted_by_actor text;
UPDATE work.work_orders SET posted_by_actor = 'user:' || posted_by WHERE posted_by IS NOT NULL;
