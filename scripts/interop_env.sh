#!/usr/bin/env bash
# Creates (once, then reuses) a separate virtualenv holding the real `webknossos` Python client (4.3.x) plus
# tensorstore, zarr and `neuroglancer` (only for the built Neuroglancer client it ships as static files), for
# the interop tests in tests/interop. It is large (hundreds of MB) and is never part of voxelhub's own runtime
# dependencies: it lives outside the work tree, by default in
#   ${VOXELHUB_INTEROP_VENV:-$HOME/.cache/voxelhub/interop-venv}
# Prints the path of that venv's python on stdout (the only line on stdout); progress goes to stderr.
# Exits non-zero when it cannot be created (e.g. no network to the package index).
#
#   PY=$(bash scripts/interop_env.sh) && "$PY" -c 'import webknossos; print(webknossos.__version__)'
#
# Re-running is cheap: a stamp file records the requirement set, and the install is skipped when it matches and
# the packages import. Set VOXELHUB_INTEROP_REBUILD=1 to force a fresh venv.
set -euo pipefail

VENV="${VOXELHUB_INTEROP_VENV:-$HOME/.cache/voxelhub/interop-venv}"
PYTHON="${VOXELHUB_INTEROP_PYTHON:-${PYTHON:-python3}}"
REQS=("webknossos==4.3.*" "tensorstore" "zarr" "neuroglancer==2.41.*")
STAMP="$VENV/.voxelhub-interop-stamp"
WANT="reqs=${REQS[*]}"

log() { echo "interop_env: $*" >&2; }

check() {
  [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] &&
    "$VENV/bin/python" -c 'import webknossos, tensorstore, zarr, neuroglancer' >/dev/null 2>&1
}

if [ "${VOXELHUB_INTEROP_REBUILD:-0}" = 1 ]; then
  rm -rf "$VENV"
fi

if ! check; then
  start=$(date +%s)
  mkdir -p "$(dirname "$VENV")"
  lock="$VENV.lock"
  # Two test processes may ask at once: serialize the install.
  exec 9>"$lock"
  if command -v flock >/dev/null; then flock 9; fi
  if ! check; then
    log "creating $VENV with ${REQS[*]} (takes a few minutes the first time)"
    if [ ! -x "$VENV/bin/python" ]; then
      "$PYTHON" -m venv "$VENV"
    fi
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${REQS[@]}" >&2
    "$VENV/bin/python" -c 'import webknossos, tensorstore, zarr, neuroglancer' >&2
    echo "$WANT" >"$STAMP"
    end=$(date +%s)
    log "installed in $((end - start)) s; size $(du -sh "$VENV" | cut -f1)"
    log "webknossos $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("webknossos"))')"
  fi
fi

echo "$VENV/bin/python"
