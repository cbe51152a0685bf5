"""Opened zarr arrays, cached per (location, path).

Opening an array reads and parses its metadata (one or two round trips to an object store); a server
answering many small requests must not do that each time, so opened arrays are kept in an LRU cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Literal

import zarr

from voxelhub.storage.location import Location

_CACHE: OrderedDict[tuple[str, str, int | None], Any] = OrderedDict()
_LOCK = threading.Lock()
CACHE_SIZE = 512


_ZARR_FORMATS: dict[int | None, Literal[2, 3] | None] = {None: None, 2: 2, 3: 3}


def open_array(location: Location, path: str, zarr_format: int | None = None) -> zarr.Array:
    """The zarr array at `path` below `location` (read-only), from the cache when possible.

    Raises FileNotFoundError (zarr's error) when there is no array metadata at `path`.
    """
    key = (location.url, path, zarr_format)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    array = zarr.open_array(store=location.zarr_store(path), mode="r", zarr_format=_ZARR_FORMATS[zarr_format])
    with _LOCK:
        _CACHE[key] = array
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return array


def forget_location(location: Location) -> None:
    """Drop cached arrays of a location (after a dataset was rewritten or re-registered)."""
    with _LOCK:
        for key in [k for k in _CACHE if k[0] == location.url]:
            del _CACHE[key]
