"""The zarr view with every zarr3 transpose codec folded into the axis order (`/data/zarr-c/{id}/…`).

Neuroglancer mishandles a zarr3 array whose codecs start with a transpose (webKnossos writes `[0, 3, 2, 1]`:
x fastest on disk): it fetches one line of chunks and draws nothing. The same stored bytes can be described
without a transpose, so this view does that instead of rewriting any data.

The math. A transpose codec with order `p` encodes an array chunk `A` as `numpy.transpose(A, p)` (C order),
so the stored bytes are those of the array `B = numpy.transpose(array, p)` chunked by
`chunk_shape[p[k]]` with no transpose codec: B's axis k is the stored array's axis p[k]. Hence B has shape
`shape[p[k]]`, chunk shape `chunk[p[k]]`, dimension names `names[p[k]]`, and B's chunk with grid index `c`
is the stored chunk `c'` with `c'[p[k]] = c[k]`, byte for byte. Two leading transposes `p1` then `p2` are one
with order `p1[p2[k]]`. Everything after the transposes (bytes, compressors, a sharding codec whose
chunk shape is already in transposed coordinates) applies to B unchanged.

The view is the plain zarr view (`voxelhub.datasets.zarr_view`) of a dataSource whose mags name their axes in
the presented order: datasource-properties.json's `axisOrder` and the OME multiscales axes and scales follow.
A layer is folded only when all its mags are zarr3 with the same folding (one multiscales describes all);
otherwise, and for arrays with storage transformers or irregular chunk grids, the layer is served unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from voxelhub.caches import NO_CACHE
from voxelhub.datasets.layout import DataSource, Layer, MagInfo
from voxelhub.datasets.zarr_view import ARRAY_METADATA, view_mag_name, zarr_view_get
from voxelhub.storage import ArrayCache, Location, open_array, validate_key

Order = tuple[int, ...]


# ---------------------------------------------------------------- pure math on zarr.json


def _one_order(codec: Any, ndim: int) -> Order | None:
    """The order of a transpose codec entry, or None when `codec` is not one (or malformed)."""
    if not isinstance(codec, dict) or codec.get("name") != "transpose":
        return None
    order = (codec.get("configuration") or {}).get("order")
    if order == "C":  # early zarr3 drafts spelled the two common orders as letters
        return tuple(range(ndim))
    if order == "F":
        return tuple(reversed(range(ndim)))
    if not isinstance(order, Sequence) or sorted(order) != list(range(ndim)):
        return None
    return tuple(int(i) for i in order)


def leading_transpose(metadata: dict[str, Any]) -> tuple[Order, int] | None:
    """(composed order, number of codecs it takes) of the transpose codecs that open a zarr3 array's codec
    chain; None when there are none or the array cannot be folded (storage transformers, an irregular grid)."""
    if metadata.get("zarr_format") != 3 or metadata.get("storage_transformers"):
        return None
    grid = metadata.get("chunk_grid") or {}
    if grid.get("name") != "regular":
        return None
    ndim = len(metadata.get("shape") or ())
    order: Order = tuple(range(ndim))
    taken = 0
    for codec in metadata.get("codecs") or ():
        step = _one_order(codec, ndim)
        if step is None:
            break
        order = tuple(order[i] for i in step)
        taken += 1
    return (order, taken) if taken else None


def permute(values: Sequence[Any], order: Order) -> list[Any]:
    """`values` of the stored axes, in the presented axis order."""
    return [values[i] for i in order]


def fold_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """The array's zarr.json with its leading transposes folded into the axes (unchanged when there are none)."""
    found = leading_transpose(metadata)
    if found is None:
        return metadata
    order, taken = found
    folded = dict(metadata)
    folded["shape"] = permute(metadata["shape"], order)
    grid = metadata["chunk_grid"]
    config = dict(grid["configuration"])
    config["chunk_shape"] = permute(config["chunk_shape"], order)
    folded["chunk_grid"] = {**grid, "configuration": config}
    if metadata.get("dimension_names") is not None:
        folded["dimension_names"] = permute(metadata["dimension_names"], order)
    folded["codecs"] = list(metadata["codecs"])[taken:]
    return folded


def _encoding(metadata: dict[str, Any]) -> tuple[str, str]:
    """(name, separator) of the array's chunk key encoding."""
    encoding = metadata.get("chunk_key_encoding") or {"name": "default"}
    name = encoding.get("name", "default")
    default_separator = "/" if name == "default" else "."
    return name, (encoding.get("configuration") or {}).get("separator", default_separator)


def stored_chunk_key(key: str, metadata: dict[str, Any], order: Order) -> str | None:
    """The stored chunk key behind presented chunk key `key` (relative to the array); None when `key` is not a
    chunk key of this array."""
    name, separator = _encoding(metadata)
    text = key
    if name == "default":
        if not (key == "c" or key.startswith("c" + separator)):
            return None
        text = key[2:]
    parts = text.split(separator) if text else []
    if len(parts) != len(order) or not all(p.isdigit() and len(p) <= 12 for p in parts):
        return None
    stored = [""] * len(order)
    for k, axis in enumerate(order):
        stored[axis] = parts[k]
    joined = separator.join(stored)
    return joined if name != "default" else ("c" + separator + joined if joined else "c")


# ---------------------------------------------------------------- the view


@dataclass(frozen=True)
class Folded:
    """The presented dataSource (mag axes in presented order) and, per (layer, view mag), the stored order."""

    source: DataSource
    orders: dict[tuple[str, str], Order]


def _stored_metadata(location: Location, mag: MagInfo, arrays: ArrayCache) -> dict[str, Any] | None:
    if mag.zarr_format != 3:
        return None
    try:
        metadata: dict[str, Any] = open_array(location, mag.path, 3, cache=arrays).metadata.to_dict()
    except (FileNotFoundError, ValueError, TypeError, KeyError):
        return None
    return metadata


def _fold_layer(location: Location, layer: Layer, arrays: ArrayCache) -> tuple[Layer, dict[str, Order]]:
    found = [leading_transpose(_stored_metadata(location, m, arrays) or {}) for m in layer.mags]
    orders = {found_one[0] if found_one else None for found_one in found}
    if len(orders) != 1 or None in orders:  # none folded, or mags that one multiscales could not describe
        return layer, {}
    (order,) = orders
    assert order is not None
    mags = tuple(replace(m, axes=tuple(permute(m.axes, order))) for m in layer.mags)
    return replace(layer, mags=mags), {view_mag_name(layer, m): order for m in layer.mags}


def folded_source(location: Location, data_source: DataSource, arrays: ArrayCache = NO_CACHE) -> Folded:
    """The dataSource as this view presents it (opens each zarr3 array's metadata, from `arrays` when cached)."""
    layers = []
    orders: dict[tuple[str, str], Order] = {}
    for layer in data_source.layers:
        folded, layer_orders = _fold_layer(location, layer, arrays)
        layers.append(folded)
        orders.update({(layer.name, mag): order for mag, order in layer_orders.items()})
    return Folded(replace(data_source, layers=tuple(layers)), orders)


def c_order_view_get(
    location: Location, data_source: DataSource, key: str, arrays: ArrayCache = NO_CACHE
) -> bytes | None:
    """What `/data/zarr-c/{id}/{key}` answers (None -> 404): documents of the folded view, stored chunk bytes
    unchanged under the presented keys. Raises InvalidKey for unsafe keys."""
    parts = validate_key(key).split("/", 2)
    layer = data_source.layer(parts[0]) if len(parts) > 1 else None
    if layer is None:  # a root document (or nothing): the plain view of the folded dataSource
        return zarr_view_get(location, folded_source(location, data_source, arrays).source, key)
    # Below a layer only that layer's arrays are looked at: a chunk request opens no other layer's metadata.
    folded, orders = _fold_layer(location, layer, arrays)
    order = orders.get(parts[1]) if len(parts) == 3 else None
    if order is None:  # not below a folded array
        return zarr_view_get(location, replace(data_source, layers=(folded,)), key)
    mag = next(m for m in layer.mags if view_mag_name(layer, m) == parts[1])
    if parts[2] == "zarr.json":
        raw = location.read(f"{mag.path}/zarr.json")
        return None if raw is None else json.dumps(fold_metadata(json.loads(raw)), indent=2).encode()
    if parts[2] in ARRAY_METADATA:
        return None
    stored = stored_chunk_key(parts[2], _stored_metadata(location, mag, arrays) or {}, order)
    return None if stored is None else location.read(f"{mag.path}/{stored}")
