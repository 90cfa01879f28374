#!/bin/sh
# As the official eclipse-mosquitto image's entrypoint: own /mosquitto (read-only bind mounts are skipped).
set -e
if [ "$(id -u)" = '0' ]; then
  [ -d /mosquitto ] && chown -R mosquitto:mosquitto /mosquitto 2>/dev/null || true
fi
exec "$@"
