"""Reading zarr arrays chunk by chunk as raw bytes through a `Location`, decoded with numcodecs.

zarr-python reads a box through its own async codec pipeline: per chunk, several awaits, buffer objects and
an index transform. For the viewer's many small reads that machinery costs more than the bytes (the demo
volume: ~21 MB/s of 32³ buckets against ~160 MB/s for tensorstore). Here a chunk is one `Location` read
(so the storage profiles, timeouts and the store pool apply unchanged) and one or two C-level decodes
(blosc, zstd, gzip; transpose and byte order are numpy views). Decoded chunks are kept in a bounded cache
(`AppCaches.chunks`, sized by `VOXELHUB_DECODED_CHUNK_CACHE_MB`).

`fast_array(zarr_array, location, path)` describes an opened zarr array for this reader, or answers None
when it uses a codec not handled here; the caller then reads through zarr-python (same answers, slower).
Handled: zarr v2 (any numcodecs compressor and filters, C or F order) and zarr v3 with `transpose`, `bytes`,
`blosc`, `zstd`, `gzip`, `crc32c` and `sharding_indexed` (with those inside; index at the start or end).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numcodecs
import numpy as np
from numcodecs import blosc, zstd
from numcodecs.checksum32 import CRC32C

from voxelhub.caches import NO_CACHE, BoundedCache
from voxelhub.storage.location import Location

# Decoded chunks per (location URL, array path, chunk coordinates in the read grid). Datasets' chunk files are
# not rewritten in place (an upload gets a folder of its own), the same assumption as the array cache's.
ChunkCache: TypeAlias = BoundedCache[tuple[str, str, tuple[int, ...]], np.ndarray]
_EMPTY_SHARD_ENTRY = 2**64 - 1


class UnsupportedArray(Exception):
    """The array uses something this reader does not decode; read it through zarr-python instead."""


@dataclass(frozen=True)
class ChunkCodec:
    """How one stored chunk's bytes become its array: byte decoders (last applied first), then the raw
    buffer as `stored_shape` of `dtype` in C order, then `inverse` transposes it to the logical axes."""

    decoders: tuple[Callable[[bytes], Any], ...]
    dtype: np.dtype[Any]
    stored_shape: tuple[int, ...]
    inverse: tuple[int, ...] | None

    @property
    def size(self) -> int:
        return math.prod(self.stored_shape)

    def decode(self, data: bytes) -> np.ndarray:
        buffer: Any = data
        for decode in self.decoders:
            buffer = decode(buffer)
        flat = np.frombuffer(buffer, dtype=self.dtype)
        if flat.size != self.size:
            raise ValueError(f"a chunk holds {flat.size} values, expected {self.stored_shape}")
        array = flat.reshape(self.stored_shape)
        if not self.dtype.isnative:  # big-endian storage: the cache and the callers see native values
            array = array.astype(self.dtype.newbyteorder("="))
            array.flags.writeable = False  # shared through the cache: nobody may change it
        return array if self.inverse is None else array.transpose(self.inverse)


@dataclass(frozen=True)
class Sharding:
    """A shard file of `per_shard` inner chunks and its index (16 bytes per inner chunk, crc32c optional)."""

    per_shard: tuple[int, ...]
    index_at_end: bool
    index_checksum: bool

    @property
    def index_bytes(self) -> int:
        return int(np.prod(self.per_shard)) * 16 + (4 if self.index_checksum else 0)


@dataclass(frozen=True)
class FastArray:
    """An array as this reader sees it: the grid it reads in (inner chunks for a sharded array)."""

    location: Location
    path: str
    shape: tuple[int, ...]
    chunks: tuple[int, ...]  # the read grid
    dtype: np.dtype[Any]
    fill_value: Any
    codec: ChunkCodec
    key_of: Callable[[tuple[int, ...]], str]  # stored object of a (outer) chunk, relative to `path`
    sharding: Sharding | None = None

    def chunks_of(self, lo: Sequence[int], hi: Sequence[int]) -> list[tuple[int, ...]]:
        """The chunks of the read grid that the box [lo, hi) touches."""
        ranges = [range(low // c, (h - 1) // c + 1) for low, h, c in zip(lo, hi, self.chunks, strict=True)]
        return list(itertools.product(*ranges))

    def assemble(
        self, lo: Sequence[int], hi: Sequence[int], chunks: Mapping[tuple[int, ...], np.ndarray | None]
    ) -> np.ndarray:
        """Values [lo, hi) (inside the array, in its axis order) from decoded `chunks` (`read_chunks`). A box
        within one chunk is a view of it, not a copy."""
        coords = self.chunks_of(lo, hi)
        if len(coords) == 1:
            chunk = chunks[coords[0]]
            within = tuple(
                slice(low - i * c, h - i * c)
                for low, h, i, c in zip(lo, hi, coords[0], self.chunks, strict=True)
            )
            if chunk is not None:
                return chunk[within]
        out = np.empty([h - low for low, h in zip(lo, hi, strict=True)], dtype=self.dtype)
        for coord in coords:
            target: list[slice] = []
            source: list[slice] = []
            for axis, index in enumerate(coord):
                start = index * self.chunks[axis]
                a, b = max(lo[axis], start), min(hi[axis], start + self.chunks[axis])
                target.append(slice(a - lo[axis], b - lo[axis]))
                source.append(slice(a - start, b - start))
            chunk = chunks[coord]
            out[tuple(target)] = self.fill_value if chunk is None else chunk[tuple(source)]
        return out

    def read_chunks(
        self, coords: Sequence[tuple[int, ...]], cache: ChunkCache = NO_CACHE
    ) -> list[np.ndarray | None]:
        """Each chunk of the read grid decoded (None where nothing is stored), from `cache` when it has it."""
        found: list[np.ndarray | None] = [cache.get((self.location.url, self.path, c)) for c in coords]
        missing = [i for i, chunk in enumerate(found) if chunk is None]
        if not missing:
            return found
        wanted = [coords[i] for i in missing]
        raw = self._raw_sharded(wanted) if self.sharding else self._raw(wanted)
        for i, data in zip(missing, raw, strict=True):
            if data is None:
                continue
            chunk = self.codec.decode(data)
            cache.put((self.location.url, self.path, coords[i]), chunk)
            found[i] = chunk
        return found

    def _key(self, coord: tuple[int, ...]) -> str:
        return f"{self.path}/{self.key_of(coord)}" if self.path else self.key_of(coord)

    def _raw(self, coords: list[tuple[int, ...]]) -> list[bytes | None]:
        keys = [self._key(c) for c in coords]
        found = self.location.read_many(keys)
        return [found[k] for k in keys]

    def _raw_sharded(self, coords: list[tuple[int, ...]]) -> list[bytes | None]:
        assert self.sharding is not None
        per = self.sharding.per_shard
        shards = {tuple(c // p for c, p in zip(coord, per, strict=True)) for coord in coords}
        indexes = {shard: self._shard_index(shard) for shard in shards}
        out: list[bytes | None] = []
        for coord in coords:
            shard = tuple(c // p for c, p in zip(coord, per, strict=True))
            index = indexes[shard]
            if index is None:
                out.append(None)
                continue
            offset, nbytes = (int(v) for v in index[tuple(c % p for c, p in zip(coord, per, strict=True))])
            if offset == _EMPTY_SHARD_ENTRY and nbytes == _EMPTY_SHARD_ENTRY:
                out.append(None)
            else:
                out.append(self.location.read_range(self._key(shard), offset, offset + nbytes))
        return out

    def _shard_index(self, shard: tuple[int, ...]) -> np.ndarray | None:
        """(offset, nbytes) per inner chunk of a shard, None when the shard is not stored."""
        assert self.sharding is not None
        size = self.sharding.index_bytes
        key = self._key(shard)
        if self.sharding.index_at_end:
            total = self.location.size(key)
            data = None if total is None else self.location.read_range(key, max(0, total - size), total)
        else:
            data = self.location.read_range(key, 0, size)
        if data is None:
            return None
        if len(data) != size:
            raise ValueError(f"{key}: shard index of {len(data)} bytes, expected {size}")
        entries = np.frombuffer(data[: int(np.prod(self.sharding.per_shard)) * 16], dtype="<u8")
        return entries.reshape((*self.sharding.per_shard, 2))


def fast_array(array: Any, location: Location, path: str) -> FastArray | None:
    """This reader's view of an opened zarr-python array, or None when it cannot decode it."""
    try:
        if array.metadata.zarr_format == 2:
            return _from_v2(array, location, path)
        return _from_v3(array, location, path)
    except UnsupportedArray:
        return None


def _fill(array: Any, dtype: np.dtype[Any]) -> Any:
    value = array.metadata.fill_value
    return dtype.type(0) if value is None else np.asarray(value, dtype=dtype)[()]


def _from_v2(array: Any, location: Location, path: str) -> FastArray:
    meta = array.metadata
    dtype = np.dtype(meta.dtype.to_native_dtype())
    if dtype.hasobject or dtype.kind not in "biuf":
        raise UnsupportedArray(f"dtype {dtype}")
    decoders = [meta.compressor.decode] if meta.compressor is not None else []
    decoders += [f.decode for f in reversed(meta.filters or ())]
    chunks = tuple(meta.chunks)
    order = meta.order
    stored = chunks if order == "C" else chunks[::-1]
    inverse = None if order == "C" else tuple(reversed(range(len(chunks))))
    codec = ChunkCodec(tuple(decoders), dtype, stored, inverse)
    separator = meta.dimension_separator or "."
    return FastArray(
        location, path, tuple(meta.shape), chunks, dtype, _fill(array, dtype), codec,
        lambda coord: separator.join(map(str, coord)),
    )  # fmt: skip


def _from_v3(array: Any, location: Location, path: str) -> FastArray:
    meta = array.metadata
    dtype = np.dtype(meta.data_type.to_native_dtype())
    if dtype.hasobject or dtype.kind not in "biuf":
        raise UnsupportedArray(f"dtype {dtype}")
    if type(meta.chunk_grid).__name__ != "RegularChunkGrid":
        raise UnsupportedArray("irregular chunk grid")
    outer = tuple(meta.chunk_grid.chunk_shape)
    codecs = list(meta.codecs)
    sharding = None
    chunks = outer
    if len(codecs) == 1 and type(codecs[0]).__name__ == "ShardingCodec":
        shard = codecs[0]
        chunks = tuple(shard.chunk_shape)
        if any(o % c for o, c in zip(outer, chunks, strict=True)):
            raise UnsupportedArray("shard shape not a multiple of the inner chunks")
        names = [type(c).__name__ for c in shard.index_codecs]
        if names not in (["BytesCodec"], ["BytesCodec", "Crc32cCodec"]):
            raise UnsupportedArray(f"shard index codecs {names}")
        sharding = Sharding(
            per_shard=tuple(o // c for o, c in zip(outer, chunks, strict=True)),
            index_at_end=str(getattr(shard.index_location, "value", shard.index_location)) == "end",
            index_checksum=len(names) == 2,
        )
        codecs = list(shard.codecs)
    codec = _v3_codec(codecs, dtype, chunks)
    encoding = meta.chunk_key_encoding
    return FastArray(
        location, path, tuple(meta.shape), chunks, dtype, _fill(array, dtype), codec,
        lambda coord: encoding.encode_chunk_key(coord), sharding,
    )  # fmt: skip


def _v3_codec(codecs: list[Any], dtype: np.dtype[Any], chunks: tuple[int, ...]) -> ChunkCodec:
    """Array-to-array codecs (transpose), one array-to-bytes (bytes), then bytes-to-bytes ones."""
    order: tuple[int, ...] | None = None
    rest = list(codecs)
    while rest and type(rest[0]).__name__ == "TransposeCodec":
        step = tuple(int(i) for i in rest.pop(0).order)
        order = step if order is None else tuple(order[i] for i in step)
    if not rest or type(rest[0]).__name__ != "BytesCodec":
        raise UnsupportedArray("no bytes codec")
    endian = getattr(rest.pop(0).endian, "value", None)
    stored_dtype = dtype.newbyteorder(">" if endian == "big" else "<") if dtype.itemsize > 1 else dtype
    decoders = [_bytes_decoder(c) for c in reversed(rest)]
    stored = chunks if order is None else tuple(chunks[i] for i in order)
    inverse = None if order is None else tuple(int(i) for i in np.argsort(order))
    return ChunkCodec(tuple(decoders), stored_dtype, stored, inverse)


def _bytes_decoder(codec: Any) -> Callable[[bytes], Any]:
    name = type(codec).__name__
    # numcodecs' module functions, not its codec objects: those check their input's type on every call.
    if name == "BloscCodec":
        return blosc.decompress  # a blosc frame names its own compressor and shuffle
    if name == "ZstdCodec":
        return zstd.decompress
    if name == "GzipCodec":
        return numcodecs.GZip().decode
    if name == "Crc32cCodec":
        return CRC32C().decode  # checks the checksum (like zarr-python) and strips it
    raise UnsupportedArray(f"codec {name}")
