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
from voxelhub.settings import Settings
from voxelhub.storage.keys import InvalidKey, join_key, validate_key

_MISSING = (FileNotFoundError, IsADirectoryError, NotADirectoryError)


@dataclass(frozen=True)
class StoreTimeouts:
    """How long one object-store request may take (seconds) and how often it is tried.

    botocore's defaults (60 s to read, several retries, each multiplied again by s3fs's own five tries) made a
    paused store hold a request for minutes; these bound each call. The callers add a deadline for the whole
    work of a request (`voxelhub.storage.store_pool`), since retries still multiply these.
    """

    connect: float = 5.0
    read: float = 10.0
    attempts: int = 2  # s3fs's tries of one call of a Location (5 by default); botocore itself tries once

    def merged(self, options: dict[str, Any]) -> dict[str, Any]:
        """s3fs storage options with these timeouts, where the options do not set their own."""
        merged = dict(options)
        config = dict(merged.get("config_kwargs") or {})
        config.setdefault("connect_timeout", self.connect)
        config.setdefault("read_timeout", self.read)
        config.setdefault("retries", {"total_max_attempts": 1, "mode": "standard"})
        merged["config_kwargs"] = config
        # s3fs asks for the size (a HEAD, and a LIST when the key is missing) before a whole-object GET when
        # it may split the GET into concurrent ranges; chunks are small, so one GET is the fast way.
        merged.setdefault("max_concurrency", 1)
        return merged


DEFAULT_TIMEOUTS = StoreTimeouts()


def store_timeouts(settings: Settings) -> StoreTimeouts:
    """The operator's store timeouts (`VOXELHUB_STORE_CONNECT_TIMEOUT`, `VOXELHUB_STORE_READ_TIMEOUT`)."""
    return StoreTimeouts(
        connect=settings.store_connect_timeout_seconds, read=settings.store_read_timeout_seconds
    )


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

    @property
    def name(self) -> str:
        """How answers and logs name this location: its URL (`s3://bucket/prefix`), which holds no credentials
        (they and the endpoint live in the storage options)."""
        return self.url

    def _path(self, key: str) -> str:
        return join_key(self.root, validate_key(key)) if self.root else validate_key(key)

    def read(self, key: str) -> bytes | None:
        """Whole object, or None if it does not exist."""
        try:
            if self.is_local:  # what fsspec's local cat_file does, without its ~0.2 ms of layers per call
                with open(self._path(key), "rb") as file:
                    return file.read()
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

    def read_many(self, keys: list[str]) -> dict[str, bytes | None]:
        """Whole objects by key (None where missing). An object store fetches them concurrently (one s3fs
        call, its timeouts and retries as for `read`); local files are read one after the other (page-cache
        reads, cheaper than any hand-off to threads)."""
        if self.is_local:
            return {key: _read_local(self._path(key)) for key in keys}
        if len(keys) < 2:
            return {key: self.read(key) for key in keys}
        paths = {self._path(key): key for key in keys}
        found = self.fs.cat(list(paths), on_error="return")
        out: dict[str, bytes | None] = {}
        for path, key in paths.items():
            data = found.get(path)
            if isinstance(data, _MISSING) or data is None:
                out[key] = None
            elif isinstance(data, BaseException):
                raise data
            else:
                out[key] = bytes(data)
        return out

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
        store = FsspecStore.from_url(
            f"{scheme}://{path}", storage_options=self.storage_options, read_only=read_only
        )
        store.fs.retries = self.fs.retries  # as few tries as this location's own calls (`StoreTimeouts`)
        return store

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


def _read_local(path: str) -> bytes | None:
    # What fsspec's cat_file does, without its layers (a third of the time of a 30 KB chunk read).
    try:
        with open(path, "rb") as file:
            return file.read()
    except _MISSING:
        return None


LocationCache: TypeAlias = BoundedCache[str, Location]  # by URL and options


def open_location(
    url: str | Path,
    storage_options: dict[str, Any] | None = None,
    *,
    cache: LocationCache = NO_CACHE,
    timeouts: StoreTimeouts = DEFAULT_TIMEOUTS,
) -> Location:
    """Location for a local path (or `file://` URL) or `s3://bucket/prefix` (storage_options go to s3fs, with
    `timeouts` added where they set none).

    Given the app's location cache (`voxelhub.caches.AppCaches.locations`), one instance per (url, options):
    resolving a local path costs tens of microseconds, which code that opens a location per bucket notices.
    """
    text = str(url)
    opts = dict(storage_options or {})
    if _is_object_store(text):
        opts = timeouts.merged(opts)
    key = json.dumps([text, opts, timeouts.attempts], sort_keys=True, default=str)
    return cache.get_or_load(key, lambda: _make_location(text, opts, timeouts.attempts))


def _is_object_store(text: str) -> bool:
    return "://" in text and not text.startswith("file://")


def _make_location(text: str, opts: dict[str, Any], attempts: int) -> Location:
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
    fs.retries = attempts  # s3fs takes this as a class attribute, not as an option
    return Location(url=f"s3://{rest}", root=rest, fs=fs, storage_options=opts, is_local=False)
