"""The static checks as tests of the suite, so the README's test command (and so CI) runs them: ruff's lint
over the code and mypy over `src/voxelhub` (default level, strict flags on policy, sharing and accounts; see
`[tool.mypy]` in pyproject.toml). Each runs with the Python running the tests (the venv's), from the repo root.

A test is skipped only when its tool is not installed in that Python (`pip install -e ".[test]"` installs both).
mypy keeps its cache in `.mypy_cache`: the first run takes ~30 s, later ones a few seconds.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(module: str, *args: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(
            f"{module} is not installed in {sys.executable}, so it did not run (install the [test] extras)"
        )
    result = subprocess.run(
        [sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 0, f"`{module} {' '.join(args)}` exited {result.returncode}:\n{output}"


def test_ruff_lint_is_clean() -> None:
    _run("ruff", "check", "src", "tests", "bench", "scripts")


def test_mypy_is_clean() -> None:
    _run("mypy", "src/voxelhub")
