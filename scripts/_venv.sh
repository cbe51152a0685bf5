# Shared by scripts/demo.sh and scripts/test.sh: one virtualenv in .venv, installed from pyproject.toml with the
# versions pinned in constraints.txt (see its header to refresh it).
VENV="${VOXELHUB_VENV:-.venv}"
PYTHON="${PYTHON:-python3}"

ensure_venv() {
  local extras="${1:-}"
  if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
  fi
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".${extras}"
}
