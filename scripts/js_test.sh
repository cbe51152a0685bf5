#!/usr/bin/env bash
# Runs the unit tests of the viewer's pure ES modules (tests/js/*.test.mjs) with Node's built-in test runner,
# installing Debian's Node.js first when there is no `node` (as root, the way scripts/test.sh installs Chromium).
# Any Node.js from 18 on will do. Arguments replace the default file list: bash scripts/js_test.sh tests/js/slice.test.mjs
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && apt-get install -y -qq nodejs >/dev/null) || echo "note: could not install nodejs" >&2
fi
if ! command -v node >/dev/null; then
  echo "js_test: no node binary; install Node.js 18 or newer" >&2
  exit 1
fi
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)'; then
  echo "js_test: node $(node --version) is too old; the tests need Node.js 18 or newer" >&2
  exit 1
fi
# Files, not the folder: from Node 21 on, `node --test tests/js/` takes the folder for a test file.
if [ "$#" -eq 0 ]; then set -- tests/js/*.test.mjs; fi
exec node --test "$@"
