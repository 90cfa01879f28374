"""The small error hierarchy of AssetPulse; the API and the CLI map these to answers in one place each."""

from __future__ import annotations


class AssetPulseError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigurationError(AssetPulseError):
    """Settings are missing or contradict each other."""


class NotFound(AssetPulseError):
    """The thing asked for does not exist."""


class Conflict(AssetPulseError):
    """The request contradicts what is already stored."""


class InvalidInput(AssetPulseError):
    """The request is malformed or out of range."""


class MigrationError(AssetPulseError):
    """A schema migration could not be applied."""


class ServiceUnavailable(AssetPulseError):
    """A dependency (database, broker) cannot be reached."""


class NotAuthenticated(AssetPulseError):
    """No credentials, or credentials that do not identify an active user or key (HTTP 401)."""


class PermissionDenied(AssetPulseError):
    """The caller is known but their role may not do this (HTTP 403)."""


class InvalidTransition(Conflict):
    """A state machine refuses the step asked for (a work order, booking, invoice or lease) (HTTP 409)."""


class CreditHold(Conflict):
    """The account is on credit hold and may not get what was asked for (HTTP 409)."""
