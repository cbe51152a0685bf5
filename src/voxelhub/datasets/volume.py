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
from dataclasses import dataclass
from typing import Any

import numpy as np
from zarr.core.sync import sync

from voxelhub.caches import NO_CACHE
from voxelhub.datasets.layout import DataSource, Layer, MagInfo, Vec3, open_verified
from voxelhub.storage import ArrayCache, Location
from voxelhub.storage.chunk_engine import ChunkCache, FastArray, fast_array

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


@dataclass(frozen=True)
class _Box:
    """A box in mag coordinates [start, start+shape) and where it meets the array: the ranges to read per
    storage axis, the storage axes kept (x, y, z, c; the others are read at index 0) and the part of the
    (c, x, y, z) answer they fill. `inside` is None when the box misses the array."""

    start: Vec3
    shape: Vec3
    lo: tuple[int, ...]
    hi: tuple[int, ...]
    kept: tuple[str, ...]
    inside: tuple[slice, ...] | None


def _box(array_shape: Sequence[int], mag: MagInfo, start: Vec3, shape: Vec3) -> _Box:
    extent = [array_shape[mag.axes.index(ax)] for ax in "xyz"]
    lo3 = [max(start[i], 0) for i in range(3)]
    hi3 = [min(start[i] + shape[i], extent[i]) for i in range(3)]
    if any(h <= low for low, h in zip(lo3, hi3, strict=True)):
        return _Box(start, shape, (), (), (), None)
    lo: list[int] = []
    hi: list[int] = []
    kept: list[str] = []
    for axis, size in zip(mag.axes, array_shape, strict=True):
        if axis in "xyz" and len(axis) == 1:
            i = "xyz".index(axis)
            lo.append(lo3[i])
            hi.append(hi3[i])
            kept.append(axis)
        elif axis == "c":
            lo.append(0)
            hi.append(size)
            kept.append(axis)
        else:
            lo.append(0)
            hi.append(1)
    inside = (slice(None), *(slice(lo3[i] - start[i], hi3[i] - start[i]) for i in range(3)))
    return _Box(start, shape, tuple(lo), tuple(hi), tuple(kept), inside)


def _place(data: np.ndarray, mag: MagInfo, box: _Box, channels: int, dtype: np.dtype[Any]) -> np.ndarray:
    """The (c, x, y, z) answer of `box` from what was read (storage order), zero outside the array. Fortran
    order, the wire's (x fastest): a chunk stored x-fastest then goes to the wire in two plain copies."""
    out = np.zeros((channels, *box.shape), dtype=dtype, order="F")
    if box.inside is None:
        return out
    dropped = tuple(i for i, ax in enumerate(mag.axes) if ax not in box.kept)
    if dropped:
        data = data.reshape([n for i, n in enumerate(data.shape) if i not in dropped])
    kept = list(box.kept)
    if "c" not in kept:
        data = data[np.newaxis]
        kept.insert(0, "c")
    out[box.inside] = data.transpose([kept.index(ax) for ax in ("c", "x", "y", "z")])
    return out


def _read_boxes(
    array: Any, fast: FastArray | None, mag: MagInfo, layer: Layer, boxes: list[_Box], chunks: ChunkCache
) -> list[np.ndarray]:
    """The (c, x, y, z) answers of several boxes. Through the chunk engine, every chunk they need is fetched
    in one go (concurrently from an object store); else through zarr-python's event loop."""
    channels, dtype = layer.num_channels, layer.dtype
    if fast is None:
        return sync(_zarr_boxes(array, mag, channels, dtype, boxes))
    wanted = list(dict.fromkeys(c for b in boxes if b.inside is not None for c in fast.chunks_of(b.lo, b.hi)))
    decoded = dict(zip(wanted, fast.read_chunks(wanted, chunks), strict=True))
    return [
        _place(fast.assemble(b.lo, b.hi, decoded) if b.inside else np.empty(0), mag, b, channels, dtype)
        for b in boxes
    ]


async def _zarr_boxes(
    array: Any, mag: MagInfo, channels: int, dtype: np.dtype[Any], boxes: list[_Box]
) -> list[np.ndarray]:
    """zarr-python's reads, for arrays the chunk engine does not decode."""

    async def one(box: _Box) -> np.ndarray:
        if box.inside is None:
            return _place(np.empty(0), mag, box, channels, dtype)
        selection = tuple(slice(low, h) for low, h in zip(box.lo, box.hi, strict=True))
        return _place(np.asarray(await array.async_array.getitem(selection)), mag, box, channels, dtype)

    return list(await asyncio.gather(*(one(b) for b in boxes)))


def _fast(location: Location, mag: MagInfo, array: Any) -> FastArray | None:
    return fast_array(array, location, mag.path)


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
    chunks: ChunkCache = NO_CACHE,
) -> np.ndarray:
    """Voxels of a box: `offset` in mag-1 voxels (floored to the mag grid), `shape` in mag voxels. The box must
    overlap the layer's bounding box and its answer fit in `max_bytes`. The array is opened through `arrays`,
    decoded chunks are kept in `chunks`.

    Returns shape (w, h, d), or (c, w, h, d) when the layer has several channels (uint24).
    """
    layer, mag_info = resolve(data_source, layer_name, mag)
    shape_t = _check_shape(shape, layer, max_bytes)
    offset_t = _vec3(offset, "offset")
    start = (offset_t[0] // mag_info.mag[0], offset_t[1] // mag_info.mag[1], offset_t[2] // mag_info.mag[2])
    _check_overlap(layer, mag_info, start, shape_t)
    array = _open(location, mag_info, arrays)
    box = _box(array.shape, mag_info, start, shape_t)
    (out,) = _read_boxes(array, _fast(location, mag_info, array), mag_info, layer, [box], chunks)
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
    chunks: ChunkCache = NO_CACHE,
) -> bytes:
    """Many 32³ buckets (positions in bucket units of `mag`), concatenated in request order; the array is opened
    through `arrays`, decoded chunks are kept in `chunks`.

    Each bucket is `to_wire_bytes` of its (c,)x,y,z block. A bucket that is one whole stored chunk is copied
    from the decoded chunk straight into the answer; the others are cut from boxes (`_grouped_buckets`).
    """
    layer, mag_info = resolve(data_source, layer_name, mag)
    if len(bucket_positions) > max_buckets:
        raise VolumeError(f"at most {max_buckets} buckets per request, got {len(bucket_positions)}")
    positions = [_vec3(p, "bucket position") for p in bucket_positions]
    array = _open(location, mag_info, arrays)
    fast = _fast(location, mag_info, array)
    channels, dtype = layer.num_channels, layer.dtype.newbyteorder("<")
    # The answer, bucket after bucket, each z, y, x, c in C order: x fastest, channels interleaved (the wire).
    out = np.empty((len(positions), BUCKET_SIZE, BUCKET_SIZE, BUCKET_SIZE, channels), dtype=dtype)
    direct = _whole_chunk_buckets(array, fast, mag_info, positions) if fast is not None else {}
    if direct:
        coords = list(dict.fromkeys(direct.values()))
        decoded = dict(zip(coords, fast.read_chunks(coords, chunks), strict=True))  # type: ignore[union-attr]
        order = _wire_axes(mag_info.axes)
        for index, coord in direct.items():
            found = decoded[coord]
            if found is None:
                out[index] = 0  # not stored: the fill value is 0 for the layouts taken here
            else:
                out[index] = (found if "c" in mag_info.axes else found[np.newaxis]).transpose(order)
    rest = [i for i in range(len(positions)) if i not in direct]
    blocks = _grouped_buckets(array, fast, mag_info, layer, [positions[i] for i in rest], chunks)
    for i, block in zip(rest, blocks, strict=True):
        out[i] = block.transpose(3, 2, 1, 0)
    return out.tobytes()


def _whole_chunk_buckets(
    array: Any, fast: FastArray, mag: MagInfo, positions: list[Vec3]
) -> dict[int, tuple[int, ...]]:
    """The buckets that are exactly one whole stored chunk inside the array (webKnossos' own layout: 32³
    chunks, axes c, x, y, z), by index, with their chunk: they go from the decoded chunk to the answer in one
    copy. Empty when the array is laid out otherwise, or its fill value is not 0."""
    axes = mag.axes
    if set(axes) - {"c", "x", "y", "z"} or np.any(fast.fill_value != 0):
        return {}
    if any(fast.chunks[axes.index(a)] != BUCKET_SIZE for a in "xyz"):
        return {}
    if "c" in axes and fast.chunks[axes.index("c")] != array.shape[axes.index("c")]:
        return {}
    limits = [array.shape[axes.index(a)] // BUCKET_SIZE for a in "xyz"]
    found: dict[int, tuple[int, ...]] = {}
    for index, pos in enumerate(positions):
        if all(0 <= pos[i] < limits[i] for i in range(3)):
            found[index] = tuple(0 if a == "c" else pos["xyz".index(a)] for a in axes)
    return found


def _wire_axes(axes: tuple[str, ...]) -> tuple[int, ...]:
    """The transpose from a chunk's axes (c first added when missing) to z, y, x, c."""
    full = axes if "c" in axes else ("c", *axes)
    return tuple(full.index(a) for a in ("z", "y", "x", "c"))


def _grouped_buckets(
    array: Any, fast: FastArray | None, mag: MagInfo, layer: Layer, positions: list[Vec3], chunks: ChunkCache
) -> list[np.ndarray]:
    """Buckets as (c, x, y, z) blocks for any layout: the buckets of one stored chunk are cut from one read of
    their union box, and every chunk is fetched in one go (`_read_boxes`)."""
    if not positions:
        return []
    chunk = _spatial_chunks(array, mag)
    groups: dict[Vec3, list[Vec3]] = defaultdict(list)
    for pos in dict.fromkeys(positions):
        origin = [pos[i] * BUCKET_SIZE for i in range(3)]
        groups[(origin[0] // chunk[0], origin[1] // chunk[1], origin[2] // chunk[2])].append(pos)
    unions = [_union(g) for g in groups.values()]
    boxes = [_box(array.shape, mag, lo, shape) for lo, shape in unions]
    regions = _read_boxes(array, fast, mag, layer, boxes, chunks)
    blocks: dict[Vec3, np.ndarray] = {}
    for group, (lo, _), region in zip(groups.values(), unions, regions, strict=True):
        for pos in group:
            x, y, z = (pos[i] * BUCKET_SIZE - lo[i] for i in range(3))
            blocks[pos] = region[:, x : x + BUCKET_SIZE, y : y + BUCKET_SIZE, z : z + BUCKET_SIZE]
    return [blocks[pos] for pos in positions]


def _union(group: list[Vec3]) -> tuple[Vec3, Vec3]:
    """The box (start, shape in mag voxels) of the buckets of a group: they share a chunk, so it is read once."""
    lo = [min(p[i] for p in group) * BUCKET_SIZE for i in range(3)]
    hi = [(max(p[i] for p in group) + 1) * BUCKET_SIZE for i in range(3)]
    return (lo[0], lo[1], lo[2]), (hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2])


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
