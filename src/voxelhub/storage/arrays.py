"""Opened zarr arrays, from the app's cache when given one.

Opening an array reads and parses its metadata (one or two round trips to an object store); a server
answering many small requests must not do that each time, so the routes pass their app's array cache
(`voxelhub.caches.AppCaches.arrays`).
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

import zarr

from voxelhub.caches import NO_CACHE, BoundedCache
from voxelhub.storage.location import Location

ArrayCache: TypeAlias = BoundedCache[tuple[str, str, int | None], Any]  # by (location URL, path, zarr format)
_ZARR_FORMATS: dict[int | None, Literal[2, 3] | None] = {None: None, 2: 2, 3: 3}


def open_array(
    location: Location, path: str, zarr_format: int | None = None, *, cache: ArrayCache = NO_CACHE
) -> zarr.Array:
    """The zarr array at `path` below `location` (read-only), from `cache` when it holds it.

    Raises FileNotFoundError (zarr's error) when there is no array metadata at `path`.
    """

    def load() -> zarr.Array:
        return zarr.open_array(
            store=location.zarr_store(path), mode="r", zarr_format=_ZARR_FORMATS[zarr_format]
        )

    return cache.get_or_load((location.url, path, zarr_format), load)
