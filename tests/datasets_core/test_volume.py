"""read_box / read_buckets are voxel-exact against direct zarr-python reads, on disk and over S3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr

from tests.fixture_files import FIXTURES
from tests.storage.s3server import upload_dir
from voxelhub.datasets.scan import scan_dataset
from voxelhub.datasets.volume import VolumeError, parse_mag, read_box, read_buckets, to_wire_bytes
from voxelhub.storage import Location, open_location

WK_DATASETS = ["simple_zarr_dataset", "simple_zarr3_dataset", "synthetic", "temca2"]


def _wk_root(request: pytest.FixtureRequest, name: str) -> Path:
    if name in ("synthetic", "temca2"):
        return Path(request.getfixturevalue(f"{name}_dataset"))
    return FIXTURES / name


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _open(request: pytest.FixtureRequest, root: Path, backend: str) -> Location:
    if backend == "local":
        return open_location(root)
    options: dict[str, Any] = request.getfixturevalue("s3_options")
    return open_location(upload_dir(options, root, f"{root.parent.name}/{root.name}"), options)


def _reference_wk(
    root: Path, path: str, start: tuple[int, int, int], shape: tuple[int, int, int]
) -> np.ndarray:
    """Direct zarr read of a (c, x, y, z) array, zero-padded outside it, as (c, x, y, z)."""
    arr = zarr.open_array(str(root / path), mode="r")
    out = np.zeros((arr.shape[0], *shape), dtype=arr.dtype)
    lo = [max(s, 0) for s in start]
    hi = [min(start[i] + shape[i], arr.shape[i + 1]) for i in range(3)]
    if all(h > low for low, h in zip(lo, hi, strict=True)):
        out[
            :,
            lo[0] - start[0] : hi[0] - start[0],
            lo[1] - start[1] : hi[1] - start[1],
            lo[2] - start[2] : hi[2] - start[2],
        ] = arr[:, lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]]
    return out


def _overlaps(layer, mag, start, shape) -> bool:  # type: ignore[no-untyped-def]
    """Does a box (in mag voxels) touch the layer's bounding box (in mag-1 voxels)?"""
    box = layer.bounding_box
    return all(
        start[i] * mag[i] < box.end[i] and (start[i] + shape[i]) * mag[i] > box.top_left[i] for i in range(3)
    )


# temca2 has thousands of chunk files; its reads over S3 add nothing the other datasets do not cover.
@pytest.mark.parametrize(
    "name, backend", [(n, b) for n in WK_DATASETS for b in ("local", "s3") if (n, b) != ("temca2", "s3")]
)
def test_wk_read_box_matches_zarr(request: pytest.FixtureRequest, name: str, backend: str) -> None:
    root = _wk_root(request, name)
    location = _open(request, root, backend)
    source = scan_dataset(location)
    rng = np.random.default_rng(5)
    for layer in source.layers:
        for mag in layer.mags:
            extent = [-(-layer.bounding_box.size[i] // mag.mag[i]) for i in range(3)]
            for _ in range(3):
                start = tuple(int(rng.integers(-8, max(extent[i], 1))) for i in range(3))
                shape = tuple(int(rng.integers(1, 40)) for _ in range(3))
                offset = tuple(start[i] * mag.mag[i] for i in range(3))
                if not _overlaps(layer, mag.mag, start, shape):
                    with pytest.raises(VolumeError, match="outside the data"):
                        read_box(location, source, layer.name, mag.mag, offset, shape)
                    continue
                got = read_box(location, source, layer.name, mag.mag, offset, shape)
                want = _reference_wk(root, mag.path, start, shape)  # type: ignore[arg-type]
                if layer.num_channels == 1:
                    want = want[0]
                assert got.dtype == want.dtype and got.shape == want.shape
                np.testing.assert_array_equal(got, want)


def test_uint24_is_channel_first_and_interleaved_on_the_wire() -> None:
    root = FIXTURES / "simple_zarr3_dataset"
    location = open_location(root)
    source = scan_dataset(location)
    box = read_box(location, source, "color", (1, 1, 1), (0, 0, 0), (24, 24, 24))
    assert box.shape == (3, 24, 24, 24) and box.any()
    wire = to_wire_bytes(box)
    assert wire[:3] == bytes(box[:, 0, 0, 0]) and wire[3:6] == bytes(box[:, 1, 0, 0])


@pytest.mark.parametrize("fixture", ["ome04_dataset", "ome05_dataset"])
def test_ome_read_box(
    request: pytest.FixtureRequest, fixture: str, ome_volumes: dict[str, np.ndarray], backend: str
) -> None:
    location = _open(request, request.getfixturevalue(fixture), backend)
    source = scan_dataset(location)
    image_xyz = ome_volumes["image"].transpose(2, 1, 0)
    got = read_box(location, source, "color", (1, 1, 1), (5, 7, 3), (50, 40, 10))
    np.testing.assert_array_equal(got, image_xyz[5:55, 7:47, 3:13])
    mag2 = image_xyz[::2, ::2, :]
    got = read_box(location, source, "color", (2, 2, 1), (10, 20, 4), (40, 40, 40))
    want = np.zeros((40, 40, 40), np.uint16)
    part = mag2[5:45, 10:50, 4:44]
    want[: part.shape[0], : part.shape[1], : part.shape[2]] = part
    np.testing.assert_array_equal(got, want)
    labels_xyz = ome_volumes["labels"].transpose(2, 1, 0)[::4, ::4, ::2]
    got = read_box(location, source, "cells", (4, 4, 2), (0, 0, 0), labels_xyz.shape)
    np.testing.assert_array_equal(got, labels_xyz)


def test_read_buckets_matches_read_box(synthetic_dataset: Path) -> None:
    location = open_location(synthetic_dataset)
    source = scan_dataset(location)
    positions = [(0, 0, 0), (1, 0, 0), (4, 3, 2), (0, 0, 0), (5, 4, 3), (-1, 0, 0), (2, 1, 1)]
    for layer, mag in (("color", (1, 1, 1)), ("segmentation", (2, 2, 2))):
        data = read_buckets(location, source, layer, mag, positions)
        dtype = source.layer(layer).dtype  # type: ignore[union-attr]
        size = 32**3 * dtype.itemsize
        assert len(data) == size * len(positions)
        for i, (bx, by, bz) in enumerate(positions):
            offset = (bx * 32 * mag[0], by * 32 * mag[1], bz * 32 * mag[2])
            if not _overlaps(source.layer(layer), mag, (bx * 32, by * 32, bz * 32), (32, 32, 32)):
                assert not any(data[i * size : (i + 1) * size])  # buckets outside the data read as 0
                continue
            box = read_box(location, source, layer, mag, offset, (32, 32, 32))
            assert data[i * size : (i + 1) * size] == to_wire_bytes(box)


def test_read_buckets_multichannel() -> None:
    location = open_location(FIXTURES / "simple_zarr_dataset")
    source = scan_dataset(location)
    data = read_buckets(location, source, "color", (1, 1, 1), [(0, 0, 0)])
    box = read_box(location, source, "color", (1, 1, 1), (0, 0, 0), (32, 32, 32))
    assert data == to_wire_bytes(box) and len(data) == 3 * 32**3


@pytest.mark.parametrize(
    "layer, mag, shape",
    [
        ("nope", (1, 1, 1), (1, 1, 1)),
        ("color", (3, 3, 3), (1, 1, 1)),
        ("color", (1, 1, 1), (0, 4, 4)),
        ("color", (1, 1, 1), (-1, 4, 4)),
        ("color", (1, 1, 1), (513, 512, 512)),
        ("color", (0, 1, 1), (1, 1, 1)),
    ],
)
def test_bad_requests(layer: str, mag: tuple[int, int, int], shape: tuple[int, int, int]) -> None:
    location = open_location(FIXTURES / "simple_zarr3_dataset")
    source = scan_dataset(location)
    with pytest.raises(VolumeError):
        read_box(location, source, layer, mag, (0, 0, 0), shape)


def test_parse_mag() -> None:
    assert parse_mag("2") == (2, 2, 2) and parse_mag("2-2-1") == (2, 2, 1)
    for bad in ("0", "2-2", "a", "-1", "1-1-1-1", ""):
        with pytest.raises(VolumeError):
            parse_mag(bad)
