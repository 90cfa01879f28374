"""receivables domain."""
