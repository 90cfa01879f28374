"""`assetpulse bench dashboard`: the fleet and asset pages timed in headless Chromium over a seeded database."""
