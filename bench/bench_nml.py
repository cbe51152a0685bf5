"""NML benchmark: voxelhub import/export/viewer JSON against a bare lxml iterparse pass and the field's own
`webknossos` library (4.3, read and write), in the same run.

    .venv/bin/python bench/bench_nml.py            # 1,000,000 nodes (BENCHMARKS.md), ~230 MB of NML
    .venv/bin/python bench/bench_nml.py --nodes 100000
    .venv/bin/python bench/bench_nml.py --no-library   # skip the library (it takes minutes at full size)

Import is timed in a fresh subprocess each time so its peak RSS (ru_maxrss) is its own. The library runs in
the interop virtualenv made by scripts/interop_env.sh (created on first use), never in voxelhub's.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def generate(path: Path, nodes: int, trees: int, comments: int, branchpoints: int, groups: int) -> None:
    """The synthetic skeleton of BENCHMARKS.md, written with plain string formatting."""
    rng = np.random.default_rng(1)
    per_tree = nodes // trees
    with path.open("w", encoding="utf-8") as f:
        f.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<things>\n  <parameters>\n'
            '    <experiment name="bench" organization="org" />\n'
            '    <scale x="11.24" y="11.24" z="28.0" unit="nanometer" />\n  </parameters>\n'
        )
        node_id = 1
        for t in range(1, trees + 1):
            f.write(
                f'  <thing id="{t}" color.r="0.5" color.g="0.2" color.b="0.9" color.a="1.0" name="tree {t}" '
                f'groupId="{1 + t % groups}">\n    <nodes>\n'
            )
            xyz = rng.integers(0, 20000, size=(per_tree, 3))
            lines = [
                f'      <node id="{node_id + i}" radius="1.5" x="{x}" y="{y}" z="{z}" rotX="0.0" rotY="0.0" '
                f'rotZ="0.0" inVp="0" inMag="1" bitDepth="8" interpolation="true" time="{1700000000000 + i}" />\n'
                for i, (x, y, z) in enumerate(xyz.tolist())
            ]
            f.write("".join(lines))
            f.write("    </nodes>\n    <edges>\n")
            f.write(
                "".join(
                    f'      <edge source="{node_id + i}" target="{node_id + i + 1}" />\n'
                    for i in range(per_tree - 1)
                )
            )
            f.write("    </edges>\n  </thing>\n")
            node_id += per_tree
        step = max(1, nodes // branchpoints)
        f.write(
            "  <branchpoints>\n"
            + "".join(
                f'    <branchpoint id="{i}" time="1" />\n' for i in range(1, nodes + 1, step)[:branchpoints]
            )
            + "  </branchpoints>\n"
        )
        step = max(1, nodes // comments)
        f.write(
            "  <comments>\n"
            + "".join(
                f'    <comment node="{i}" content="comment {i} &amp; more" />\n'
                for i in range(1, nodes + 1, step)[:comments]
            )
            + "  </comments>\n"
        )
        f.write("  <groups>\n")
        for g in range(1, groups + 1, 2):  # pairs: a group with one nested child
            f.write(
                f'    <group id="{g}" name="g{g}">\n      <group id="{g + 1}" name="g{g + 1}" />\n    </group>\n'
            )
        f.write("  </groups>\n</things>\n")


CHILD = r"""
import resource, sys, time, json
from pathlib import Path
mode, path = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
if mode == "bare":
    from lxml import etree
    n = 0
    for _ev, el in etree.iterparse(path, events=("end",), huge_tree=False, resolve_entities=False):
        if el.tag == "node":
            el.get("id"); el.get("x"); n += 1
        el.clear()
        if n & 4095 == 0:
            parent = el.getparent()
            if parent is not None:
                del parent[:parent.index(el)]
    result = {"count": n}
else:
    from voxelhub.annotations.nml.reader import read_nml
    sk = read_nml(path)
    result = {"count": sk.node_count}
elapsed = time.perf_counter() - t0
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "rss_mb": rss_mb, **result}))
"""


LIBRARY_CHILD = r"""
import resource, sys, time, json, warnings
warnings.simplefilter("ignore")
import webknossos as wk
path, out = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
skeleton = wk.Skeleton.load(path)
read_s = time.perf_counter() - t0
count = sum(len(tree.nodes) for tree in skeleton.flattened_trees())
t0 = time.perf_counter()
skeleton.save(out)
write_s = time.perf_counter() - t0
print(json.dumps({"read": read_s, "write": write_s, "count": count,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def library_python() -> str | None:
    """The interop venv's python (scripts/interop_env.sh makes it once), or None when it cannot be made."""
    script = Path(__file__).resolve().parents[1] / "scripts" / "interop_env.sh"
    done = subprocess.run(["bash", str(script)], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def run_library(python: str, path: Path, out: Path) -> dict[str, float]:
    import json

    done = subprocess.run(
        [python, "-c", LIBRARY_CHILD, str(path), str(out)], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_child(mode: str, path: Path) -> dict[str, float]:
    import json

    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(path)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")},
    )
    return json.loads(out.stdout)


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=1_000_000)
    ap.add_argument("--trees", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-library", action="store_true", help="skip the webknossos library's read and write")
    args = ap.parse_args()
    trees = min(args.trees, args.nodes)
    print(
        f"machine: {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.platform()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.nml"
        t0 = time.perf_counter()
        generate(
            path,
            args.nodes,
            trees,
            comments=max(1, args.nodes // 100),
            branchpoints=max(1, args.nodes // 200),
            groups=40,
        )
        size_mb = path.stat().st_size / 1e6
        print(
            f"synthetic NML: {args.nodes:,} nodes, {trees} trees, {size_mb:.0f} MB (generated in "
            f"{time.perf_counter() - t0:.1f} s)"
        )
        bare = [run_child("bare", path) for _ in range(args.repeat)]
        ours = [run_child("voxelhub", path) for _ in range(args.repeat)]
        bare_s = statistics.median(r["seconds"] for r in bare)
        ours_s = statistics.median(r["seconds"] for r in ours)
        print(
            f"bare lxml iterparse pass : {bare_s:7.2f} s   peak RSS {max(r['rss_mb'] for r in bare):6.0f} MB"
        )
        print(
            f"voxelhub import          : {ours_s:7.2f} s   peak RSS {max(r['rss_mb'] for r in ours):6.0f} MB"
            f"   ratio {ours_s / bare_s:.2f}x bare (goal <= 1.5x, <= 300 MB)"
        )

        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
        from voxelhub.annotations.nml.reader import read_nml
        from voxelhub.annotations.nml.writer import write_nml
        from voxelhub.annotations.skeleton.snapshot import from_snapshot_bytes, to_snapshot_bytes
        from voxelhub.annotations.skeleton.viewer_json import to_json_bytes

        sk = read_nml(path)
        out = Path(tmp) / "out.nml"

        def export() -> None:
            with out.open("wb") as f:
                write_nml(sk, f)

        export_s = timed(export, args.repeat)
        print(
            f"voxelhub export          : {export_s:7.2f} s   ratio {export_s / bare_s:.2f}x bare "
            f"({out.stat().st_size / 1e6:.0f} MB written)"
        )
        json_s = timed(lambda: to_json_bytes(sk), args.repeat)
        print(
            f"viewer JSON bytes        : {json_s:7.2f} s   ({len(to_json_bytes(sk)) / 1e6:.0f} MB; goal <= 2 s)"
        )
        snap = to_snapshot_bytes(sk)
        dump_s = timed(lambda: to_snapshot_bytes(sk), args.repeat)
        load_s = timed(lambda: from_snapshot_bytes(snap), args.repeat)
        print(f"snapshot dump / load     : {dump_s:7.2f} s / {load_s:.2f} s   ({len(snap) / 1e6:.1f} MB)")
        from voxelhub.annotations.skeleton.actions import apply_actions

        tree = next(iter(sk.trees.values()))
        first = int(tree.nodes.ids[0])
        actions = [
            {
                "name": "createNode",
                "value": {"id": sk.max_node_id() + 1, "treeId": tree.id, "position": [1, 2, 3]},
            },
            {
                "name": "createEdge",
                "value": {"treeId": tree.id, "source": first, "target": sk.max_node_id() + 1},
            },
        ]
        apply_actions(sk, actions)  # warms the node index, as a cached version would be
        save_s = timed(lambda: apply_actions(sk, actions), args.repeat)
        print(f"save of 2 actions        : {save_s * 1000:7.1f} ms")
        print(
            f"peak RSS of this process : {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
        )
        if args.no_library:
            return
        python = library_python()
        if python is None:
            print("webknossos library       : not measured (scripts/interop_env.sh could not make its venv)")
            return
        lib = run_library(python, path, Path(tmp) / "library.nml")  # once: it takes minutes at full size
        assert int(lib["count"]) == sk.node_count, "the library read a different number of nodes"
        print(
            f"webknossos library read  : {lib['read']:7.2f} s   peak RSS {lib['rss_mb']:6.0f} MB   "
            f"voxelhub import is {lib['read'] / ours_s:.1f}x faster"
        )
        print(
            f"webknossos library write : {lib['write']:7.2f} s   voxelhub export is "
            f"{lib['write'] / export_s:.1f}x faster"
        )


if __name__ == "__main__":
    main()
