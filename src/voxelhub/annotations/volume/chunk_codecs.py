"""Decoding zarr v3 chunks from uploaded volume archives, bounded by what a chunk can hold.

A chunk's decoded size is known before decoding: chunk shape × item size. Every codec here decodes into at
most that many bytes and refuses a chunk that would produce more (a 1 KB gzip stream may otherwise inflate to
gigabytes). zarr-python's own pipeline would allocate whatever the stream asks for, so uploads do not use it.
Supported: `transpose` (webKnossos' {"order": "F"} too), `bytes`, then `blosc`, `gzip`, `zlib`, `zstd`, `lz4`
and `crc32c`; anything else is refused by name. Every failure is a `ChunkError` naming the chunk.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numcodecs import blosc, lz4, zstd

_DTYPES = {"uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64", "float32", "float64"}
_PREFIX = "numcodecs."
# what a compressed chunk may add to its decoded size (headers, incompressible data); beyond that the stored
# chunk cannot be a chunk of this array
STORED_OVERHEAD = 1 << 16


class ChunkError(ValueError):
    """A chunk or its array metadata cannot be decoded."""


@dataclass(frozen=True)
class ChunkLayout:
    """How to decode the chunks of one zarr v3 array: checked once from its zarr.json."""

    dtype: np.dtype
    chunk_shape: tuple[int, ...]
    order: tuple[int, ...]  # the transpose codec's permutation (identity when absent)
    byte_codecs: tuple[str, ...]  # bytes-to-bytes codecs, in encoding order

    @property
    def chunk_bytes(self) -> int:
        return int(np.prod(self.chunk_shape)) * self.dtype.itemsize


def chunk_layout(meta: dict[str, Any], name: str) -> ChunkLayout:
    """The decoding recipe of an array's zarr.json, or ChunkError naming `name`."""
    try:
        dtype_name = meta["data_type"]
        shape = tuple(meta["chunk_grid"]["configuration"]["chunk_shape"])
        codecs = list(meta["codecs"])
    except (KeyError, TypeError) as exc:
        raise ChunkError(f"{name}: missing {exc}") from None
    if dtype_name not in _DTYPES:
        raise ChunkError(f"{name}: data_type {dtype_name!r} is not supported")
    if not shape or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in shape):
        raise ChunkError(f"{name}: chunk_shape must be positive integers")
    order, endian, byte_codecs = tuple(range(len(shape))), "little", []
    for codec in codecs:
        codec_name, conf = _codec(codec, name)
        if codec_name == "transpose":
            order = _order(conf.get("order"), len(shape), name)
        elif codec_name == "bytes":
            endian = conf.get("endian", "little")
        elif codec_name in _BYTE_DECODERS:
            byte_codecs.append(codec_name)
        else:
            raise ChunkError(f"{name}: codec {codec_name!r} is not supported in uploads")
    if endian not in ("little", "big"):
        raise ChunkError(f"{name}: bytes codec endian {endian!r}")
    dtype = np.dtype(dtype_name).newbyteorder("<" if endian == "little" else ">")
    return ChunkLayout(dtype=dtype, chunk_shape=shape, order=order, byte_codecs=tuple(byte_codecs))


def _codec(codec: Any, name: str) -> tuple[str, dict[str, Any]]:
    if not isinstance(codec, dict) or not isinstance(codec.get("name"), str):
        raise ChunkError(f"{name}: a codec must be an object with a name")
    conf = codec.get("configuration") or {}
    if not isinstance(conf, dict):
        raise ChunkError(f"{name}: codec {codec['name']!r} has a bad configuration")
    codec_name = codec["name"].removeprefix(_PREFIX)
    return codec_name, conf


def _order(raw: Any, ndim: int, name: str) -> tuple[int, ...]:
    if raw == "F":
        return tuple(range(ndim))[::-1]
    if raw == "C":
        return tuple(range(ndim))
    if isinstance(raw, list) and sorted(raw) == list(range(ndim)):
        return tuple(raw)
    raise ChunkError(f"{name}: transpose order {raw!r} is not a permutation of {ndim} axes")


def decode_chunk(raw: bytes, layout: ChunkLayout, name: str) -> np.ndarray:
    """The chunk's voxels in array axis order (chunk_shape), decoding at most `chunk_bytes` bytes."""
    bound = layout.chunk_bytes
    data = raw
    try:
        for index, codec_name in reversed(list(enumerate(layout.byte_codecs))):
            # only the last decoder yields the chunk itself; one in between yields another codec's stream
            data = _BYTE_DECODERS[codec_name](data, bound if index == 0 else bound + STORED_OVERHEAD)
    except ChunkError as exc:
        raise ChunkError(f"{name}: {exc}") from None
    except (RuntimeError, ValueError, zlib.error, struct.error, MemoryError) as exc:
        raise ChunkError(f"{name}: does not decode ({exc})") from None
    if len(data) != bound:
        raise ChunkError(f"{name}: decodes to {len(data)} bytes, not the chunk's {bound}")
    stored_shape = tuple(layout.chunk_shape[i] for i in layout.order)
    stored = np.frombuffer(data, dtype=layout.dtype).reshape(stored_shape)
    return np.transpose(stored, np.argsort(layout.order))


def _zlib(wbits: int) -> Callable[[bytes, int], bytes]:
    def decode(data: bytes, bound: int) -> bytes:
        inflater = zlib.decompressobj(wbits)
        out = inflater.decompress(data, bound + 1)
        if len(out) > bound or inflater.unconsumed_tail:
            raise ChunkError(f"decodes to more than {bound} bytes")
        if not inflater.eof:
            raise ChunkError("the compressed stream is cut short")
        return out

    return decode


def _into(decoder: Callable[..., Any]) -> Callable[[bytes, int], bytes]:
    """A numcodecs decoder that writes into a buffer of exactly `bound` bytes (it refuses larger output)."""

    def decode(data: bytes, bound: int) -> bytes:
        dest = bytearray(bound)
        decoder(data, dest)
        return bytes(dest)

    return decode


def _blosc(data: bytes, bound: int) -> bytes:
    if len(data) < 16:
        raise ChunkError("blosc: shorter than its header")
    nbytes = struct.unpack_from("<I", data, 4)[0]
    if nbytes > bound:
        raise ChunkError(f"blosc: holds {nbytes} bytes, more than {bound}")
    return _into(blosc.decompress)(data, nbytes)


def _lz4(data: bytes, bound: int) -> bytes:
    nbytes = struct.unpack_from("<i", data)[0] if len(data) >= 4 else -1
    if not 0 <= nbytes <= bound:
        raise ChunkError(f"lz4: does not hold at most {bound} bytes")
    return _into(lz4.decompress)(data, nbytes)


def _crc32c(data: bytes, bound: int) -> bytes:
    import google_crc32c

    if len(data) < 4 or google_crc32c.value(data[:-4]) != struct.unpack("<I", data[-4:])[0]:
        raise ChunkError("crc32c checksum mismatch")
    return data[:-4]


_BYTE_DECODERS: dict[str, Callable[[bytes, int], bytes]] = {
    "gzip": _zlib(16 + zlib.MAX_WBITS),
    "zlib": _zlib(zlib.MAX_WBITS),
    "blosc": _blosc,
    "lz4": _lz4,
    "zstd": _into(zstd.decompress),
    "crc32c": _crc32c,
}
