# Shared by scripts/demo.sh and scripts/test.sh: one virtualenv in .venv, installed from pyproject.toml.
VENV="${VOXELHUB_VENV:-.venv}"
PYTHON="${PYTHON:-python3}"

ensure_venv() {
  local extras="${1:-}"
  if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
  fi
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".${extras}"
}
