"""Volume annotation layers: zarr v3 arrays (one per mag, 32³ chunks = one viewer bucket each) under the
volumes folder, read through copy-on-write stores for forks, with an optional fallback to the dataset's
segmentation for buckets never painted."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import zarr
from zarr.abc.store import Store
from zarr.core.sync import sync

from voxelhub.annotations.volume.copy_on_write_store import CopyOnWriteStore
from voxelhub.caches import NO_CACHE
from voxelhub.errors import BadInput
from voxelhub.settings import Settings
from voxelhub.storage.keys import InvalidKey, validate_key
from voxelhub.storage.location import Location, LocationCache, open_location, store_timeouts

BUCKET = 32
_LAYER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")
ELEMENT_CLASSES = {"uint8": "uint8", "uint16": "uint16", "uint32": "uint32", "uint64": "uint64"}


def checked_layer_name(name: str) -> str:
    if not _LAYER_NAME.match(name):
        raise BadInput("volume layer name: 1-100 letters, digits, '.', '_' or '-'")
    return name


def mag_key(mag: tuple[int, int, int] | list[int]) -> str:
    x, y, z = mag
    return str(x) if x == y == z else f"{x}-{y}-{z}"


def volumes_location(settings: Settings, locations: LocationCache = NO_CACHE) -> Location:
    """Where volume layers live: the data folder's `volumes/`, or an object store (VOXELHUB_VOLUMES_URL). The
    bucket reads and writes pass the app's `locations` cache: they ask for this once per bucket."""
    return open_location(settings.volumes_location_url, settings.volumes_storage_options or None, cache=locations,
                         timeouts=store_timeouts(settings))


def _store(settings: Settings, relative: str, *, read_only: bool, locations: LocationCache = NO_CACHE) -> Store:
    try:
        return volumes_location(settings, locations).zarr_store(validate_key(relative), read_only=read_only)
    except InvalidKey as exc:
        raise BadInput(f"volume storage path: {exc}") from None


def layer_store(settings: Settings, layer: dict[str, Any], *, writable: bool = False,
                locations: LocationCache = NO_CACHE) -> CopyOnWriteStore:
    storage = layer["storage"]
    own = _store(settings, storage["own"], read_only=not writable, locations=locations)
    bases = [_store(settings, base, read_only=True, locations=locations) for base in storage.get("bases", [])]
    return CopyOnWriteStore(own, bases, read_only=not writable)


def new_layer(
    settings: Settings, *, annotation_id: str, name: str, bounding_box: dict[str, Any],
    mags: list[list[int]], element_class: str = "uint32", fallback_layer: str | None = None,
    largest_segment_id: int = 0, segments: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Create the (empty) arrays of a new volume layer and answer its description."""
    checked_layer_name(name)
    if element_class not in ELEMENT_CLASSES:
        raise BadInput(f"volume layer element class: one of {', '.join(ELEMENT_CLASSES)}")
    layer = {
        "name": name, "elementClass": element_class, "fallbackLayer": fallback_layer,
        "largestSegmentId": int(largest_segment_id), "segments": segments or [],
        "boundingBox": bounding_box, "mags": [list(m) for m in mags],
        "storage": {"own": f"{annotation_id}/{name}", "bases": []},
    }
    store = layer_store(settings, layer, writable=True)
    end = np.array(bounding_box["topLeft"]) + [bounding_box["width"], bounding_box["height"], bounding_box["depth"]]
    for mag in mags:
        shape = tuple(int(v) for v in -(-end // np.array(mag)))
        zarr.create_array(
            store, name=mag_key(mag), shape=shape, chunks=(BUCKET,) * 3, dtype=element_class, fill_value=0,
            dimension_names=["x", "y", "z"], overwrite=True,
        )
    return layer


def fork_layer(layer: dict[str, Any], settings: Settings, fork_id: str) -> dict[str, Any]:
    """The fork's layer: an empty own store on top of the original's stores (no chunk is copied)."""
    storage = layer["storage"]
    forked = {k: v for k, v in layer.items() if k != "storage"}
    forked["storage"] = {"own": f"{fork_id}/{layer['name']}", "bases": [storage["own"], *storage.get("bases", [])]}
    _store(settings, forked["storage"]["own"], read_only=False)  # a folder on disk; nothing in an object store
    return forked


def bucket_problem(layer: dict[str, Any], mag: list[int] | tuple[int, ...], bucket: list[int] | tuple[int, ...],
                   *, slack: int) -> str | None:
    """Why a client's bucket cannot be of this layer, or None: its mag must be one of the layer's (they
    are the dataset's) and its position inside the layer's box at that mag, plus `slack` buckets beyond the
    far edge (a viewer asks for the buckets around what it shows)."""
    if list(mag) not in [list(m) for m in layer["mags"]]:
        return f"mag {mag_key(mag)} does not exist in volume layer {layer['name']}"  # type: ignore[arg-type]
    box = layer["boundingBox"]
    end = [box["topLeft"][0] + box["width"], box["topLeft"][1] + box["height"], box["topLeft"][2] + box["depth"]]
    shape = [_ceil_div(e, m) for e, m in zip(end, mag, strict=True)]
    limit = [_ceil_div(n, BUCKET) + slack for n in shape]
    if len(bucket) != 3 or any(b < 0 or b >= top for b, top in zip(bucket, limit, strict=True)):
        return f"bucket {list(bucket)} lies outside the layer at mag {mag_key(mag)}"  # type: ignore[arg-type]
    return None


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def open_mag(settings: Settings, layer: dict[str, Any], mag: list[int] | tuple[int, int, int],
             *, writable: bool = False, locations: LocationCache = NO_CACHE) -> zarr.Array:
    if list(mag) not in [list(m) for m in layer["mags"]]:
        raise BadInput(f"mag {mag_key(mag)} does not exist in volume layer {layer['name']}")
    store = layer_store(settings, layer, writable=writable, locations=locations)
    array = zarr.open_array(store, path=mag_key(mag), mode="r+" if writable else "r")
    return array.with_config({"write_empty_chunks": True}) if writable else array


def write_bucket(settings: Settings, layer: dict[str, Any], mag: list[int], bucket: tuple[int, int, int],
                 voxels: np.ndarray, *, locations: LocationCache = NO_CACHE) -> None:
    """Store one painted 32³ bucket (x, y, z order) of the given mag."""
    array = open_mag(settings, layer, mag, writable=True, locations=locations)
    if voxels.shape != (BUCKET,) * 3:
        raise BadInput("a bucket holds 32×32×32 voxels")
    start = [b * BUCKET for b in bucket]
    if any(s < 0 or s >= dim for s, dim in zip(start, array.shape, strict=True)):
        raise BadInput(f"bucket {bucket} lies outside the layer")
    stop = [min(s + BUCKET, dim) for s, dim in zip(start, array.shape, strict=True)]
    region = tuple(slice(s, e) for s, e in zip(start, stop, strict=True))
    array[region] = voxels[tuple(slice(0, e - s) for s, e in zip(start, stop, strict=True))]


def bucket_is_painted(settings: Settings, layer: dict[str, Any], mag: list[int], bucket: tuple[int, int, int], *,
                      locations: LocationCache = NO_CACHE) -> bool:
    """Whether any store of the layer holds this bucket's chunk (else the fallback layer shows)."""
    store = layer_store(settings, layer, locations=locations)
    key = f"{mag_key(mag)}/c/{bucket[0]}/{bucket[1]}/{bucket[2]}"
    return bool(sync(store.exists(key)))  # on zarr's own event loop, where its object-store clients live


def read_bucket(settings: Settings, layer: dict[str, Any], mag: list[int], bucket: tuple[int, int, int], *,
                locations: LocationCache = NO_CACHE) -> np.ndarray:
    array = open_mag(settings, layer, mag, locations=locations)
    out = np.zeros((BUCKET,) * 3, dtype=array.dtype)
    start = [b * BUCKET for b in bucket]
    stop = [min(s + BUCKET, dim) for s, dim in zip(start, array.shape, strict=True)]
    if any(s >= e for s, e in zip(start, stop, strict=True)) or any(s < 0 for s in start):
        return out
    region = tuple(slice(s, e) for s, e in zip(start, stop, strict=True))
    out[tuple(slice(0, e - s) for s, e in zip(start, stop, strict=True))] = array[region]
    return out
