"""Demo datasets in the webKnossos layout (zarr3): real TEMCA2 EM tiles, and a synthetic EM-like volume.

Both are written into `<dest>.partial` and renamed at the end, so an interrupted build leaves no
half-written dataset behind. Chunks are 32³ (one webKnossos bucket per chunk, the cheapest to serve),
stored x-fastest (transpose codec) and compressed with blosc/zstd.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import zarr
from PIL import Image
from zarr.codecs import BloscCodec, TransposeCodec
from zarr.storage import LocalStore

from voxelhub.datasets.layout import PROPERTIES_FILE, mag_literal
from voxelhub.datasets.synthetic import SeedGrid, synthetic_slab

Vec3 = tuple[int, int, int]
CHUNK = 32


@dataclass
class _LayerSpec:
    name: str
    category: str
    dtype: str
    element_class: str
    size: Vec3
    mags: list[Vec3]
    largest_segment_id: int | None = None


def _create_arrays(root: Path, spec: _LayerSpec) -> dict[Vec3, Any]:
    """One zarr3 array per mag, shaped (c=1, x, y, z) like webknossos-libs writes them."""
    arrays: dict[Vec3, Any] = {}
    for mag in spec.mags:
        shape = tuple(-(-spec.size[i] // mag[i]) for i in range(3))
        arrays[mag] = zarr.create_array(
            store=LocalStore(root),
            name=f"{spec.name}/{mag_literal(mag)}",
            shape=(1, *shape),
            dtype=spec.dtype,
            chunks=(1, CHUNK, CHUNK, CHUNK),
            zarr_format=3,
            filters=[TransposeCodec(order=(0, 3, 2, 1))],
            compressors=[BloscCodec(cname="zstd", clevel=1, shuffle="shuffle")],
            dimension_names=["c", "x", "y", "z"],
            fill_value=0,
        )
    return arrays


def _layer_json(spec: _LayerSpec) -> dict[str, Any]:
    layer: dict[str, Any] = {
        "name": spec.name,
        "category": spec.category,
        "elementClass": spec.element_class,
        "dataFormat": "zarr3",
        "numChannels": 1,
        "boundingBox": {
            "topLeft": [0, 0, 0],
            "width": spec.size[0],
            "height": spec.size[1],
            "depth": spec.size[2],
        },
        "mags": [
            {
                "mag": list(m),
                "path": f"./{spec.name}/{mag_literal(m)}",
                "axisOrder": {"c": 0, "x": 1, "y": 2, "z": 3},
            }
            for m in spec.mags
        ],
    }
    if spec.category == "segmentation":
        layer["largestSegmentId"] = spec.largest_segment_id
    return layer


def _write_metadata(
    root: Path, name: str, voxel_size: tuple[float, float, float], specs: list[_LayerSpec]
) -> None:
    props = {
        "id": {"name": name, "team": ""},
        "scale": {"factor": list(voxel_size), "unit": "nanometer"},
        "dataLayers": [_layer_json(s) for s in specs],
    }
    (root / PROPERTIES_FILE).write_text(json.dumps(props, indent=2))
    (root / "zarr.json").write_text(json.dumps({"zarr_format": 3, "node_type": "group", "attributes": {}}))
    for spec in specs:
        axes = [{"name": "c", "type": "channel"}] + [
            {"name": a, "type": "space", "unit": "nanometer"} for a in "xyz"
        ]
        datasets = [
            {
                "path": mag_literal(m),
                "coordinateTransformations": [
                    {"type": "scale", "scale": [1.0, *(voxel_size[i] * m[i] for i in range(3))]}
                ],
            }
            for m in spec.mags
        ]
        attrs = {"ome": {"version": "0.5", "multiscales": [{"axes": axes, "datasets": datasets}]}}
        (root / spec.name / "zarr.json").write_text(
            json.dumps({"zarr_format": 3, "node_type": "group", "attributes": attrs})
        )


def _downsample(data: np.ndarray, factor: Vec3, mode: str) -> np.ndarray:
    """Shrink an (x, y, z) block by integer factors: mean for images, stride for label ids."""
    if mode == "stride":
        return data[:: factor[0], :: factor[1], :: factor[2]]
    pad = [(0, (-data.shape[i]) % factor[i]) for i in range(3)]
    padded = np.pad(data, pad, mode="edge")
    sx, sy, sz = (padded.shape[i] // factor[i] for i in range(3))
    blocks = padded.reshape(sx, factor[0], sy, factor[1], sz, factor[2])
    count = factor[0] * factor[1] * factor[2]
    total = blocks.sum(axis=(1, 3, 5), dtype=np.uint32)
    return ((total + count // 2) // count).astype(data.dtype)


def _write_pyramid_slab(arrays: dict[Vec3, Any], block: np.ndarray, z0: int, mode: str) -> None:
    """Write an (x, y, z) slab starting at mag-1 z `z0` to every mag, each downsampled from the previous.

    Mags must each divide the next; z0 must be divisible by the coarsest mag.
    """
    part, previous = block, (1, 1, 1)
    for mag, array in sorted(arrays.items()):
        step = (mag[0] // previous[0], mag[1] // previous[1], mag[2] // previous[2])
        part = part if step == (1, 1, 1) else _downsample(part, step, mode)
        previous = mag
        z = z0 // mag[2]
        array[0, : part.shape[0], : part.shape[1], z : z + part.shape[2]] = part


def _finish(tmp: Path, dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    tmp.rename(dest)
    return dest


def _start(dest: Path) -> Path:
    tmp = dest.with_name(dest.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    return tmp


# ---------------------------------------------------------------- TEMCA2 tiles

_TILE = re.compile(r"^(\d+)$")


def _temca2_slices(source: Path) -> list[tuple[int, dict[tuple[int, int], Path]]]:
    """`{z}/{y}/{x}.jpg` tiles (wkcuber tile_cubing layout) grouped by z, sorted."""
    slices = []
    for zdir in sorted(
        (p for p in source.iterdir() if p.is_dir() and _TILE.match(p.name)), key=lambda p: int(p.name)
    ):
        tiles = {
            (int(ydir.name), int(f.stem)): f
            for ydir in zdir.iterdir()
            if ydir.is_dir() and _TILE.match(ydir.name)
            for f in ydir.glob("*.jpg")
            if _TILE.match(f.stem)
        }
        if tiles:
            slices.append((int(zdir.name), tiles))
    return slices


def _assemble_slice(tiles: dict[tuple[int, int], Path]) -> np.ndarray:
    """One z section as (x, y) uint8, tiles placed relative to the section's first tile row/column."""
    y0, x0 = min(y for y, _ in tiles), min(x for _, x in tiles)
    first = np.asarray(Image.open(next(iter(tiles.values()))).convert("L"))
    th, tw = first.shape
    ny, nx = max(y for y, _ in tiles) - y0 + 1, max(x for _, x in tiles) - x0 + 1
    plane = np.zeros((ny * th, nx * tw), dtype=np.uint8)
    for (y, x), path in tiles.items():
        with Image.open(path) as img:
            plane[(y - y0) * th : (y - y0 + 1) * th, (x - x0) * tw : (x - x0 + 1) * tw] = np.asarray(
                img.convert("L")
            )
    return plane.T


def build_temca2(dest: Path, source: Path) -> Path:
    """Convert the TEMCA2 tile fixture (`{z}/{y}/{x}.jpg`, 1024² JPEG tiles) into a webKnossos dataset.

    The fixture holds three sparse sections (z = 1, 2, 40, each 2×2 tiles at different x); they are
    stacked as z = 0, 1, 2, each placed from its own first tile, giving a dense 2048×2048×3 volume at
    4×4×40 nm. Mags are 1, 2-2-1, 4-4-1, 8-8-1 (no z downsampling of three sections).
    """
    slices = _temca2_slices(Path(source))
    if not slices:
        raise ValueError(f"no z/y/x.jpg tiles in {source}")
    planes = [_assemble_slice(tiles) for _, tiles in slices]
    sx, sy = max(p.shape[0] for p in planes), max(p.shape[1] for p in planes)
    volume = np.zeros((sx, sy, len(planes)), dtype=np.uint8)
    for z, plane in enumerate(planes):
        volume[: plane.shape[0], : plane.shape[1], z] = plane
    tmp = _start(Path(dest))
    spec = _LayerSpec(
        "color",
        "color",
        "uint8",
        "uint8",
        (sx, sy, len(planes)),
        [(1, 1, 1), (2, 2, 1), (4, 4, 1), (8, 8, 1)],
    )
    _write_pyramid_slab(_create_arrays(tmp, spec), volume, 0, "mean")
    _write_metadata(tmp, "temca2", (4.0, 4.0, 40.0), [spec])
    return _finish(tmp, Path(dest))


# ---------------------------------------------------------------- synthetic EM

SYNTHETIC_SLAB = 96  # mag-1 z per slab: two seed-grid cells at half resolution, a multiple of mag 8


def build_synthetic(dest: Path, size: Sequence[int] = (512, 512, 256), seed: int = 0) -> Path:
    """An EM-like uint8 volume (cells with dark membranes, organelles, noise) and its uint32 cell ids.

    Built slab by slab to bound memory (see `voxelhub.datasets.synthetic`); while zarr compresses and
    writes one slab, numpy computes the next. Deterministic for a given `seed`; mags 1, 2, 4, 8 (colour
    averaged, segmentation strided).
    """
    size_t: Vec3 = (int(size[0]), int(size[1]), int(size[2]))
    if min(size_t) < 8:
        raise ValueError("synthetic volume must be at least 8 voxels along each axis")
    cells = SeedGrid(size_t, spacing=12, seed=seed)
    mags = [(1, 1, 1), (2, 2, 2), (4, 4, 4), (8, 8, 8)]
    color = _LayerSpec("color", "color", "uint8", "uint8", size_t, mags)
    seg = _LayerSpec("segmentation", "segmentation", "uint32", "uint32", size_t, mags, cells.count)
    tmp = _start(Path(dest))
    color_arrays, seg_arrays = _create_arrays(tmp, color), _create_arrays(tmp, seg)
    rng = np.random.default_rng(seed + 1)

    def write(ids: np.ndarray, image: np.ndarray, z0: int) -> None:
        _write_pyramid_slab(color_arrays, image, z0, "mean")
        _write_pyramid_slab(seg_arrays, ids, z0, "stride")

    with ThreadPoolExecutor(max_workers=1) as writer:
        pending: Future[None] | None = None
        for z0 in range(0, size_t[2], SYNTHETIC_SLAB):
            ids, image = synthetic_slab(cells, size_t, z0, min(SYNTHETIC_SLAB, size_t[2] - z0), rng)
            if pending is not None:
                pending.result()
            pending = writer.submit(write, ids, image, z0)
        if pending is not None:
            pending.result()
    _write_metadata(tmp, "synthetic", (8.0, 8.0, 8.0), [color, seg])
    return _finish(tmp, Path(dest))
