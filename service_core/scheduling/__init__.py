"""Scheduling: building technicians' routes.  `routing/` holds the time-window routing core (instances, an
independent checker, the solver adapter, a baseline) and `bench` measures it on published instances."""
