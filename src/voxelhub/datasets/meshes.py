"""On-demand meshes of one segment of a segmentation layer, for the viewer's 3D view.

The layer is read whole at one (coarse) mag, slab by slab, keeping only a mask of the segment; its surface
(`voxelhub.datasets.surface`) is sent as a compact binary: little-endian float32 vertices (x, y, z in mag-1
voxels) followed by uint32 triangles. Bounds: at most `MAX_VOXELS` voxels read, `MAX_TRIANGLES` triangles
sent, and `DEADLINE_SECONDS` of work; beyond any of them the answer is a 422 naming a coarser mag to ask for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from voxelhub.caches import NO_CACHE
from voxelhub.datasets.layout import DataSource, Layer, MagInfo
from voxelhub.datasets.surface import SurfaceTooLarge, voxel_surface
from voxelhub.datasets.volume import VolumeError, parse_mag, read_box
from voxelhub.errors import DomainError, NotFound
from voxelhub.storage import ArrayCache, Location

# 8 Mi voxels: 32 MiB of uint32 read, an 8 MiB mask; the demo's 512×512×256 EM volume at mag 2, meshed in
# under a second. Without a mag, the finest one at most this large.
MAX_VOXELS = 2**23
MAX_TRIANGLES = 400_000
DEADLINE_SECONDS = 20.0
SLAB = 32  # mag voxels along z read at a time (the deadline is checked between slabs)


class MeshTooCostly(DomainError):
    """The mesh would read, send or take more than the route allows; a coarser mag helps."""

    status_code = 422


@dataclass(frozen=True)
class Mesh:
    mag: tuple[int, int, int]
    vertices: np.ndarray  # float32 (V, 3), mag-1 voxels
    triangles: np.ndarray  # uint32 (T, 3)

    def to_bytes(self) -> bytes:
        return self.vertices.astype("<f4").tobytes() + self.triangles.astype("<u4").tobytes()

    def headers(self) -> dict[str, str]:
        """What an answer of `to_bytes` says about it in its headers."""
        return {
            "X-Mesh-Vertices": str(len(self.vertices)),
            "X-Mesh-Triangles": str(len(self.triangles)),
            "X-Mesh-Mag": "-".join(map(str, self.mag)),
        }


# Reads (offset in mag-1 voxels, shape in mag voxels) -> (x, y, z) array; a test or an annotation's volume
# layer may read otherwise than from the dataset's own arrays.
Reader = Callable[[tuple[int, int, int], tuple[int, int, int]], np.ndarray]


def segment_mesh(
    location: Location,
    source: DataSource,
    layer_name: str,
    segment_id: int,
    mag_text: str | None,
    *,
    arrays: ArrayCache = NO_CACHE,
    deadline_seconds: float | None = None,
) -> Mesh:
    """The mesh of `segment_id` in a dataset's segmentation layer at `mag_text` (default: a coarse mag)."""
    layer = source.layer(layer_name)
    if layer is None:
        raise NotFound(f"unknown layer {layer_name!r}")
    if layer.category != "segmentation":
        raise VolumeError(f"layer {layer_name!r} is not a segmentation layer")
    mag = choose_mag(layer, mag_text)

    def read(offset: tuple[int, int, int], shape: tuple[int, int, int]) -> np.ndarray:
        return read_box(location, source, layer_name, mag.mag, offset, shape, max_bytes=2**31, arrays=arrays)

    limit = DEADLINE_SECONDS if deadline_seconds is None else deadline_seconds
    return mesh_from_reader(layer, mag, segment_id, read, deadline_seconds=limit)


def choose_mag(layer: Layer, mag_text: str | None) -> MagInfo:
    """The asked-for mag (VolumeError when the layer has none such), or without one the finest mag of at most
    MAX_VOXELS voxels (else the coarsest); MeshTooCostly when it has more than MAX_VOXELS."""
    if mag_text is None:
        small = [m for m in layer.mags if _voxels(layer, m) <= MAX_VOXELS]
        found = (
            max(small, key=lambda m: _voxels(layer, m))
            if small
            else min(layer.mags, key=lambda m: _voxels(layer, m))
        )
    else:
        wanted = parse_mag(mag_text)
        found_or_none = layer.find_mag(wanted)
        if found_or_none is None:
            raise VolumeError(f"layer {layer.name!r} has no mag {'-'.join(map(str, wanted))}")
        found = found_or_none
    if _voxels(layer, found) > MAX_VOXELS:
        raise MeshTooCostly(
            f"layer {layer.name!r} has {_voxels(layer, found)} voxels at mag {found.literal}, more than the "
            f"{MAX_VOXELS} a mesh may read{_coarser_mag(layer, found)}"
        )
    return found


def _voxels(layer: Layer, mag: MagInfo) -> int:
    shape = _mag_shape(layer, mag)
    return shape[0] * shape[1] * shape[2]


def _mag_shape(layer: Layer, mag: MagInfo) -> tuple[int, int, int]:
    box = layer.bounding_box
    lo = [box.top_left[i] // mag.mag[i] for i in range(3)]
    hi = [-(-box.end[i] // mag.mag[i]) for i in range(3)]
    return (hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2])


def mesh_from_reader(
    layer: Layer, mag: MagInfo, segment_id: int, read: Reader, *, deadline_seconds: float = DEADLINE_SECONDS
) -> Mesh:
    """Reads the layer's box at `mag` slab by slab through `read`, keeps the segment's mask, meshes it."""
    if not 0 < segment_id < 2 ** (8 * layer.dtype.itemsize):
        raise NotFound(f"segment {segment_id} is not in layer {layer.name!r}")
    started = time.monotonic()
    shape = _mag_shape(layer, mag)
    origin = [layer.bounding_box.top_left[i] // mag.mag[i] for i in range(3)]
    mask = np.zeros(shape, bool)
    for z0 in range(0, shape[2], SLAB):
        depth = min(SLAB, shape[2] - z0)
        offset = (origin[0] * mag.mag[0], origin[1] * mag.mag[1], (origin[2] + z0) * mag.mag[2])
        mask[:, :, z0 : z0 + depth] = read(offset, (shape[0], shape[1], depth)) == segment_id
        _check_time(started, deadline_seconds, layer, mag)
    if not mask.any():
        raise NotFound(f"segment {segment_id} has no voxels in layer {layer.name!r} at mag {mag.literal}")
    try:
        vertices, triangles = voxel_surface(mask, max_triangles=MAX_TRIANGLES)
    except SurfaceTooLarge as exc:
        raise MeshTooCostly(f"{exc} at mag {mag.literal}{_coarser_mag(layer, mag)}") from exc
    _check_time(started, deadline_seconds, layer, mag)
    vertices = (vertices + np.array(origin, np.float32)) * np.array(mag.mag, np.float32)
    return Mesh(mag=mag.mag, vertices=vertices.astype(np.float32), triangles=triangles)


def _check_time(started: float, limit: float, layer: Layer, mag: MagInfo) -> None:
    if time.monotonic() - started > limit:
        raise MeshTooCostly(
            f"the mesh took longer than {limit:g} s at mag {mag.literal}{_coarser_mag(layer, mag)}"
        )


def _coarser_mag(layer: Layer, mag: MagInfo) -> str:
    """ "; ask for mag …": the next coarser mag the layer has, if any."""
    coarser = [m for m in layer.mags if all(m.mag[i] >= mag.mag[i] for i in range(3)) and m.mag != mag.mag]
    if not coarser:
        return ""
    return f"; ask for mag {max(coarser, key=lambda m: _voxels(layer, m)).literal}"
