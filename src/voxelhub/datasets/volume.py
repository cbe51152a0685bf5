"""Reading voxels of a layer: arbitrary boxes and webKnossos' 32³ buckets.

Coordinates follow webKnossos' data routes: a box's offset is in mag-1 voxels, its shape in voxels of
the requested mag. Results are numpy arrays indexed (x, y, z) — or (c, x, y, z) for multi-channel data
(uint24 = 3 × uint8) — whatever the array's storage order (webKnossos c,x,y,z or OME-Zarr …,z,y,x).
Everything outside the stored array reads as 0.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
from zarr.core.sync import sync

from voxelhub.caches import NO_CACHE
from voxelhub.datasets.layout import DataSource, Layer, MagInfo, Vec3, open_verified
from voxelhub.storage import ArrayCache, Location

BUCKET_SIZE = 32
# The defaults of the settings `max_data_answer_bytes` and `max_buckets_per_request` (the routes pass those):
# 256 buckets of the widest element class (uint64) are exactly 64 MiB.
MAX_ANSWER_BYTES = 64 * 1024**2
MAX_BUCKETS = 256
MAX_BUCKET_COORDINATE = 2**31 // BUCKET_SIZE  # bucket positions address the same space as mag-1 voxels


class VolumeError(ValueError):
    """A read request that cannot be answered: unknown layer or mag, bad or too large box."""


def resolve(data_source: DataSource, layer_name: str, mag: Sequence[int]) -> tuple[Layer, MagInfo]:
    """The layer and mag of a request, or VolumeError."""
    layer = data_source.layer(layer_name)
    if layer is None:
        raise VolumeError(f"unknown layer {layer_name!r}")
    mag_t = _vec3(mag, "mag")
    found = layer.find_mag(mag_t)
    if found is None:
        raise VolumeError(f"layer {layer_name!r} has no mag {'-'.join(map(str, mag_t))}")
    return layer, found


def parse_mag(text: str) -> Vec3:
    """'2' or '2-2-1' (webKnossos' mag literal in URLs) -> (2, 2, 1); VolumeError when malformed."""
    parts = text.split("-")
    if len(parts) not in (1, 3) or not all(p.isdigit() and 0 < len(p) <= 6 for p in parts):
        raise VolumeError(f"bad mag {text!r}")
    values = [int(p) for p in parts] * (3 if len(parts) == 1 else 1)
    return _vec3(values, "mag")


def _vec3(values: Sequence[int], what: str) -> Vec3:
    if len(values) != 3 or not all(isinstance(v, int | np.integer) for v in values):
        raise VolumeError(f"{what} must be three integers")
    if what == "mag" and min(values) < 1:
        raise VolumeError("mag must be positive")
    return (int(values[0]), int(values[1]), int(values[2]))


def _open(location: Location, mag: MagInfo, arrays: ArrayCache) -> Any:
    return open_verified(location, mag.path, mag.zarr_format, arrays)


async def _read_region(
    array: Any, mag: MagInfo, channels: int, dtype: np.dtype[Any], start: Vec3, shape: Vec3
) -> np.ndarray:
    """Voxels [start, start+shape) in mag coordinates as (c, x, y, z), zero outside the array."""
    out = np.zeros((channels, *shape), dtype=dtype)
    extent = [array.shape[mag.axes.index(ax)] for ax in "xyz"]
    lo = [max(start[i], 0) for i in range(3)]
    hi = [min(start[i] + shape[i], extent[i]) for i in range(3)]
    if any(h <= low for low, h in zip(lo, hi, strict=True)):
        return out
    selection: list[Any] = []
    kept: list[str] = []
    for axis in mag.axes:
        if axis in "xyz" and len(axis) == 1:
            i = "xyz".index(axis)
            selection.append(slice(lo[i], hi[i]))
            kept.append(axis)
        elif axis == "c":
            selection.append(slice(None))
            kept.append(axis)
        else:
            selection.append(0)
    data = np.asarray(await array.async_array.getitem(tuple(selection)))
    if "c" not in kept:
        data = data[np.newaxis]
        kept.insert(0, "c")
    data = data.transpose([kept.index(ax) for ax in ("c", "x", "y", "z")])
    out[
        :,
        lo[0] - start[0] : hi[0] - start[0],
        lo[1] - start[1] : hi[1] - start[1],
        lo[2] - start[2] : hi[2] - start[2],
    ] = data
    return out


def _check_shape(shape: Sequence[int], layer: Layer, max_bytes: int) -> Vec3:
    """The box's size, if its answer stays within `max_bytes` (the limit is on what is sent, so a uint64 layer
    gets an eighth of the voxels of a uint8 one)."""
    shape_t = _vec3(shape, "shape")
    if min(shape_t) < 1:
        raise VolumeError(f"box sizes must be positive, got {shape_t}")
    size = shape_t[0] * shape_t[1] * shape_t[2] * layer.dtype.itemsize * layer.num_channels
    if size > max_bytes:
        raise VolumeError(
            f"a box of {shape_t[0]}×{shape_t[1]}×{shape_t[2]} {layer.element_class} voxels is "
            f"{size} bytes; at most {max_bytes} bytes are sent per request (ask for smaller boxes)"
        )
    return shape_t


def _check_overlap(layer: Layer, mag: MagInfo, start: Vec3, shape: Vec3) -> None:
    """Refuse a box that does not touch the layer's bounding box (a partial overlap is fine: the rest reads
    as 0), so that a far-away box costs nothing but a 400."""
    box = layer.bounding_box
    for i in range(3):
        low, high = start[i] * mag.mag[i], (start[i] + shape[i]) * mag.mag[i]
        if high <= box.top_left[i] or low >= box.end[i]:
            raise VolumeError(
                f"the box is outside the data: layer {layer.name!r} spans {list(box.top_left)} to {list(box.end)} "
                f"(mag-1 voxels), the box {'xyz'[i]} from {low} to {high}"
            )


def read_box(
    location: Location,
    data_source: DataSource,
    layer_name: str,
    mag: Sequence[int],
    offset: Sequence[int],
    shape: Sequence[int],
    *,
    max_bytes: int = MAX_ANSWER_BYTES,
    arrays: ArrayCache = NO_CACHE,
) -> np.ndarray:
    """Voxels of a box: `offset` in mag-1 voxels (floored to the mag grid), `shape` in mag voxels. The box must
    overlap the layer's bounding box and its answer fit in `max_bytes`. The array is opened through `arrays`.

    Returns shape (w, h, d), or (c, w, h, d) when the layer has several channels (uint24).
    """
    layer, mag_info = resolve(data_source, layer_name, mag)
    shape_t = _check_shape(shape, layer, max_bytes)
    offset_t = _vec3(offset, "offset")
    start = (offset_t[0] // mag_info.mag[0], offset_t[1] // mag_info.mag[1], offset_t[2] // mag_info.mag[2])
    _check_overlap(layer, mag_info, start, shape_t)
    array = _open(location, mag_info, arrays)
    out = sync(_read_region(array, mag_info, layer.num_channels, layer.dtype, start, shape_t))
    return out[0] if layer.num_channels == 1 else out


def to_wire_bytes(data: np.ndarray) -> bytes:
    """Little-endian bytes, x fastest (Fortran order); for (c, x, y, z) the channels interleave per voxel."""
    little = data.astype(data.dtype.newbyteorder("<"), copy=False)
    return little.tobytes(order="F")


def read_buckets(
    location: Location,
    data_source: DataSource,
    layer_name: str,
    mag: Sequence[int],
    bucket_positions: Sequence[Sequence[int]],
    *,
    max_buckets: int = MAX_BUCKETS,
    arrays: ArrayCache = NO_CACHE,
) -> bytes:
    """Many 32³ buckets (positions in bucket units of `mag`), concatenated in request order; the array is opened
    through `arrays`.

    Each bucket is `to_wire_bytes` of its (c,)x,y,z block. Buckets inside the same storage chunk are read
    together, and all chunk reads run concurrently on zarr's event loop.
    """
    layer, mag_info = resolve(data_source, layer_name, mag)
    if len(bucket_positions) > max_buckets:
        raise VolumeError(f"at most {max_buckets} buckets per request, got {len(bucket_positions)}")
    positions = [_vec3(p, "bucket position") for p in bucket_positions]
    array = _open(location, mag_info, arrays)
    chunk = _spatial_chunks(array, mag_info)
    groups: dict[Vec3, list[Vec3]] = defaultdict(list)
    for pos in dict.fromkeys(positions):
        origin = [pos[i] * BUCKET_SIZE for i in range(3)]
        groups[(origin[0] // chunk[0], origin[1] // chunk[1], origin[2] // chunk[2])].append(pos)
    blocks = sync(_read_groups(array, mag_info, layer, list(groups.values())))
    return b"".join(blocks[pos] for pos in positions)


def check_bucket_positions(bucket_positions: Sequence[Sequence[int]], max_buckets: int) -> list[Vec3]:
    """The positions of a client's bucket request: at most `max_buckets`, each once (a repeated bucket would
    only multiply the answer), each within the addressable space. The data routes check this first."""
    if len(bucket_positions) > max_buckets:
        raise VolumeError(f"at most {max_buckets} buckets per request, got {len(bucket_positions)}")
    positions = [_vec3(p, "bucket position") for p in bucket_positions]
    first: dict[Vec3, int] = {}
    for index, pos in enumerate(positions):
        if any(abs(v) > MAX_BUCKET_COORDINATE for v in pos):
            raise VolumeError(f"bucket {index}: position {list(pos)} is out of range")
        if pos in first:
            raise VolumeError(
                f"bucket {index} repeats bucket {first[pos]} ({list(pos)}); ask for each bucket once"
            )
        first[pos] = index
    return positions


def _spatial_chunks(array: Any, mag: MagInfo) -> Vec3:
    chunks = array.chunks
    return (chunks[mag.axes.index("x")], chunks[mag.axes.index("y")], chunks[mag.axes.index("z")])


async def _read_groups(array: Any, mag: MagInfo, layer: Layer, groups: list[list[Vec3]]) -> dict[Vec3, bytes]:
    results = await asyncio.gather(*(_read_group(array, mag, layer, g) for g in groups))
    merged: dict[Vec3, bytes] = {}
    for part in results:
        merged.update(part)
    return merged


async def _read_group(array: Any, mag: MagInfo, layer: Layer, group: list[Vec3]) -> dict[Vec3, bytes]:
    """Read the union box of buckets that share a chunk once, then cut the buckets out."""
    lo = tuple(min(p[i] for p in group) * BUCKET_SIZE for i in range(3))
    hi = tuple((max(p[i] for p in group) + 1) * BUCKET_SIZE for i in range(3))
    shape = (hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2])
    region = await _read_region(array, mag, layer.num_channels, layer.dtype, (lo[0], lo[1], lo[2]), shape)
    out: dict[Vec3, bytes] = {}
    for pos in group:
        x, y, z = (pos[i] * BUCKET_SIZE - lo[i] for i in range(3))
        block = region[:, x : x + BUCKET_SIZE, y : y + BUCKET_SIZE, z : z + BUCKET_SIZE]
        out[pos] = to_wire_bytes(block)
    return out
