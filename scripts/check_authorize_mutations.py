"""Does a test fail when an access check is removed? Removes each check in turn and runs the access tests.

    .venv/bin/python scripts/check_authorize_mutations.py            # every mutation (50 today; 35 minutes on a busy 2-core machine)
    .venv/bin/python scripts/check_authorize_mutations.py --list     # only list the mutations
    .venv/bin/python scripts/check_authorize_mutations.py --only volume_service   # those whose label matches

Mutations, one at a time:
- every `authorize(...)` call statement in `src/voxelhub` is replaced by `pass`;
- every rule function of `voxelhub.policy` (the `@rule_for` ones and the helpers they decide with) is made to
  answer `True` at once, and every SQL listing filter to return its statement unfiltered.

For each mutation the access tests run with `-x -q` (the policy property test, the policy tables and the route
walk; see TESTS): a failing test means the mutation was caught. Each mutation is reported as `caught` (with the
first failing test) or `MISSED`; the exit status is 1 if any was missed, 2 if the unmutated tests fail.

The source tree is never left modified: the file is restored (content and modification time) in a `finally`,
also on Ctrl-C or SIGTERM. The test runs keep their bytecode in a temporary folder (PYTHONPYCACHEPREFIX) and
each mutant gets its own modification time, so no stale bytecode of a mutant is ever imported. If the script
is killed hard (SIGKILL), `git diff src` shows the one mutated line (marked MUTATED-BY-CHECK); `git checkout`
it. The script refuses to start while such a marker is in the tree.

Run it with VOXELHUB_SKIP_INTEROP=1 (set by the script); VOXELHUB_DATABASE_URL is passed on if set.
"""

from __future__ import annotations

import argparse
import ast
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "voxelhub"
POLICY = SOURCE / "policy"
MARKER = "MUTATED-BY-CHECK"
# Fast first: the property test and the policy tables decide in a few seconds; the route walk last.
TESTS = [
    "tests/test_policy_property.py",
    "tests/sharing/test_dataset_access_table.py::test_policy_table",
    "tests/annotations/test_annotation_access_table.py::test_policy_table",
    "tests/annotations/test_annotation_access_table.py::test_shared_annotations_listing",
    "tests/test_service_checks.py",
    "tests/annotations/test_annotation_access_table.py::test_http_table",  # rename and visibility apart
    "tests/test_route_walk.py",
    # Volume data needs the annotation AND its dataset: only readers of one without the other tell them apart.
    "tests/annotations/test_volume_data_access.py::test_policy_reads_volume_data_only_with_both",
]
# Helpers of the rule functions that answer a yes/no; each is made to answer True.
RULE_HELPERS = {
    "can_read_dataset",
    "is_dataset_editor",
    "_reads_by_role",
    "can_read_annotation",
    "_private_readers",
    "_is_owner",
    "grant_is_valid",
    "holds_valid_grant",
    "_is_member",
    "_is_admin_of",
}
LISTING_FILTERS = {"readable_datasets", "readable_annotations", "shared_with_user", "public_datasets"}
TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class Mutation:
    path: Path
    first_line: int  # 1-based, inclusive
    last_line: int
    replacement: list[str]  # lines replacing first_line..last_line
    label: str


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def authorize_mutations(path: Path) -> Iterator[Mutation]:
    lines = path.read_text().splitlines(keepends=True)
    for node in ast.walk(ast.parse("".join(lines))):
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
            continue
        func = node.value.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name != "authorize":
            continue
        first, last = node.lineno, node.end_lineno or node.lineno
        if node.col_offset != len(_indent(lines[first - 1])):
            continue  # not alone on its line; never the case today
        call = " ".join(line.strip() for line in lines[first - 1 : last])
        # Same number of lines, so the other line numbers stay put.
        replacement = [f"{_indent(lines[first - 1])}pass  # {MARKER}\n"] + ["\n"] * (last - first)
        yield Mutation(path, first, last, replacement, f"{_rel(path)}:{first}  {call}")


def rule_mutations(path: Path) -> Iterator[Mutation]:
    lines = path.read_text().splitlines(keepends=True)
    for node in ast.walk(ast.parse("".join(lines))):
        if not isinstance(node, ast.FunctionDef):
            continue
        is_rule = any(
            isinstance(d, ast.Call) and getattr(d.func, "id", "") == "rule_for" for d in node.decorator_list
        )
        if is_rule or node.name in RULE_HELPERS:
            answer, what = "True", "answers True"
        elif node.name in LISTING_FILTERS:
            answer, what = "stmt", "returns its statement unfiltered"
        else:
            continue
        first = node.body[0].lineno
        # `return ...` before the first statement of the body (a docstring included).
        replacement = [f"{_indent(lines[first - 1])}return {answer}  # {MARKER}\n", lines[first - 1]]
        yield Mutation(path, first, first, replacement, f"{_rel(path)}:{node.lineno}  {node.name}() {what}")


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def all_mutations() -> list[Mutation]:
    found: list[Mutation] = []
    for path in sorted(SOURCE.rglob("*.py")):
        found.extend(sorted(authorize_mutations(path), key=lambda m: m.first_line))
    for path in sorted(POLICY.glob("*.py")):
        found.extend(sorted(rule_mutations(path), key=lambda m: m.first_line))
    return found


class Interrupted(Exception):
    pass


def _on_sigterm(signum: int, frame: object) -> None:
    raise Interrupted()


def run_tests(env: dict[str, str]) -> tuple[int, str]:
    command = [sys.executable, "-m", "pytest", *TESTS, "-x", "-q", "-p", "no:randomly"]
    try:
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired:
        return -1, f"timed out after {TIMEOUT_SECONDS} s"
    failed = [line for line in done.stdout.splitlines() if line.startswith(("FAILED ", "ERROR "))]
    detail = (
        failed[0].split(" - ")[0]
        if failed
        else done.stdout.strip().splitlines()[-1]
        if done.stdout.strip()
        else ""
    )
    return done.returncode, detail


def apply_and_test(mutation: Mutation, env: dict[str, str], index: int) -> tuple[int, str]:
    original = mutation.path.read_bytes()
    times = mutation.path.stat()
    lines = original.decode().splitlines(keepends=True)
    mutated = lines[: mutation.first_line - 1] + mutation.replacement + lines[mutation.last_line :]
    try:
        mutation.path.write_text("".join(mutated))
        # Its own modification time: bytecode of an earlier mutant of this file is never taken for this one.
        stamp = times.st_mtime + 1000 + index
        os.utime(mutation.path, (stamp, stamp))
        return run_tests(env)
    finally:
        # A second Ctrl-C must not cut the restore short: the signals wait until the file is back.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            mutation.path.write_bytes(original)
            os.utime(mutation.path, ns=(times.st_atime_ns, times.st_mtime_ns))
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="list the mutations and stop")
    parser.add_argument("--only", default="", help="only mutations whose label contains this text")
    args = parser.parse_args()
    marked = [_rel(p) for p in SOURCE.rglob("*.py") if MARKER in p.read_text()]
    if marked:
        print(f"a mutation was left in {marked} (the script was killed?): `git checkout` those files first")
        return 2
    mutations = [m for m in all_mutations() if args.only in m.label]
    if args.list:
        print("\n".join(m.label for m in mutations))
        return 0
    # Ctrl-C and SIGTERM end the run through the `finally` that restores the file (also when started from a
    # shell that had SIGINT ignored for background jobs).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _on_sigterm)
    with tempfile.TemporaryDirectory(prefix="voxelhub-mutations-") as cache:
        env = dict(os.environ, VOXELHUB_SKIP_INTEROP="1", PYTHONPYCACHEPREFIX=cache)
        started = time.monotonic()
        code, detail = run_tests(env)
        if code != 0:
            print(f"the access tests fail without any mutation ({detail}); fix them first")
            return 2
        print(
            f"unmutated: the access tests pass ({time.monotonic() - started:.0f} s); "
            f"{len(mutations)} mutations",
            flush=True,
        )
        missed = []
        try:
            for index, mutation in enumerate(mutations):
                started = time.monotonic()
                code, detail = apply_and_test(mutation, env, index)
                seconds = time.monotonic() - started
                if code == 1:
                    print(f"caught  {mutation.label}\n        by {detail} ({seconds:.0f} s)", flush=True)
                else:
                    missed.append(mutation)
                    note = "" if code == 0 else f" (tests did not run properly: {detail})"
                    print(f"MISSED  {mutation.label}{note} ({seconds:.0f} s)", flush=True)
        except (KeyboardInterrupt, Interrupted):
            print("interrupted; the source tree is restored")
            return 130
    print(f"{len(mutations) - len(missed)} of {len(mutations)} mutations caught; {len(missed)} missed")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
