-- A business-hours calendar as one row (time zone, 24x7 flag, opening intervals as parallel arrays of weekday and
-- start/end minute of the local day, holidays), so the SLA arithmetic gets it in one read: the policies domain
-- reads it on its own, and the work-order intake embeds it in the statement that reads a new order's SLA target.
CREATE FUNCTION policy.calendar_of(calendar integer)
RETURNS TABLE (timezone text, always_open boolean, weekdays smallint[], start_minutes integer[],
               end_minutes integer[], holidays date[])
LANGUAGE sql STABLE AS $$
    SELECT c.timezone, c.always_open,
           coalesce(h.weekdays, '{}'), coalesce(h.starts, '{}'), coalesce(h.ends, '{}'),
           coalesce((SELECT array_agg(d.day ORDER BY d.day) FROM policy.holidays d WHERE d.calendar_id = c.id), '{}')
    FROM policy.calendars c
    LEFT JOIN LATERAL (
        SELECT array_agg(weekday ORDER BY weekday, start_time) AS weekdays,
               array_agg(extract(epoch FROM start_time)::int / 60 ORDER BY weekday, start_time) AS starts,
               array_agg(extract(epoch FROM end_time)::int / 60 ORDER BY weekday, start_time) AS ends
        FROM policy.calendar_hours WHERE calendar_id = c.id
    ) AS h ON true
    WHERE c.id = calendar
$$;
