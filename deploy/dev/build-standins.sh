#!/bin/sh
# STAND-IN base images for verifying deploy/ on a machine that has a container engine but no image registry.
# They are NOT the official images and must never be pushed or deployed: they only let `docker build -f
# deploy/Dockerfile` and deploy/compose.yaml run offline.  Built from Debian bookworm packages:
#   debian:bookworm                    debootstrap --variant=minbase, imported with `docker import`
#   python:3.11-slim                   Debian python3.11 in a venv on PATH            (standins/python)
#   eclipse-mosquitto:2.0              Debian mosquitto 2.0.x, official image layout  (standins/mosquitto)
#   timescale/timescaledb:2.17.2-pg16  Debian PostgreSQL 15, NO TimescaleDB            (standins/postgres)
# Each tag is skipped when an image of that name already exists (set FORCE=1 to rebuild), so on a machine that
# can pull the real images this script changes nothing that matters.  Needs root, docker, debootstrap.
# Usage (from anywhere):  sh deploy/dev/build-standins.sh
# Then run the stack with the override that selects ASSETPULSE_TIMESCALE=auto and avoids host ports:
#   docker-compose -p assetpulse -f deploy/compose.yaml -f deploy/dev/compose.standins.yaml --env-file deploy/.env up -d
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
FORCE=${FORCE:-0}

have() { [ "$FORCE" != 1 ] && docker image inspect "$1" >/dev/null 2>&1; }

if ! have debian:bookworm; then
  rootfs=$(mktemp -d /tmp/standin-rootfs.XXXXXX)
  echo "debootstrap bookworm (minbase) into $rootfs" >&2
  nice -n 10 debootstrap --variant=minbase bookworm "$rootfs" "$mirror"
  # the same apt sources a debian:bookworm image has
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb http://deb.debian.org/debian-security bookworm-security main\n' \
    "$mirror" "$mirror" > "$rootfs/etc/apt/sources.list"
  # as the official image: no recommends, no caches of docs are required here; keep apt quiet in builds
  printf 'APT::Install-Recommends "false";\n' > "$rootfs/etc/apt/apt.conf.d/90standin"
  rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"* || true
  tar -C "$rootfs" -c . | docker import -c 'CMD ["bash"]' -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - debian:bookworm
  rm -rf "$rootfs"
fi

build() {  # tag dir
  if have "$1"; then echo "$1 exists, skipped" >&2; return; fi
  ctx=$(mktemp -d /tmp/standin-ctx.XXXXXX)
  cp -r "$here/standins/$2/." "$ctx/"
  mkdir -p "$ctx/certs"
  # this machine's extra CA certificates (a TLS-intercepting egress proxy, say), so pip/apt inside builds work
  for c in /usr/local/share/ca-certificates/*.crt; do [ -f "$c" ] && cp "$c" "$ctx/certs/"; done
  nice -n 10 docker build --label org.assetpulse.standin=true -t "$1" "$ctx"
  rm -rf "$ctx"
}
build python:3.11-slim python
build eclipse-mosquitto:2.0 mosquitto
build timescale/timescaledb:2.17.2-pg16 postgres
docker image ls --filter label=org.assetpulse.standin=true
