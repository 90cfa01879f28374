"""The benchmark's one error: something kept it from measuring (a dependency, a child process, a timeout)."""

from __future__ import annotations

from service_core.exceptions import AssetPulseError


class BenchFailed(AssetPulseError):
    """The benchmark could not complete a phase; the message says which and why."""
