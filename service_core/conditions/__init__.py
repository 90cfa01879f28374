"""conditions domain: what detection found wrong with an asset, and the work it opens."""
