"""work_orders domain."""
