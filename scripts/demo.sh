#!/usr/bin/env bash
# Sets everything up on a fresh machine (a virtualenv with voxelhub), creates the demo content,
# prints the demo logins and serves on http://127.0.0.1:8000 (or the port in PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv
# The demo prints links, and the server writes them: both at the port it serves on unless told otherwise.
export VOXELHUB_PUBLIC_URL="${VOXELHUB_PUBLIC_URL:-http://127.0.0.1:${PORT:-8000}}"
"$VENV/bin/voxelhub" demo
exec "$VENV/bin/voxelhub" serve --host 127.0.0.1 --port "${PORT:-8000}" "$@"
