"""A small PNG of a layer's middle z slice, for dataset cards and the gallery.

Reads the finest mag whose slice already fits in the requested size (so a thumbnail of a large dataset
touches only a few coarse chunks), then strides down what is still too large. Colour layers are
contrast-stretched (1st–99th percentile); segmentation ids get stable pseudo-random colours, 0 black.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from voxelhub.caches import NO_CACHE
from voxelhub.datasets.layout import DataSource, Layer, MagInfo
from voxelhub.datasets.volume import VolumeError, read_box
from voxelhub.storage import ArrayCache, Location
from voxelhub.storage.chunk_engine import ChunkCache

THUMBNAIL_SIZE = 256


def _pick_mag(layer: Layer, size: int) -> MagInfo:
    width, height, _ = layer.bounding_box.size
    fitting = [m for m in layer.mags if width / m.mag[0] <= size and height / m.mag[1] <= size]
    if fitting:
        return min(fitting, key=lambda m: m.mag[0] * m.mag[1])
    return max(layer.mags, key=lambda m: m.mag[0] * m.mag[1])


def _stretch(plane: np.ndarray) -> np.ndarray:
    values = plane.astype(np.float64)
    lo, hi = np.percentile(values, [1, 99]) if values.size else (0.0, 0.0)
    if hi <= lo:
        hi = lo + 1.0
    return np.clip((values - lo) * (255.0 / (hi - lo)), 0, 255).astype(np.uint8)


def segment_colors(ids: np.ndarray) -> np.ndarray:
    """RGB (…, 3) uint8 colours from ids by an integer hash; id 0 is black."""
    h = ids.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    h ^= h >> np.uint64(29)
    rgb = np.stack([(h >> np.uint64(s)) & np.uint64(0xFF) for s in (8, 24, 40)], axis=-1).astype(np.uint8)
    rgb = (rgb // 2 + 96).astype(np.uint8)  # keep colours bright enough to tell from background
    rgb[ids == 0] = 0
    return rgb


def _to_image(layer: Layer, data: np.ndarray) -> Image.Image:
    """(x, y) or (c, x, y) slice -> image with rows along y."""
    if layer.category == "segmentation":
        return Image.fromarray(segment_colors(data.T))
    if data.ndim == 3:
        return Image.fromarray(np.stack([_stretch(ch.T) for ch in data], axis=-1))
    return Image.fromarray(_stretch(data.T))


def layer_thumbnail(
    location: Location,
    data_source: DataSource,
    layer_name: str,
    size: int = THUMBNAIL_SIZE,
    *,
    arrays: ArrayCache = NO_CACHE,
    chunks: ChunkCache = NO_CACHE,
) -> bytes:
    """PNG bytes of the layer's middle z slice, at most `size` pixels wide and high (the array opened through
    `arrays`, its decoded chunks kept in `chunks`)."""
    layer = data_source.layer(layer_name)
    if layer is None:
        raise VolumeError(f"unknown layer {layer_name!r}")
    if not 1 <= size <= 1024:
        raise VolumeError("thumbnail size must be between 1 and 1024")
    mag = _pick_mag(layer, size)
    (x0, y0, z0), (w, h, d) = layer.bounding_box.top_left, layer.bounding_box.size
    shape = (max(1, -(-w // mag.mag[0])), max(1, -(-h // mag.mag[1])), 1)
    box = read_box(
        location, data_source, layer.name, mag.mag, (x0, y0, z0 + d // 2), shape, arrays=arrays, chunks=chunks
    )
    plane = box[..., 0]
    step = max(1, -(-max(plane.shape[-2:]) // size))
    plane = plane[..., ::step, ::step]
    out = io.BytesIO()
    _to_image(layer, plane).save(out, format="PNG", optimize=False)
    return out.getvalue()
