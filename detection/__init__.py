"""Anomaly detection, conditions and remaining useful life (issue 4)."""
