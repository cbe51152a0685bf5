"""Volume annotation layers: 32³ buckets (one viewer bucket each) per mag, stored as immutable chunk objects
(`chunk_objects`) that versioned refs in the database point to (`bucket_refs`), so any version of a layer
and of every copy of it reads back exactly. Layers saved before the refs existed keep their old zarr arrays
(`<annotation>/<layer>/<mag>/c/x/y/z`, read through `CopyOnWriteStore`) as their frozen base. Buckets never
painted show the dataset's segmentation (the caller's fallback)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import zarr
from sqlalchemy.orm import Session
from zarr.core.sync import sync

from voxelhub.annotations.volume import bucket_refs, chunk_objects
from voxelhub.annotations.volume.bucket_refs import Bucket
from voxelhub.annotations.volume.copy_on_write_store import CopyOnWriteStore
from voxelhub.caches import NO_CACHE
from voxelhub.errors import BadInput
from voxelhub.settings import Settings
from voxelhub.storage.keys import InvalidKey, validate_key
from voxelhub.storage.location import Location, LocationCache, open_location

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
    return open_location(
        settings.volumes_location_url, settings.volumes_storage_options or None, cache=locations
    )


def _legacy_store(settings: Settings, prefixes: Sequence[str]) -> CopyOnWriteStore | None:
    """The old layout's zarr arrays of a layer (own prefix first, then the prefixes it was forked from); on
    disk only the folders that exist (a read-only store on a missing folder fails), None when none does."""
    location = volumes_location(settings)
    try:
        stores = [
            location.zarr_store(validate_key(p), read_only=True)
            for p in prefixes
            if not location.is_local or location.fs.isdir(chunk_objects.full_path(location, p))
        ]
    except InvalidKey as exc:
        raise BadInput(f"volume storage path: {exc}") from None
    return CopyOnWriteStore(stores[0], stores[1:], read_only=True) if stores else None


def node_id(layer: dict[str, Any]) -> str:
    return str(layer["storage"]["layerId"])


def new_layer(
    session: Session,
    *,
    annotation_id: str,
    name: str,
    bounding_box: dict[str, Any],
    mags: list[list[int]],
    element_class: str = "uint32",
    fallback_layer: str | None = None,
    largest_segment_id: int = 0,
    segments: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A new, empty volume layer (a node without refs: nothing is written to the store) and its description."""
    checked_layer_name(name)
    if element_class not in ELEMENT_CLASSES:
        raise BadInput(f"volume layer element class: one of {', '.join(ELEMENT_CLASSES)}")
    return {
        "name": name,
        "elementClass": element_class,
        "fallbackLayer": fallback_layer,
        "largestSegmentId": int(largest_segment_id),
        "segments": segments or [],
        "boundingBox": bounding_box,
        "mags": [list(m) for m in mags],
        "storage": {"layerId": bucket_refs.create_node(session, annotation_id=annotation_id)},
    }


def fork_layer(session: Session, layer: dict[str, Any], fork_id: str, version: int) -> dict[str, Any]:
    """The copy's layer: a new node whose base is the original's node at `version` — O(1), no chunk copied,
    and the original's later saves (new refs above `version`) never show in it."""
    forked = {k: v for k, v in layer.items() if k != "storage"}
    forked["storage"] = {
        "layerId": bucket_refs.create_node(
            session, annotation_id=fork_id, parent_id=node_id(layer), parent_version=version
        )
    }
    return forked


def bucket_problem(
    layer: dict[str, Any],
    mag: list[int] | tuple[int, ...],
    bucket: list[int] | tuple[int, ...],
    *,
    slack: int,
) -> str | None:
    """Why a client's bucket cannot be of this layer, or None: its mag must be one of the layer's (they
    are the dataset's) and its position inside the layer's box at that mag, plus `slack` buckets beyond the
    far edge (a viewer asks for the buckets around what it shows)."""
    if list(mag) not in [list(m) for m in layer["mags"]]:
        return f"mag {mag_key(mag)} does not exist in volume layer {layer['name']}"  # type: ignore[arg-type]
    box = layer["boundingBox"]
    end = [
        box["topLeft"][0] + box["width"],
        box["topLeft"][1] + box["height"],
        box["topLeft"][2] + box["depth"],
    ]
    shape = [_ceil_div(e, m) for e, m in zip(end, mag, strict=True)]
    limit = [_ceil_div(n, BUCKET) + slack for n in shape]
    if len(bucket) != 3 or any(b < 0 or b >= top for b, top in zip(bucket, limit, strict=True)):
        return f"bucket {list(bucket)} lies outside the layer at mag {mag_key(mag)}"  # type: ignore[arg-type]
    return None


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def mag_shape(layer: dict[str, Any], mag: list[int] | tuple[int, ...]) -> tuple[int, int, int]:
    """Voxels of the layer's box at `mag` (from 0, like the old layout's arrays)."""
    if list(mag) not in [list(m) for m in layer["mags"]]:
        raise BadInput(f"mag {mag_key(mag)} does not exist in volume layer {layer['name']}")  # type: ignore[arg-type]
    box = layer["boundingBox"]
    end = [
        box["topLeft"][0] + box["width"],
        box["topLeft"][1] + box["height"],
        box["topLeft"][2] + box["depth"],
    ]
    x, y, z = (_ceil_div(e, m) for e, m in zip(end, mag, strict=True))
    return x, y, z


def _inside(shape: tuple[int, int, int], bucket: Bucket) -> tuple[slice, ...] | None:
    """The part of a bucket inside the layer's array at its mag (None when none of it is)."""
    start = [b * BUCKET for b in bucket]
    stop = [min(s + BUCKET, dim) for s, dim in zip(start, shape, strict=True)]
    if any(s < 0 or s >= e for s, e in zip(start, stop, strict=True)):
        return None
    return tuple(slice(0, e - s) for s, e in zip(start, stop, strict=True))


def resolve(
    session: Session, settings: Settings, node: str, mag: str, buckets: Sequence[Bucket], version: int
) -> dict[Bucket, bucket_refs.Source]:
    """Where each painted bucket of the node at `version` is; unpainted buckets are absent."""
    row = bucket_refs.node(session, node)
    out = {
        b: bucket_refs.Source(key=k)
        for b, k in bucket_refs.own_refs(session, node, mag, buckets, version).items()
        if k is not None
    }
    rest = [b for b in buckets if b not in out]
    store = _legacy_store(settings, row.legacy_prefixes) if rest and row.legacy_prefixes else None
    if rest and store is not None:
        for bucket in rest:
            if sync(store.exists(f"{mag}/c/{bucket[0]}/{bucket[1]}/{bucket[2]}")):
                out[bucket] = bucket_refs.Source(legacy=tuple(row.legacy_prefixes))
        rest = [b for b in rest if b not in out]
    if rest and row.parent_id is not None and row.parent_version is not None:
        out.update(resolve(session, settings, row.parent_id, mag, rest, row.parent_version))
    return out


def read_buckets(
    session: Session,
    settings: Settings,
    layer: dict[str, Any],
    mag: list[int],
    buckets: Sequence[Bucket],
    version: int,
) -> list[np.ndarray | None]:
    """Each bucket's 32³ voxels (x, y, z) at `version`, or None where it was never painted (fallback shows)."""
    shape = mag_shape(layer, mag)
    dtype = np.dtype(layer["elementClass"])
    sources = resolve(session, settings, node_id(layer), mag_key(mag), list(buckets), version)
    objects = chunk_objects.get_many(
        volumes_location(settings), sorted({s.key for s in sources.values() if s.key is not None})
    )
    out: list[np.ndarray | None] = []
    for bucket in buckets:
        source = sources.get(bucket)
        if source is None:
            out.append(None)
        elif source.key is not None:
            out.append(chunk_objects.decode(objects[source.key], dtype).astype(dtype))
        else:
            out.append(_read_legacy(settings, source.legacy, mag, shape, bucket, dtype))
    return out


def _read_legacy(
    settings: Settings,
    prefixes: Sequence[str],
    mag: list[int],
    shape: tuple[int, int, int],
    bucket: Bucket,
    dtype: np.dtype,
) -> np.ndarray:
    out = np.zeros((BUCKET,) * 3, dtype=dtype)
    inside = _inside(shape, bucket)
    if inside is None:
        return out
    store = _legacy_store(settings, prefixes)
    if store is None:
        return out
    array = zarr.open_array(store, path=mag_key(mag), mode="r")
    start = [b * BUCKET for b in bucket]
    region = tuple(slice(s, s + part.stop) for s, part in zip(start, inside, strict=True))
    out[inside] = array[region]
    return out


def write_buckets(
    session: Session,
    settings: Settings,
    layer: dict[str, Any],
    mag: list[int],
    painted: dict[Bucket, np.ndarray],
    version: int,
) -> None:
    """Store painted 32³ buckets (x, y, z) of one mag as new objects, then add their refs at `version` to the
    session: they become visible together, with the version, when the caller's transaction commits."""
    shape = mag_shape(layer, mag)
    node = bucket_refs.node(session, node_id(layer))
    location = volumes_location(settings)
    for bucket, voxels in painted.items():
        if voxels.shape != (BUCKET,) * 3:
            raise BadInput("a bucket holds 32×32×32 voxels")
        inside = _inside(shape, bucket)
        if inside is None:
            raise BadInput(f"bucket {list(bucket)} lies outside the layer")
        kept = np.zeros((BUCKET,) * 3, dtype=np.dtype(layer["elementClass"]))
        kept[inside] = voxels[inside]  # like the old arrays: nothing beyond the layer's edge is stored
        key = chunk_objects.new_key(node.annotation_id or "orphan", node.id, mag_key(mag), bucket, version)
        chunk_objects.put(location, key, chunk_objects.encode(kept))
        bucket_refs.add_ref(
            session, node_id=node.id, mag=mag_key(mag), bucket=bucket, version=version, key=key
        )
    session.flush()


def stored_buckets(
    session: Session, settings: Settings, layer: dict[str, Any], mag: list[int], version: int
) -> list[Bucket]:
    """Every painted bucket of one mag at `version` (own refs, old-layout chunks, the parent's), sorted."""
    return sorted(_stored(session, settings, node_id(layer), mag_key(mag), version))


def _stored(session: Session, settings: Settings, node: str, mag: str, version: int) -> set[Bucket]:
    row = bucket_refs.node(session, node)
    newest = bucket_refs.newest_at(bucket_refs.all_own_refs(session, node, mag), version)
    found = {(x, y, z) for (_, x, y, z), key in newest.items() if key is not None}
    store = _legacy_store(settings, row.legacy_prefixes) if row.legacy_prefixes else None
    if store is not None:
        prefix = f"{mag}/c/"

        async def collect() -> list[str]:
            return [key async for key in store.list_prefix(prefix)]

        for key in sync(collect()):
            parts = key[len(prefix) :].split("/")
            if len(parts) == 3 and all(p.isdigit() for p in parts):
                found.add((int(parts[0]), int(parts[1]), int(parts[2])))
    if row.parent_id is not None and row.parent_version is not None:
        found |= _stored(session, settings, row.parent_id, mag, row.parent_version)
    return found
