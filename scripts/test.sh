#!/usr/bin/env bash
# Installs the test dependencies (Python packages; Debian's Chromium, Node.js and nginx) and runs
# the whole test suite. Set VOXELHUB_DATABASE_URL=postgresql+psycopg://… to run it on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv "[test]"
# Debian packages the suite uses: Chromium for the browser tests, Node.js for the front end's unit tests, nginx
# (nginx-light: the proxy alone) in front of the server processes of the deploy suite (tests/deploy).
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null || missing+=(nodejs)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || missing+=(nginx-light)
if [ "${#missing[@]}" -gt 0 ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null) \
    || echo "note: could not install ${missing[*]}; the tests that need them will be skipped" >&2
fi
exec "$VENV/bin/python" -m pytest "$@"
