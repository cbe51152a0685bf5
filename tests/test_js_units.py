"""The viewer's JavaScript unit tests (tests/js/*.test.mjs, Node's built-in test runner) as one test of the suite.

They cover the pure front-end modules (the API client, view hash, plane geometry, slices, colours, layers,
buckets, saves, brush, skeleton); `bash scripts/js_test.sh` runs them alone and installs Node.js when it is missing.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
JS_TESTS = sorted((ROOT / "tests" / "js").glob("*.test.mjs"))


def _node_version(node: str) -> tuple[int, int]:
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout
    match = re.match(r"v(\d+)\.(\d+)", out.strip())
    assert match, f"unexpected `node --version`: {out!r}"
    return int(match[1]), int(match[2])


def test_js_unit_tests_pass() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip(
            "no `node` binary on PATH, so the JS unit tests (tests/js) did not run; "
            "bash scripts/js_test.sh installs Node.js and runs them"
        )
    assert JS_TESTS, "no tests/js/*.test.mjs found"
    version = _node_version(node)
    assert version >= (18, 0), f"node {version} is too old for tests/js: it needs Node.js 18 or newer"
    # The spec reporter ends with the failing tests and their assertions (Node 18.15 and later have it).
    reporter = ["--test-reporter=spec"] if version >= (18, 15) else []
    # The files, not the folder: from Node 21 on, `node --test tests/js/` takes the folder for a test file.
    files = [str(p.relative_to(ROOT)) for p in JS_TESTS]
    result = subprocess.run(
        [node, "--test", *reporter, *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, (
        f"node --test exited with {result.returncode}\n--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    )
