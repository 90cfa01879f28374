"""Periodic jobs of the service core, run by `assetpulse jobs run`."""
