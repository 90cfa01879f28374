"""agreements domain."""
