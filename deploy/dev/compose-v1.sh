#!/bin/sh
# Run deploy/compose.yaml with Debian's docker-compose 1.29 against the stand-in images (build-standins.sh).
# Compose 1.29 predates the top-level `name:` key and cannot reset `ports` from an override, so this renders
# compose.yaml without `name:` and without published ports into a temporary file (YAML anchors expanded, nothing
# else changed), then runs it with compose.standins.yaml as the override, the project name `assetpulse` and
# deploy/ as the project directory (so relative paths resolve as in the original).  Usage, from anywhere:
#   sh deploy/dev/compose-v1.sh up -d        sh deploy/dev/compose-v1.sh ps        ... down
# With Docker Compose v2 none of this is needed:
#   docker compose -f deploy/compose.yaml -f deploy/dev/compose.standins.yaml --env-file deploy/.env up -d
set -eu
here=$(cd "$(dirname "$0")" && pwd)
deploy=$(dirname "$here")
base=${COMPOSE_BASE:-$deploy/compose.yaml}
project=${COMPOSE_PROJECT:-assetpulse}
gen=${TMPDIR:-/tmp}/$project-compose-v1.yaml
python3 - "$base" > "$gen" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
doc.pop("name", None)
for key in [k for k in doc if k.startswith("x-")]:
    doc.pop(key)
for svc in doc["services"].values():
    svc.pop("ports", None)
yaml.safe_dump(doc, sys.stdout, sort_keys=False)
PY
exec docker-compose -p "$project" --project-directory "$deploy" -f "$gen" -f "$here/compose.standins.yaml" \
  --env-file "$deploy/.env" "$@"
