"""The caches one app owns, and the empty set for code that runs outside an app.

`create_app` makes one `AppCaches` (`app.state.caches`) and empties it when the app shuts down; routes hand the
caches down to the functions that use them, as arguments. Two apps in one process (the tests make many) thus
never see each other's entries. Code that runs outside an app (the CLI, scripts) passes nothing and gets
`NO_CACHES`, whose caches keep nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from voxelhub.caches import NO_CACHE, BoundedCache
from voxelhub.datasets.layout import DataSource
from voxelhub.storage import ArrayCache, Location, LocationCache
from voxelhub.storage.chunk_engine import ChunkCache

DEFAULT_CHUNK_CACHE_BYTES = 128 * 1024**2
# The entry count is only a backstop for the byte bound: a 32³ uint8 chunk weighs 32 KiB.
MAX_CHUNK_ENTRIES = 65536


def chunk_cache(max_bytes: int) -> ChunkCache:
    if max_bytes <= 0:
        return BoundedCache(0)
    return BoundedCache(MAX_CHUNK_ENTRIES, max_bytes=max_bytes, weigh=lambda chunk: int(chunk.nbytes))


@dataclass(frozen=True)
class AppCaches:
    """The caches of one app. Where what a cache holds can change, its key names the version (a dataset row's
    `updated_at`, a skeleton's version number), so that an edit needs no forgetting."""

    # PNGs of a layer's middle slice, per (dataset id, row version, layer).
    thumbnails: BoundedCache[tuple[str, str, str], bytes] = field(
        default_factory=lambda: BoundedCache(256, max_bytes=64 * 1024**2, weigh=len)
    )
    # A dataset's storage location and parsed dataSource, per (dataset id, row version): the data routes'
    # hot path would otherwise parse the dataSource on every request.
    datasets: BoundedCache[tuple[str, datetime], tuple[Location, DataSource]] = field(
        default_factory=lambda: BoundedCache(512)
    )
    # Opened zarr arrays per (location URL, path, zarr format): opening one reads and parses its metadata,
    # one or two round trips to an object store.
    arrays: ArrayCache = field(default_factory=lambda: BoundedCache(512))
    # Decoded chunks of dataset arrays (`voxelhub.storage.chunk_engine`), bounded by bytes: the viewer asks for
    # the same buckets again as it pans back and forth, and for a chunk's neighbouring buckets in other batches.
    chunks: ChunkCache = field(default_factory=lambda: chunk_cache(DEFAULT_CHUNK_CACHE_BYTES))
    # Storage locations per (URL, options): the volume layers open theirs for every bucket.
    locations: LocationCache = field(default_factory=lambda: BoundedCache(256))
    # Loaded skeletons per (annotation id, version): a version never changes once written.
    skeletons: BoundedCache[tuple[str, int], Any] = field(default_factory=lambda: BoundedCache(8))

    @classmethod
    def sized(cls, decoded_chunk_bytes: int) -> AppCaches:
        """An app's caches, its decoded-chunk cache holding at most that many bytes (0: keeps none)."""
        return cls(chunks=chunk_cache(decoded_chunk_bytes))

    def clear(self) -> None:
        for each in fields(self):
            getattr(self, each.name).clear()


NO_CACHES = AppCaches(
    thumbnails=NO_CACHE,
    datasets=NO_CACHE,
    arrays=NO_CACHE,
    chunks=NO_CACHE,
    locations=NO_CACHE,
    skeletons=NO_CACHE,
)
