"""Read throughput of the dataset core: read_box and read_buckets on the synthetic demo dataset.

Run: .venv/bin/python bench/bench_read.py [--size 256 256 128] [--repeat 20]
Prints the machine, then median times and MB/s; compare runs on the same machine only.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from voxelhub.app_caches import AppCaches
from voxelhub.datasets.demo_data import build_synthetic
from voxelhub.datasets.scan import scan_dataset
from voxelhub.datasets.volume import read_box, read_buckets
from voxelhub.storage import open_location


def _median_seconds(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, nargs=3, default=[256, 256, 128])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        root = build_synthetic(Path(tmp) / "synthetic", size=tuple(args.size), seed=0)
        print(f"build_synthetic {tuple(args.size)}: {time.perf_counter() - start:.2f} s")
        location = open_location(root)
        source = scan_dataset(location)
        arrays = AppCaches().arrays  # opened arrays kept between reads, as the server keeps them
        cases: list[tuple[str, Callable[[], object], int]] = [
            (
                "read_box color 128³ mag 1",
                lambda: read_box(
                    location, source, "color", (1, 1, 1), (10, 20, 30), (128, 128, 64), arrays=arrays
                ),
                128 * 128 * 64,
            ),
            (
                "read_box seg 128³ mag 1",
                lambda: read_box(
                    location, source, "segmentation", (1, 1, 1), (0, 0, 0), (128, 128, 64), arrays=arrays
                ),
                128 * 128 * 64 * 4,
            ),
            (
                "read_buckets color 64 buckets",
                lambda: read_buckets(
                    location,
                    source,
                    "color",
                    (1, 1, 1),
                    [(x, y, 1) for x in range(8) for y in range(8)],
                    arrays=arrays,
                ),
                64 * 32**3,
            ),
        ]
        for name, fn, nbytes in cases:
            seconds = _median_seconds(fn, args.repeat)
            print(f"{name}: {seconds * 1000:.1f} ms median, {nbytes / seconds / 1e6:.0f} MB/s")


if __name__ == "__main__":
    main()
