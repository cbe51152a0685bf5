"""The chunk engine (raw chunk bytes + numcodecs) against zarr-python: the same values for random boxes,
edges and out-of-bounds fill included, over every codec layout the engine claims, locally and on S3."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numcodecs
import numpy as np
import pytest
import zarr
from zarr.codecs import (
    BloscCodec,
    BytesCodec,
    Crc32cCodec,
    GzipCodec,
    ShardingCodec,
    TransposeCodec,
    ZstdCodec,
)
from zarr.codecs.numcodecs import BZ2
from zarr.storage import LocalStore

from tests.fixture_files import FIXTURES
from tests.storage.s3server import upload_dir
from voxelhub.caches import BoundedCache
from voxelhub.datasets.scan import scan_dataset
from voxelhub.datasets.volume import read_box, read_buckets, to_wire_bytes
from voxelhub.storage import open_array, open_location
from voxelhub.storage.chunk_engine import fast_array

SHAPE = (70, 45, 37)  # not a multiple of any chunk shape below: edge chunks are partial


def _v3(**options: Any) -> dict[str, Any]:
    return {"zarr_format": 3, **options}


# name -> (dtype, create_array options). Each is read by the engine (fast_array is not None).
LAYOUTS: dict[str, tuple[str, dict[str, Any]]] = {
    "v3 transpose+blosc": (
        "uint8",
        _v3(
            chunks=(16, 16, 16),
            filters=[TransposeCodec(order=(2, 1, 0))],
            compressors=[BloscCodec(cname="zstd", clevel=1, shuffle="shuffle")],
        ),
    ),
    "v3 big-endian zstd": (
        "uint16",
        _v3(chunks=(32, 8, 16), serializer=BytesCodec(endian="big"), compressors=[ZstdCodec(level=2)]),
    ),
    "v3 gzip+crc32c": (
        "uint32",
        _v3(chunks=(20, 20, 20), compressors=[GzipCodec(level=1), Crc32cCodec()]),
    ),
    "v3 uncompressed int64": ("int64", _v3(chunks=(64, 64, 64), compressors=None)),
    "v3 sharded, index at end": (
        "uint8",
        _v3(chunks=(8, 8, 8), shards=(32, 16, 16), compressors=[BloscCodec(cname="lz4")]),
    ),
    "v3 sharded, index at start": (
        "float32",
        _v3(
            chunks=(32, 16, 16),
            serializer=ShardingCodec(
                chunk_shape=(8, 8, 8),
                codecs=[TransposeCodec(order=(1, 2, 0)), BytesCodec(), ZstdCodec()],
                index_location="start",
            ),
            compressors=None,
        ),
    ),
    "v2 C blosc": ("uint16", {"zarr_format": 2, "chunks": (16, 32, 8)}),
    "v2 F order delta+zstd": (
        "int16",
        {
            "zarr_format": 2,
            "chunks": (24, 24, 24),
            "order": "F",
            "filters": [numcodecs.Delta(dtype="int16")],
            "compressors": numcodecs.Zstd(level=1),
            "chunk_key_encoding": {"name": "v2", "separator": "/"},
        },
    ),
}


def _write(root: Path, name: str) -> np.ndarray:
    dtype, options = LAYOUTS[name]
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    data = rng.integers(0, 200, size=SHAPE).astype(dtype)
    data[:, :, 30:] = 0  # some chunks stay unwritten (zarr skips chunks equal to the fill value)
    array = zarr.create_array(
        store=LocalStore(root), name="a", shape=SHAPE, dtype=dtype, fill_value=0, **options
    )
    array[...] = data
    return data


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_random_boxes_equal_zarr_python(tmp_path: Path, name: str) -> None:
    data = _write(tmp_path, name)
    location = open_location(tmp_path)
    array = open_array(location, "a")
    fast = fast_array(array, location, "a")
    assert fast is not None, "the engine must read this layout itself"
    cache = BoundedCache(4096, max_bytes=64 * 1024**2, weigh=lambda chunk: int(chunk.nbytes))
    rng = np.random.default_rng(3)
    for _ in range(40):
        lo = [int(rng.integers(0, n)) for n in SHAPE]
        hi = [int(rng.integers(low + 1, n + 1)) for low, n in zip(lo, SHAPE, strict=True)]
        wanted = fast.chunks_of(lo, hi)
        decoded = dict(zip(wanted, fast.read_chunks(wanted, cache), strict=True))
        got = fast.assemble(lo, hi, decoded)
        np.testing.assert_array_equal(got, data[tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))])
        assert got.dtype == data.dtype
    assert len(cache) > 0
    stored = [c for c in fast.chunks_of((0, 0, 0), SHAPE) if c[2] * fast.chunks[2] >= 30]
    assert all(chunk is None for chunk in fast.read_chunks(stored)), "unwritten chunks read as missing"


def test_unknown_codecs_fall_back_to_zarr_python(tmp_path: Path) -> None:
    zarr.create_array(
        store=LocalStore(tmp_path),
        name="a",
        shape=(8, 8),
        dtype="uint8",
        zarr_format=2,
        chunks=(4, 4),
        compressors=numcodecs.BZ2(),
    )
    location = open_location(tmp_path)
    fast = fast_array(open_array(location, "a"), location, "a")
    assert fast is not None  # zarr v2 hands its numcodecs compressor over as it is
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zarr warns that numcodecs' codecs in zarr v3 are not yet specified
        zarr.create_array(
            store=LocalStore(tmp_path),
            name="b",
            shape=(8, 8),
            dtype="uint8",
            zarr_format=3,
            chunks=(4, 4),
            compressors=[BZ2()],
        )
        assert fast_array(open_array(location, "b"), location, "b") is None


WK = ["simple_zarr_dataset", "simple_zarr3_dataset", "synthetic"]


def _root(request: pytest.FixtureRequest, name: str) -> Path:
    return Path(request.getfixturevalue("synthetic_dataset")) if name == "synthetic" else FIXTURES / name


@pytest.mark.parametrize("backend", ["local", "s3"])
@pytest.mark.parametrize("name", WK)
def test_buckets_through_the_engine_equal_zarr_python(
    request: pytest.FixtureRequest, name: str, backend: str
) -> None:
    """Buckets of the fixture datasets (sharded, v2, transpose+blosc), edges and beyond-the-edge positions
    included, twice (the second time from the decoded-chunk cache)."""
    root = _root(request, name)
    if backend == "local":
        location = open_location(root)
    else:
        options = request.getfixturevalue("s3_options")
        location = open_location(upload_dir(options, root, f"engine/{name}"), options)
    source = scan_dataset(location)
    cache = BoundedCache(4096, max_bytes=64 * 1024**2, weigh=lambda chunk: int(chunk.nbytes))
    rng = np.random.default_rng(11)
    for layer in source.layers:
        for mag in layer.mags:
            reference = zarr.open_array(str(root / mag.path), mode="r")
            assert fast_array(open_array(location, mag.path), location, mag.path) is not None
            extent = [-(-reference.shape[i + 1] // 32) for i in range(3)]
            positions = {tuple(int(rng.integers(0, e + 1)) for e in extent) for _ in range(12)}
            positions.add(tuple(e - 1 for e in extent))  # the last, partial bucket
            ordered = sorted(positions)
            for _ in range(2):
                raw = read_buckets(location, source, layer.name, mag.mag, ordered, chunks=cache)
                size = 32**3 * layer.num_channels * layer.dtype.itemsize
                for k, pos in enumerate(ordered):
                    want = np.zeros((layer.num_channels, 32, 32, 32), dtype=layer.dtype)
                    part = reference[
                        :,
                        pos[0] * 32 : pos[0] * 32 + 32,
                        pos[1] * 32 : pos[1] * 32 + 32,
                        pos[2] * 32 : pos[2] * 32 + 32,
                    ]
                    want[:, : part.shape[1], : part.shape[2], : part.shape[3]] = part
                    assert raw[k * size : (k + 1) * size] == to_wire_bytes(want), (name, mag.mag, pos)
    assert len(cache) > 0


def test_read_box_uses_and_survives_the_cache(synthetic_dataset: Path) -> None:
    location = open_location(synthetic_dataset)
    source = scan_dataset(location)
    cache = BoundedCache(4096, max_bytes=8 * 1024**2, weigh=lambda chunk: int(chunk.nbytes))
    first = read_box(location, source, "color", (1, 1, 1), (20, 30, 10), (70, 50, 33), chunks=cache)
    cached = len(cache)
    again = read_box(location, source, "color", (1, 1, 1), (20, 30, 10), (70, 50, 33), chunks=cache)
    np.testing.assert_array_equal(first, again)
    assert cached == len(cache) > 0
    reference = zarr.open_array(str(synthetic_dataset / "color" / "1"), mode="r")
    np.testing.assert_array_equal(first, reference[0, 20:90, 30:80, 10:43])
