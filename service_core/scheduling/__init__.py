"""Scheduling: building technicians' routes.  `routing/` holds the time-window routing core (instances, an
independent checker, the solver adapter, a baseline), `fieldservice/` the field-service optimizer built on it
(skills, territories, bookings, breaks, re-planning, explanations) and `bench` measures both."""
