"""Volume copy benchmark: time to copy a volume layer ("Copy to my account") against its size, compared in
the same run with copying its chunk objects up front (what a copy without shared immutable objects must do).

    .venv/bin/python bench/bench_volume_copy.py                   # 1 MB, 16 MB, 128 MB, 1 GB of uint32 voxels
    .venv/bin/python bench/bench_volume_copy.py --sizes-mb 1 16 --repeat 5

A layer of N MB holds N × 8 painted 32³ uint32 buckets (128 KB of voxels each; each bucket a few segment ids,
as painted segmentation is, so objects are small on disk). It is written through `write_buckets` into a
SQLite database and the local volumes folder, like a paint. Timed: `fork_layer` + commit (the copy),
then reading one bucket through the copy; and copying every chunk object of the layer (the baseline).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from voxelhub.annotations.volume import bucket_refs, chunk_objects
from voxelhub.annotations.volume import layers as volume_layers
from voxelhub.db import make_engine, make_session_factory, run_migrations, transaction
from voxelhub.settings import Settings


def machine() -> str:
    return f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"


def painted_layer(factory, settings: Settings, megabytes: int) -> dict:  # type: ignore[no-untyped-def, type-arg]
    buckets = megabytes * 8
    side = 1
    while side**3 < buckets:
        side *= 2
    positions = [(i % side, (i // side) % side, i // side // side) for i in range(buckets)]
    rng = np.random.default_rng(megabytes)
    with transaction(factory) as session:
        node = bucket_refs.create_node(session, annotation_id=None)
        layer = {
            "name": "Volume",
            "elementClass": "uint32",
            "mags": [[1, 1, 1]],
            "boundingBox": {
                "topLeft": [0, 0, 0],
                "width": side * 32,
                "height": side * 32,
                "depth": side * 32,
            },
            "storage": {"layerId": node},
        }
    for start in range(0, buckets, 256):
        with transaction(factory) as session:
            chunk = {}
            for p in positions[start : start + 256]:
                voxels = np.zeros((32, 32, 32), dtype="uint32")
                voxels[:, :, 16:] = rng.integers(1, 2**31)
                voxels[:16] = rng.integers(1, 2**31)
                chunk[p] = voxels
            volume_layers.write_buckets(session, settings, layer, [1, 1, 1], chunk, 1)
    return layer


def time_copy(factory, settings: Settings, layer: dict) -> tuple[float, float]:  # type: ignore[no-untyped-def, type-arg]
    started = time.perf_counter()
    with transaction(factory) as session:
        copy = volume_layers.fork_layer(session, layer, None, 1)  # type: ignore[arg-type]  # no annotation row here
    copied = time.perf_counter() - started
    started = time.perf_counter()
    with transaction(factory) as session:
        [voxels] = volume_layers.read_buckets(session, settings, copy, [1, 1, 1], [(0, 0, 0)], 0)
    assert voxels is not None
    return copied, time.perf_counter() - started


def time_eager_copy(settings: Settings, layer: dict, target: str) -> float:  # type: ignore[type-arg]
    location = volume_layers.volumes_location(settings)
    keys = location.list(f"orphan/{layer['storage']['layerId']}")
    started = time.perf_counter()
    for key in keys:
        chunk_objects.put(location, f"{target}/{key}", location.read(key) or b"")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes-mb", type=int, nargs="+", default=[1, 16, 128, 1024])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {machine()}; SQLite, local disk")
    print(
        f"{'layer':>9} {'buckets':>8} {'copy (median)':>14} {'1st read via copy':>18} {'eager object copy':>18}"
    )
    with tempfile.TemporaryDirectory(prefix="voxelhub-bench-") as tmp:
        settings = Settings(data_dir=Path(tmp))
        engine = make_engine(settings)
        run_migrations(engine)
        factory = make_session_factory(engine)
        for megabytes in args.sizes_mb:
            layer = painted_layer(factory, settings, megabytes)
            runs = [time_copy(factory, settings, layer) for _ in range(args.repeat)]
            copy = statistics.median(r[0] for r in runs)
            read = statistics.median(r[1] for r in runs)
            eager = time_eager_copy(settings, layer, f"eager-{megabytes}")
            print(
                f"{megabytes:>6} MB {megabytes * 8:>8} {copy * 1000:>11.1f} ms {read * 1000:>15.1f} ms "
                f"{eager * 1000:>15.0f} ms"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
