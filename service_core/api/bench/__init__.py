"""`assetpulse bench api`: the work-order endpoints under load from a separate process."""
