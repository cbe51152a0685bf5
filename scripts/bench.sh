#!/usr/bin/env bash
# Runs one benchmark from bench/ with everything it needs installed: the test virtualenv (voxelhub and its
# test dependencies) and, for the serving benchmark, Debian's wrk and nginx (the load generator and the
# static-file server voxelhub is compared with).
#   bash scripts/bench.sh serving [--seconds 8]
#   bash scripts/bench.sh nml [--nodes 100000]
#   bash scripts/bench.sh databases [--seconds 6]
#   bash scripts/bench.sh buckets [--rounds 3]        (tensorstore from the interop venv, scripts/interop_env.sh)
#   bash scripts/bench.sh first_screen [--before ../main/src]   (Chromium at /usr/bin/chromium)
#   bash scripts/bench.sh read_path                   (buckets, first_screen and serving in one run)
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:-}"
if [ -z "$name" ] || [ ! -f "bench/bench_${name}.py" ]; then
  echo "usage: bash scripts/bench.sh NAME [options]; NAME is one of:" \
    "$(cd bench && ls bench_*.py | sed 's/^bench_//; s/\.py$//' | tr '\n' ' ')" >&2
  exit 2
fi
shift
source scripts/_venv.sh
ensure_venv "[test]"
if { [ "$name" = serving ] || [ "$name" = databases ] || [ "$name" = read_path ]; } && ! { command -v wrk && command -v nginx || [ -x /usr/sbin/nginx ]; } >/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && apt-get install -y -qq wrk nginx-light >/dev/null) \
      || echo "note: could not install wrk and nginx; the pass-through part will be skipped" >&2
  else
    echo "note: wrk and nginx are missing (apt-get install wrk nginx-light); the pass-through part will be skipped" >&2
  fi
fi
exec "$VENV/bin/python" "bench/bench_${name}.py" "$@"
