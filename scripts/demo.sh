#!/usr/bin/env bash
# Sets everything up on a fresh machine (a virtualenv with voxelhub), creates the demo content,
# prints the demo logins and serves on http://127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv
"$VENV/bin/voxelhub" demo
exec "$VENV/bin/voxelhub" serve --host 127.0.0.1 --port "${PORT:-8000}" "$@"
