"""The same behaviour from both backends: local disk and an S3-compatible server on loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr

from tests.storage.s3server import upload_dir
from voxelhub.caches import BoundedCache
from voxelhub.storage import InvalidKey, Location, LocationCache, open_array, open_location


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("loc") / "sample"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"hello world")
    (root / "sub" / "b.bin").write_bytes(bytes(range(256)))
    arr = zarr.create_array(store=str(root / "arr"), shape=(10, 12), chunks=(4, 4), dtype="uint16")
    arr[...] = np.arange(120, dtype=np.uint16).reshape(10, 12)
    return root


@pytest.fixture(scope="module", params=["local", "s3"])
def location(request: pytest.FixtureRequest, sample_dir: Path) -> Location:
    if request.param == "local":
        return open_location(str(sample_dir))
    options: dict[str, Any] = request.getfixturevalue("s3_options")
    return open_location(upload_dir(options, sample_dir, "loc/sample"), options)


def test_read_and_missing(location: Location) -> None:
    assert location.read("a.txt") == b"hello world"
    assert location.read("nope.txt") is None
    assert location.read("sub") is None


def test_read_range(location: Location) -> None:
    assert location.read_range("sub/b.bin", 10, 14) == bytes([10, 11, 12, 13])
    assert location.read_range("sub/b.bin", 250) == bytes(range(250, 256))
    assert location.read_range("missing.bin", 0, 4) is None


def test_exists_size_and_list(location: Location) -> None:
    assert location.exists("a.txt") and not location.exists("sub") and not location.exists("x")
    assert location.size("sub/b.bin") == 256
    keys = location.list()
    assert {"a.txt", "sub/b.bin", "arr/zarr.json"} <= set(keys)
    assert location.list("sub") == ["sub/b.bin"]
    assert location.list("missing") == []


def test_child_and_zarr_store(location: Location) -> None:
    assert location.child("sub").read("b.bin") == bytes(range(256))
    arr = open_array(location, "arr")
    np.testing.assert_array_equal(arr[2:9, 3:11], np.arange(120, dtype=np.uint16).reshape(10, 12)[2:9, 3:11])


@pytest.mark.parametrize("key", ["../a.txt", "/etc/passwd", "sub/../../x", "a\\b", "x\x00"])
def test_traversal_refused(location: Location, key: str) -> None:
    for call in (location.read, location.exists, location.child):
        with pytest.raises(InvalidKey):
            call(key)
    with pytest.raises(InvalidKey):
        location.read_range(key, 0, 1)


def test_open_location_is_cached_and_rejects_other_schemes(sample_dir: Path) -> None:
    cache: LocationCache = BoundedCache(4)
    assert open_location(str(sample_dir), cache=cache) is open_location(str(sample_dir), cache=cache)
    with pytest.raises(InvalidKey):
        open_location("http://example.org/x")
    with pytest.raises(InvalidKey):
        open_location("s3://bucket/../other")
