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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import zarr
from PIL import Image
from zarr.codecs import BloscCodec, TransposeCodec
from zarr.storage import LocalStore

from voxelhub.datasets.layout import PROPERTIES_FILE, mag_literal

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
            store=LocalStore(root), name=f"{spec.name}/{mag_literal(mag)}", shape=(1, *shape),
            dtype=spec.dtype, chunks=(1, CHUNK, CHUNK, CHUNK), zarr_format=3,
            filters=[TransposeCodec(order=(0, 3, 2, 1))],
            compressors=[BloscCodec(cname="zstd", clevel=1, shuffle="shuffle")],
            dimension_names=["c", "x", "y", "z"], fill_value=0,
        )
    return arrays


def _layer_json(spec: _LayerSpec) -> dict[str, Any]:
    layer: dict[str, Any] = {
        "name": spec.name, "category": spec.category, "elementClass": spec.element_class,
        "dataFormat": "zarr3", "numChannels": 1,
        "boundingBox": {"topLeft": [0, 0, 0], "width": spec.size[0], "height": spec.size[1],
                        "depth": spec.size[2]},
        "mags": [{"mag": list(m), "path": f"./{spec.name}/{mag_literal(m)}",
                  "axisOrder": {"c": 0, "x": 1, "y": 2, "z": 3}} for m in spec.mags],
    }
    if spec.category == "segmentation":
        layer["largestSegmentId"] = spec.largest_segment_id
    return layer


def _write_metadata(root: Path, name: str, voxel_size: tuple[float, float, float],
                    specs: list[_LayerSpec]) -> None:
    props = {"id": {"name": name, "team": ""}, "scale": {"factor": list(voxel_size), "unit": "nanometer"},
             "dataLayers": [_layer_json(s) for s in specs]}
    (root / PROPERTIES_FILE).write_text(json.dumps(props, indent=2))
    (root / "zarr.json").write_text(json.dumps({"zarr_format": 3, "node_type": "group", "attributes": {}}))
    for spec in specs:
        axes = [{"name": "c", "type": "channel"}] + [
            {"name": a, "type": "space", "unit": "nanometer"} for a in "xyz"]
        datasets = [{"path": mag_literal(m), "coordinateTransformations": [
            {"type": "scale", "scale": [1.0, *(voxel_size[i] * m[i] for i in range(3))]}]} for m in spec.mags]
        attrs = {"ome": {"version": "0.5", "multiscales": [{"axes": axes, "datasets": datasets}]}}
        (root / spec.name / "zarr.json").write_text(json.dumps(
            {"zarr_format": 3, "node_type": "group", "attributes": attrs}))


def _downsample(data: np.ndarray, factor: Vec3, mode: str) -> np.ndarray:
    """Shrink an (x, y, z) block by integer factors: mean for images, stride for label ids."""
    if mode == "stride":
        return data[::factor[0], ::factor[1], ::factor[2]]
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
        array[0, : part.shape[0], : part.shape[1], z: z + part.shape[2]] = part


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
    for zdir in sorted((p for p in source.iterdir() if p.is_dir() and _TILE.match(p.name)), key=lambda p: int(p.name)):
        tiles = {(int(ydir.name), int(f.stem)): f for ydir in zdir.iterdir() if ydir.is_dir()
                 and _TILE.match(ydir.name) for f in ydir.glob("*.jpg") if _TILE.match(f.stem)}
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
            plane[(y - y0) * th:(y - y0 + 1) * th, (x - x0) * tw:(x - x0 + 1) * tw] = np.asarray(img.convert("L"))
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
    spec = _LayerSpec("color", "color", "uint8", "uint8", (sx, sy, len(planes)),
                      [(1, 1, 1), (2, 2, 1), (4, 4, 1), (8, 8, 1)])
    _write_pyramid_slab(_create_arrays(tmp, spec), volume, 0, "mean")
    _write_metadata(tmp, "temca2", (4.0, 4.0, 40.0), [spec])
    return _finish(tmp, Path(dest))


# ---------------------------------------------------------------- synthetic EM


def build_synthetic(dest: Path, size: Sequence[int] = (512, 512, 256), seed: int = 0) -> Path:
    """An EM-like uint8 volume (cells with dark membranes, organelles, noise) and its uint32 cell ids.

    Cells are the Voronoi regions of jittered seeds (stretched along z like neurites), computed at half
    resolution by checking only the 27 neighbouring seed-grid cells, slab by slab to bound memory.
    Deterministic for a given `seed`; mags 1, 2, 4, 8.
    """
    size_t: Vec3 = (int(size[0]), int(size[1]), int(size[2]))
    if min(size_t) < 8:
        raise ValueError("synthetic volume must be at least 8 voxels along each axis")
    cells = _SeedGrid(size_t, spacing=12.0, seed=seed)
    mags = [(1, 1, 1), (2, 2, 2), (4, 4, 4), (8, 8, 8)]
    color = _LayerSpec("color", "color", "uint8", "uint8", size_t, mags)
    seg = _LayerSpec("segmentation", "segmentation", "uint32", "uint32", size_t, mags, cells.count)
    tmp = _start(Path(dest))
    color_arrays, seg_arrays = _create_arrays(tmp, color), _create_arrays(tmp, seg)
    rng = np.random.default_rng(seed + 1)
    slab = 64
    for z0 in range(0, size_t[2], slab):
        depth = min(slab, size_t[2] - z0)
        ids, image = _synthetic_slab(cells, size_t, z0, depth, rng)
        _write_pyramid_slab(color_arrays, image, z0, "mean")
        _write_pyramid_slab(seg_arrays, ids, z0, "stride")
    _write_metadata(tmp, "synthetic", (8.0, 8.0, 8.0), [color, seg])
    return _finish(tmp, Path(dest))


class _SeedGrid:
    """One jittered seed per grid cell (half-resolution units), with per-cell brightness and organelles."""

    def __init__(self, size: Vec3, spacing: float, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.spacing = np.array([spacing, spacing, spacing * 2.0], dtype=np.float32)  # elongated in z
        half = np.array([-(-s // 2) for s in size], dtype=np.float32)
        self.grid = (np.ceil(half / self.spacing).astype(int) + 2)
        jitter = rng.uniform(0.15, 0.85, size=(*self.grid, 3)).astype(np.float32)
        index = np.stack(np.meshgrid(*[np.arange(g) - 1 for g in self.grid], indexing="ij"), axis=-1)
        self.points = ((index + jitter) * self.spacing).astype(np.float32)
        self.count = int(np.prod(self.grid))
        self.brightness = rng.uniform(130, 190, size=self.count).astype(np.float32)
        self.organelle = rng.random(self.count) < 0.25

    def nearest(self, coords: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For half-res coordinate grids: (cell id 1.., distance to own seed, gap to the next seed)."""
        shape = np.broadcast_shapes(*(c.shape for c in coords))
        best = np.full(shape, np.inf, np.float32)
        second = np.full(shape, np.inf, np.float32)
        ids = np.zeros(shape, np.int64)
        cell = [np.floor(c / self.spacing[i]).astype(np.int64) + 1 for i, c in enumerate(coords)]
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for dz in (-1, 0, 1):
                    gx = np.clip(cell[0] + dx, 0, self.grid[0] - 1)
                    gy = np.clip(cell[1] + dy, 0, self.grid[1] - 1)
                    gz = np.clip(cell[2] + dz, 0, self.grid[2] - 1)
                    flat = (gx * self.grid[1] + gy) * self.grid[2] + gz
                    pts = self.points.reshape(-1, 3)
                    d2 = ((coords[0] - pts[flat, 0]) ** 2 + (coords[1] - pts[flat, 1]) ** 2
                          + ((coords[2] - pts[flat, 2]) * 0.5) ** 2)
                    closer = d2 < best
                    second = np.where(closer, best, np.minimum(second, d2))
                    ids = np.where(closer, flat, ids)
                    best = np.where(closer, d2, best)
        return ids + 1, np.sqrt(best), np.sqrt(second) - np.sqrt(best)


def _upsample2(data: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    up = data.repeat(2, axis=0).repeat(2, axis=1).repeat(2, axis=2)
    return up[: shape[0], : shape[1], : shape[2]]


def _synthetic_slab(cells: _SeedGrid, size: Vec3, z0: int, depth: int,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Cell ids (uint32) and EM-like intensities (uint8) of mag-1 z range [z0, z0 + depth)."""
    hx, hy, hz = -(-size[0] // 2), -(-size[1] // 2), -(-depth // 2)
    coords = [np.arange(hx, dtype=np.float32)[:, None, None] + 0.5,
              np.arange(hy, dtype=np.float32)[None, :, None] + 0.5,
              np.arange(hz, dtype=np.float32)[None, None, :] + z0 / 2 + 0.5]
    ids, dist, gap = cells.nearest(coords)
    shade = cells.brightness[ids - 1]
    shade -= 95.0 * np.exp(-(gap**2) / 0.6)  # membranes: dark where two cells meet
    dark_blob = cells.organelle[ids - 1] & (dist < 2.6)
    shade = np.where(dark_blob, shade - 70.0, shade)  # organelles near some cell centres
    full = (size[0], size[1], depth)
    image = _upsample2(shade, full) + rng.standard_normal(full, dtype=np.float32) * 14.0
    return _upsample2(ids, full).astype(np.uint32), np.clip(image, 0, 255).astype(np.uint8)


