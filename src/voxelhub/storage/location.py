"""A Location is a dataset root on local disk or in an S3-compatible object store.

Both backends answer the same small interface (bytes of a key, a byte range, listing, existence, a zarr
store for a sub-path), so the dataset code never branches on where the data lives. Bytes go through a
synchronous fsspec filesystem; arrays go through zarr-python stores (LocalStore / FsspecStore), which do
their own concurrent async I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

import fsspec
from fsspec.implementations.local import LocalFileSystem
from zarr.abc.store import Store
from zarr.storage import FsspecStore, LocalStore

from voxelhub.caches import NO_CACHE, BoundedCache
from voxelhub.storage.keys import InvalidKey, join_key, validate_key

_MISSING = (FileNotFoundError, IsADirectoryError, NotADirectoryError)


@dataclass(eq=False)
class Location:
    """A root (local directory or `s3://bucket/prefix`) plus a sub-path below it.

    `url` identifies the location (used as a cache key); keys passed to methods are relative to it and
    validated against traversal.
    """

    url: str
    root: str  # backend path of this location (local absolute path, or "bucket/prefix")
    fs: Any  # synchronous fsspec filesystem
    storage_options: dict[str, Any] = field(default_factory=dict)
    is_local: bool = True

    def _path(self, key: str) -> str:
        return join_key(self.root, validate_key(key)) if self.root else validate_key(key)

    def read(self, key: str) -> bytes | None:
        """Whole object, or None if it does not exist."""
        try:
            data = self.fs.cat_file(self._path(key))
        except _MISSING:
            return None
        return bytes(data)

    def read_range(self, key: str, start: int, end: int | None = None) -> bytes | None:
        """Bytes [start, end) of an object (end None = to the end), or None if it does not exist."""
        if start < 0 or (end is not None and end < start):
            raise ValueError(f"bad byte range {start}-{end}")
        try:
            data = self.fs.cat_file(self._path(key), start=start, end=end)
        except _MISSING:
            return None
        return bytes(data)

    def size(self, key: str) -> int | None:
        """Size in bytes of an object, or None if missing."""
        try:
            info = self.fs.info(self._path(key))
        except _MISSING:
            return None
        return None if info.get("type") == "directory" else int(info["size"])

    def exists(self, key: str) -> bool:
        """True if `key` is an object (not just a prefix)."""
        return self.size(key) is not None

    def list(self, prefix: str = "") -> list[str]:
        """All object keys below `prefix` (recursive), relative to this location, sorted."""
        base = self._path(prefix) if prefix else self.root
        try:
            found = self.fs.find(base)
        except _MISSING:
            return []
        strip = len(self.root.rstrip("/")) + 1 if self.root else 0
        keys = [p.replace("\\", "/")[strip:] for p in found]
        return sorted(k for k in keys if k)

    def child(self, subpath: str) -> Location:
        """A Location for a sub-directory/prefix, sharing the filesystem."""
        sub = validate_key(subpath)
        return Location(
            url=f"{self.url.rstrip('/')}/{sub}",
            root=self._path(sub),
            fs=self.fs,
            storage_options=self.storage_options,
            is_local=self.is_local,
        )

    def zarr_store(self, subpath: str = "", *, read_only: bool = True) -> Store:
        """A zarr store rooted at `subpath` (LocalStore on disk, FsspecStore for S3); read-only unless asked."""
        path = self._path(subpath) if subpath else self.root
        if self.is_local:
            if not read_only:
                Path(path).mkdir(parents=True, exist_ok=True)
            return LocalStore(path, read_only=read_only)
        scheme = self.url.split("://", 1)[0]
        return FsspecStore.from_url(
            f"{scheme}://{path}", storage_options=self.storage_options, read_only=read_only
        )

    def put_folder(self, local: Path, prefix: str) -> None:
        """Copy a local folder's files below `prefix` (to an object store, s3fs sends them concurrently)."""
        files = [p for p in sorted(local.rglob("*")) if p.is_file()]
        targets = [self._path(f"{prefix}/{p.relative_to(local).as_posix()}") for p in files]
        if self.is_local:
            for target in targets:
                Path(target).parent.mkdir(parents=True, exist_ok=True)
        self.fs.put([str(p) for p in files], targets)

    def remove(self, prefix: str) -> None:
        """Delete every object below `prefix` (a folder on disk); nothing happens when there is none."""
        path = self._path(prefix)
        try:
            self.fs.rm(path, recursive=True)
        except _MISSING:
            return


LocationCache: TypeAlias = BoundedCache[str, Location]  # by URL and options


def open_location(
    url: str | Path, storage_options: dict[str, Any] | None = None, *, cache: LocationCache = NO_CACHE
) -> Location:
    """Location for a local path (or `file://` URL) or `s3://bucket/prefix` (storage_options go to s3fs).

    Given the app's location cache (`voxelhub.caches.AppCaches.locations`), one instance per (url, options):
    resolving a local path costs tens of microseconds, which code that opens a location per bucket notices.
    """
    text = str(url)
    opts = dict(storage_options or {})
    key = json.dumps([text, opts], sort_keys=True, default=str)
    return cache.get_or_load(key, lambda: _make_location(text, opts))


def _make_location(text: str, opts: dict[str, Any]) -> Location:
    if text.startswith("file://"):
        text = text[len("file://") :]
    if "://" not in text:
        root = str(Path(text).expanduser().resolve())
        return Location(url=root, root=root, fs=LocalFileSystem(), storage_options={}, is_local=True)
    scheme, rest = text.split("://", 1)
    if scheme not in ("s3", "s3a"):
        raise InvalidKey(f"unsupported storage URL scheme {scheme!r}")
    rest = rest.strip("/")
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise InvalidKey("s3 URL without a bucket")
    if prefix:
        validate_key(prefix)
    fs = fsspec.filesystem("s3", **opts)
    return Location(url=f"s3://{rest}", root=rest, fs=fs, storage_options=opts, is_local=False)
