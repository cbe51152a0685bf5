#!/usr/bin/env bash
# Installs the test dependencies (Python packages and, for browser tests, Debian's Chromium) and runs
# the whole test suite. Set VOXELHUB_DATABASE_URL=postgresql+psycopg://… to run it on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv "[test]"
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "note: could not install chromium; browser tests will be skipped" >&2
fi
exec "$VENV/bin/python" -m pytest "$@"
