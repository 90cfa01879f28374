#!/bin/sh
# The test suite starts its own Mosquitto (on a free port, with queue limits fit for a persistent ingest
# session) when the binary is installed.  Install it from Debian when it is missing and we may.
set -eu
if [ -n "${ASSETPULSE_TEST_MQTT_URL:-}" ] || command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing mosquitto (apt-get)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q mosquitto >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q mosquitto >/dev/null; }
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo -n apt-get install -y -q mosquitto >/dev/null
else
  echo "warning: mosquitto is not installed and cannot be installed here; MQTT tests will be skipped" >&2
  echo "         (apt-get install mosquitto, or set ASSETPULSE_TEST_MQTT_URL)" >&2
fi
