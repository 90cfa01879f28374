"""Authentication and authorisation errors (the API maps them to 401 and 403)."""

from __future__ import annotations

from service_core.exceptions import AssetPulseError


class NotAuthenticated(AssetPulseError):
    """No credentials, or credentials that do not identify an active user or key."""


class PermissionDenied(AssetPulseError):
    """The caller is known but their role may not do this."""
