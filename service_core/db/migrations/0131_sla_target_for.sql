-- The SLA target that work of a priority under an agreement gets: the agreement's own target for that priority,
-- else the default one (no agreement); its calendar is the target's, else the agreement's, else none (24x7).
-- One definition, used by the policies domain and embedded by the work-order intake in the statement that reads
-- the rest of a new order's context (a round trip saved on the hottest write).  A plain SQL function: inlined.
CREATE FUNCTION policy.sla_target_for(agreement integer, work_priority text)
RETURNS TABLE (target_id integer, response_minutes integer, resolution_minutes integer,
               warning_fraction numeric, calendar_id integer)
LANGUAGE sql STABLE AS $$
    SELECT t.id, t.response_minutes, t.resolution_minutes, t.warning_fraction, coalesce(t.calendar_id, a.calendar_id)
    FROM policy.sla_targets t
    LEFT JOIN agreements.agreements a ON a.id = agreement
    WHERE t.priority = work_priority AND (t.agreement_id = agreement OR t.agreement_id IS NULL)
    ORDER BY t.agreement_id NULLS LAST
    LIMIT 1
$$;
