"""Decoded buckets: voxelhub's bucket route against tensorstore and zarr-python, in one run.

On the demo's EM volume (512×512×256 uint8, 32³ chunks, blosc/zstd, transpose codec; built as the demo builds
it) the same random 32³ buckets are read by:
  1. tensorstore in-process, one bucket after the other and all at once (its own threads): the field's best
     reader, the goal's reference (from the interop venv, `scripts/interop_env.sh`, when this venv lacks it);
  2. zarr-python in-process, one bucket after the other;
  3. voxelhub's read engine in-process (`read_buckets`, batches of 64, 4 threads as the server runs them);
  4. voxelhub's bucket route over HTTP on loopback (batches of 64, 4 connections, as the viewer asks), plain
     and compressed (`Accept-Encoding: zstd`), its decoded-chunk cache off so that every read is cold.
Each round uses new random buckets (the same for every reader); the figures are medians over the rounds, and
the bytes sent for the colour and the segmentation layer are printed plain and compressed.

Usage: .venv/bin/python bench/bench_buckets.py [--buckets 600] [--rounds 3] [--dataset PATH]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numcodecs
import zarr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from bench_serving import machine, setup_server_data, start_server  # noqa: E402

from voxelhub.caches import BoundedCache  # noqa: E402
from voxelhub.datasets.demo_data import build_synthetic  # noqa: E402
from voxelhub.datasets.scan import scan_dataset  # noqa: E402
from voxelhub.datasets.volume import read_buckets  # noqa: E402
from voxelhub.storage import open_location  # noqa: E402

BUCKET = 32
BATCH = 64
CLIENTS = 4

# Run by tensorstore's Python (this one or the interop venv's): reads JSON {path, positions} on stdin, prints
# {"sequential": MB/s, "concurrent": MB/s}.
TENSORSTORE_SCRIPT = r"""
import json, sys, time
import tensorstore as ts
job = json.load(sys.stdin)
array = ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": job["path"]}}, read=True).result()
boxes = [array[0, x*32:(x+1)*32, y*32:(y+1)*32, z*32:(z+1)*32] for x, y, z in job["positions"]]
size = len(boxes) * 32**3
boxes[0].read().result()
started = time.perf_counter()
for box in boxes:
    box.read().result()
sequential = size / (time.perf_counter() - started) / 1e6
started = time.perf_counter()
for future in [box.read() for box in boxes]:
    future.result()
concurrent = size / (time.perf_counter() - started) / 1e6
print(json.dumps({"sequential": sequential, "concurrent": concurrent}))
"""


def tensorstore_python() -> str | None:
    """A Python that imports tensorstore: this one, else the interop venv's (built on first use)."""
    try:
        import tensorstore  # noqa: F401

        return sys.executable
    except ImportError:
        pass
    try:
        out = subprocess.run(
            ["bash", str(ROOT / "scripts" / "interop_env.sh")], capture_output=True, text=True, check=True
        )
    except subprocess.CalledProcessError:
        return None
    return out.stdout.strip().splitlines()[-1]


def tensorstore_rates(python: str, array_path: Path, positions: list[list[int]]) -> dict[str, float]:
    job = json.dumps({"path": str(array_path), "positions": positions})
    out = subprocess.run(
        [python, "-c", TENSORSTORE_SCRIPT], input=job, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def zarr_rate(array: zarr.Array, positions: list[list[int]]) -> float:
    started = time.perf_counter()
    for x, y, z in positions:
        array[0, x * BUCKET : (x + 1) * BUCKET, y * BUCKET : (y + 1) * BUCKET, z * BUCKET : (z + 1) * BUCKET]
    return len(positions) * BUCKET**3 / (time.perf_counter() - started) / 1e6


def engine_rate(dataset: Path, positions: list[list[int]]) -> float:
    """voxelhub's read engine in-process, batches in 4 threads as the server runs them, no chunk cache."""
    location = open_location(dataset)
    source = scan_dataset(location)
    arrays = BoundedCache(16)
    batches = [positions[i : i + BATCH] for i in range(0, len(positions), BATCH)]
    read_buckets(location, source, "color", (1, 1, 1), batches[0][:1], arrays=arrays)  # open the array

    def read(batch: list[list[int]]) -> int:
        return len(read_buckets(location, source, "color", (1, 1, 1), batch, arrays=arrays))

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        total = sum(pool.map(read, batches))
    return total / (time.perf_counter() - started) / 1e6


def route_rate(
    port: int, dataset_id: str, layer: str, positions: list[list[int]], accept: str
) -> tuple[float, int, int]:
    """(MB/s of decoded buckets delivered, bytes sent, decoded bytes) over 4 kept-alive connections. The
    client only receives (a browser decodes zstd in its network process, off this measurement)."""
    batches = [positions[i : i + BATCH] for i in range(0, len(positions), BATCH)]
    path = f"/data/datasets/{dataset_id}/layers/{layer}/buckets"
    local = threading.local()

    def fetch(batch: list[list[int]]) -> tuple[int, int]:
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        body = json.dumps({"mag": [1, 1, 1], "buckets": batch})
        headers = {"Content-Type": "application/json", "Accept-Encoding": accept}
        local.conn.request("POST", path, body=body, headers=headers)
        answer = local.conn.getresponse()
        data = answer.read()
        if answer.status != 200:
            raise RuntimeError(f"{answer.status}: {data[:200]!r}")
        encoding = answer.getheader("Content-Encoding")
        decoded = len(numcodecs.Zstd().decode(data)) if encoding == "zstd" else len(data)
        return len(data), decoded

    fetch(batches[0][:1])
    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(fetch, batches))
    elapsed = time.perf_counter() - started
    sent, decoded = sum(r[0] for r in results), sum(r[1] for r in results)
    return decoded / elapsed / 1e6, sent, decoded


def positions_for(shape: tuple[int, ...], count: int, seed: int) -> list[list[int]]:
    rng = random.Random(seed)
    limits = [s // BUCKET for s in shape]
    unique = {tuple(rng.randrange(n) for n in limits) for _ in range(count * 4)}
    return [list(p) for p in sorted(unique, key=lambda _: rng.random())[:count]]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--dataset", type=Path, help="a webKnossos-layout zarr3 dataset with a uint8 `color` layer"
    )
    parser.add_argument("--buckets", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    python = tensorstore_python()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        dataset = args.dataset or build_synthetic(work / "synthetic-em")
        array = zarr.open_array(str(dataset / "color" / "1"), mode="r")
        dataset_id, _, _ = setup_server_data(work / "data", dataset)
        port = random.randrange(20000, 30000)
        os.environ["VOXELHUB_DECODED_CHUNK_CACHE_MB"] = "0"  # cold reads, like the in-process readers
        server = start_server(work / "data", port)
        figures: dict[str, list[float]] = {}
        wire: dict[str, list[int]] = {}
        try:
            for round_ in range(args.rounds):
                positions = positions_for(tuple(array.shape[1:]), args.buckets, seed=round_ + 1)
                if python:
                    ts_rates = tensorstore_rates(python, dataset / "color" / "1", positions)
                    figures.setdefault("tensorstore sequential", []).append(ts_rates["sequential"])
                    figures.setdefault("tensorstore concurrent", []).append(ts_rates["concurrent"])
                figures.setdefault("zarr-python", []).append(zarr_rate(array, positions))
                figures.setdefault("voxelhub engine in-process", []).append(engine_rate(dataset, positions))
                for name, accept in (("plain", "identity"), ("compressed", "zstd")):
                    rate, sent, decoded = route_rate(port, dataset_id, "color", positions, accept)
                    figures.setdefault(f"bucket route {name}", []).append(rate)
                    wire.setdefault(f"color {name}", []).append(sent)
                    for_seg = route_rate(port, dataset_id, "segmentation", positions[:256], accept)
                    wire.setdefault(f"segmentation {name}", []).append(for_seg[1])
        finally:
            server.terminate()
            server.wait()
    report(figures, wire, args.buckets, python is not None)


def report(figures: dict[str, list[float]], wire: dict[str, list[int]], count: int, with_ts: bool) -> None:
    medians = {name: statistics.median(values) for name, values in figures.items()}
    reference = medians.get("tensorstore concurrent")
    print(
        f"decoded 32³ uint8 buckets, {count} random ones per round, median of {len(figures['zarr-python'])}:"
    )
    for name, value in medians.items():
        ratio = f"  ({value / reference:.2f}× tensorstore concurrent)" if reference else ""
        print(f"  {name:30s} {value:8.1f} MB/s{ratio}")
    if not with_ts:
        print("  tensorstore: not available (no interop venv: bash scripts/interop_env.sh)")
    for layer in ("color", "segmentation"):
        plain, packed = (
            statistics.median(wire[f"{layer} plain"]),
            statistics.median(wire[f"{layer} compressed"]),
        )
        print(
            f"bytes sent, {layer}: plain {plain / 1e6:.2f} MB, compressed {packed / 1e6:.2f} MB ({packed / plain:.3f})"
        )
    if reference:
        goal = medians["bucket route plain"] / reference
        print(
            f"goal: bucket route ≥ 0.70× tensorstore concurrent: {goal:.2f} ({'met' if goal >= 0.7 else 'NOT met'})"
        )


if __name__ == "__main__":
    main()
