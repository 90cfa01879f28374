"""The HTTP API: composition (`app`), dependencies (`deps`), the error mapping (`errors`), settings."""
