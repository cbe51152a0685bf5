"""Fixtures for the dataset core: the webKnossos-libs fixture datasets, OME-Zarr datasets built here,
small demo datasets, and an S3-compatible server (moto) on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
from zarr.storage import LocalStore

from tests.fixture_files import TEMCA2_TILES_DIR
from tests.storage.s3server import running_s3
from voxelhub.datasets.demo_data import build_synthetic, build_temca2


def _v2_array(root: Path, name: str, data: np.ndarray, chunks: tuple[int, ...]) -> None:
    arr = zarr.create_array(
        store=LocalStore(root),
        name=name,
        shape=data.shape,
        dtype=data.dtype,
        chunks=chunks,
        zarr_format=2,
        compressors=None,
        chunk_key_encoding={"name": "v2", "separator": "/"},
    )
    arr[...] = data


def _v3_array(root: Path, name: str, data: np.ndarray, chunks: tuple[int, ...], dims: list[str]) -> None:
    arr = zarr.create_array(
        store=LocalStore(root),
        name=name,
        shape=data.shape,
        dtype=data.dtype,
        chunks=chunks,
        zarr_format=3,
        dimension_names=dims,
    )
    arr[...] = data


def _multiscales(
    axes: list[dict[str, Any]], scales: list[list[float]], version: str | None
) -> list[dict[str, Any]]:
    entry: dict[str, Any] = {
        "axes": axes,
        "name": "image",
        "datasets": [
            {"path": str(i), "coordinateTransformations": [{"type": "scale", "scale": s}]}
            for i, s in enumerate(scales)
        ],
    }
    if version:
        entry["version"] = version
    return [entry]


def _pyramid(zyx: np.ndarray) -> list[np.ndarray]:
    """Level 1 halves x and y only (mag 2-2-1); level 2 halves all (mag 4-4-2)."""
    return [zyx, zyx[:, ::2, ::2], zyx[::2, ::4, ::4]]


OME_SCALES_ZYX = [[40.0, 8.0, 8.0], [40.0, 16.0, 16.0], [80.0, 32.0, 32.0]]
SPACE = [{"name": a, "type": "space", "unit": "nanometer"} for a in "zyx"]


@pytest.fixture(scope="session")
def ome_volumes() -> dict[str, np.ndarray]:
    """Image (z, y, x) uint16 and labels (z, y, x) uint32 shared by both OME-Zarr datasets."""
    rng = np.random.default_rng(7)
    image = rng.integers(0, 60000, size=(20, 70, 90), dtype=np.uint16)
    labels = (np.arange(20 * 70 * 90, dtype=np.uint32).reshape(20, 70, 90) // 97) % 50
    return {"image": image, "labels": labels}


@pytest.fixture(scope="session")
def ome04_dataset(tmp_path_factory: pytest.TempPathFactory, ome_volumes: dict[str, np.ndarray]) -> Path:
    """NGFF 0.4 on zarr v2: image axes (c, z, y, x) with one channel, labels/cells (z, y, x)."""
    root = tmp_path_factory.mktemp("ome") / "sample04.ome.zarr"
    zarr.open_group(LocalStore(root), mode="w", zarr_format=2)
    axes = [{"name": "c", "type": "channel"}, *SPACE]
    for i, level in enumerate(_pyramid(ome_volumes["image"])):
        _v2_array(root, str(i), level[np.newaxis], (1, 8, 32, 32))
    (root / ".zattrs").write_text(
        json.dumps({"multiscales": _multiscales(axes, [[1.0, *s] for s in OME_SCALES_ZYX], "0.4")})
    )
    zarr.open_group(LocalStore(root / "labels"), mode="w", zarr_format=2)
    (root / "labels" / ".zattrs").write_text(json.dumps({"labels": ["cells"]}))
    zarr.open_group(LocalStore(root / "labels" / "cells"), mode="w", zarr_format=2)
    for i, level in enumerate(_pyramid(ome_volumes["labels"])):
        _v2_array(root / "labels" / "cells", str(i), level, (8, 32, 32))
    (root / "labels" / "cells" / ".zattrs").write_text(
        json.dumps(
            {"multiscales": _multiscales(SPACE, OME_SCALES_ZYX, "0.4"), "image-label": {"version": "0.4"}}
        )
    )
    return root


def _write_v3_group(path: Path, attributes: dict[str, Any]) -> None:
    path.mkdir(parents=True, exist_ok=True)
    (path / "zarr.json").write_text(
        json.dumps({"zarr_format": 3, "node_type": "group", "attributes": attributes})
    )


@pytest.fixture(scope="session")
def ome05_dataset(tmp_path_factory: pytest.TempPathFactory, ome_volumes: dict[str, np.ndarray]) -> Path:
    """NGFF 0.5 on zarr v3: image axes (t, z, y, x) with one time point, labels/cells (z, y, x)."""
    root = tmp_path_factory.mktemp("ome") / "sample05.ome.zarr"
    axes = [{"name": "t", "type": "time", "unit": "second"}, *SPACE]
    for i, level in enumerate(_pyramid(ome_volumes["image"])):
        _v3_array(root, str(i), level[np.newaxis], (1, 8, 32, 32), ["t", "z", "y", "x"])
    _write_v3_group(
        root,
        {
            "ome": {
                "version": "0.5",
                "multiscales": _multiscales(axes, [[1.0, *s] for s in OME_SCALES_ZYX], None),
            }
        },
    )
    for i, level in enumerate(_pyramid(ome_volumes["labels"])):
        _v3_array(root / "labels" / "cells", str(i), level, (8, 32, 32), ["z", "y", "x"])
    _write_v3_group(root / "labels", {"ome": {"version": "0.5", "labels": ["cells"]}})
    _write_v3_group(
        root / "labels" / "cells",
        {
            "ome": {
                "version": "0.5",
                "multiscales": _multiscales(SPACE, OME_SCALES_ZYX, None),
                "image-label": {},
            }
        },
    )
    return root


@pytest.fixture(scope="session")
def synthetic_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_synthetic(tmp_path_factory.mktemp("demo") / "synthetic", size=(160, 128, 72), seed=3)


@pytest.fixture(scope="session")
def temca2_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_temca2(tmp_path_factory.mktemp("demo") / "temca2", TEMCA2_TILES_DIR)


@pytest.fixture(scope="session")
def s3_options() -> Iterator[dict[str, Any]]:
    with running_s3() as options:
        yield options
