"""Users, API keys, roles and access tokens."""
