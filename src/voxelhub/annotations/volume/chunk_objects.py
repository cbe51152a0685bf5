"""Chunk objects of volume layers: one painted 32³ bucket per object, written once under a new key and never
changed, so that every version and every copy that refers to it reads the same voxels forever.

Key: `<annotation id>/<layer node id>/<mag>/<x>/<y>/<z>/v<version>-<random>` (the annotation whose save wrote
it; the random part makes two writers never share a key). Content: the bucket as one zarr v3 chunk of a
32³ array in x, y, z (C) order — codecs `bytes` (little-endian) then `blosc` (lz4, byte shuffle) — the same
bytes a zarr v3 array with those codecs stores, so any zarr/blosc reader decodes an object on its own.
Which object a bucket holds at which version is recorded in the database (`volume_bucket_refs`), never
in the store: an object no committed ref names is an orphan, and `voxelhub gc` reclaims it.
"""

from __future__ import annotations

import posixpath
import secrets
from collections.abc import Sequence

import numpy as np
from numcodecs import Blosc

from voxelhub.storage.keys import join_key, validate_key
from voxelhub.storage.location import Location

BUCKET = 32
_CODEC = Blosc(cname="lz4", clevel=5, shuffle=Blosc.SHUFFLE)


def new_key(annotation_id: str, node_id: str, mag: str, bucket: tuple[int, int, int], version: int) -> str:
    x, y, z = bucket
    return f"{annotation_id}/{node_id}/{mag}/{x}/{y}/{z}/v{version}-{secrets.token_hex(6)}"


def encode(voxels: np.ndarray) -> bytes:
    little = np.ascontiguousarray(voxels, dtype=voxels.dtype.newbyteorder("<"))
    return bytes(_CODEC.encode(little))


def decode(data: bytes, dtype: np.dtype) -> np.ndarray:
    little = np.dtype(dtype).newbyteorder("<")
    raw = _CODEC.decode(data)
    if len(raw) != BUCKET**3 * little.itemsize:
        raise ValueError(f"a chunk object holds {len(raw)} bytes, not one 32³ bucket of {little.name}")
    return np.frombuffer(raw, dtype=little).reshape((BUCKET,) * 3)


def full_path(location: Location, key: str) -> str:
    """The backend path of a key (the location's root joined with the checked key)."""
    return join_key(location.root, validate_key(key)) if location.root else validate_key(key)


def put(location: Location, key: str, data: bytes) -> None:
    """Write one new object. Before its ref is committed nobody reads it, so a torn write is only an orphan."""
    path = full_path(location, key)
    if location.is_local:
        location.fs.makedirs(posixpath.dirname(path), exist_ok=True)
    location.fs.pipe_file(path, data)


def get_many(location: Location, keys: Sequence[str]) -> dict[str, bytes]:
    """The bytes of each key (fetched concurrently on an object store); a missing committed object is an error."""
    if not keys:
        return {}
    paths = {full_path(location, key): key for key in keys}
    found = location.fs.cat(list(paths), on_error="return")
    out = {}
    for path, key in paths.items():
        data = found.get(path) if isinstance(found, dict) else found
        if not isinstance(data, bytes | bytearray):
            raise FileNotFoundError(f"volume chunk object {key} is missing from the store")
        out[key] = bytes(data)
    return out
