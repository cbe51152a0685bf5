from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.fixture_files import FIXTURES
from voxelhub.datasets.scan import scan_dataset
from voxelhub.datasets.thumbnail import layer_thumbnail, segment_colors
from voxelhub.datasets.volume import VolumeError
from voxelhub.storage import open_location


def _png(data: bytes) -> Image.Image:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return Image.open(io.BytesIO(data))


def test_temca2_thumbnail_is_small_and_not_flat(temca2_dataset: Path) -> None:
    location = open_location(temca2_dataset)
    image = _png(layer_thumbnail(location, scan_dataset(location), "color"))
    assert image.size == (256, 256) and image.mode == "L"
    assert np.asarray(image).std() > 10


def test_segmentation_thumbnail_colours(synthetic_dataset: Path) -> None:
    location = open_location(synthetic_dataset)
    image = _png(layer_thumbnail(location, scan_dataset(location), "segmentation", size=64))
    assert image.mode == "RGB" and max(image.size) <= 64
    assert len({tuple(p) for p in np.asarray(image).reshape(-1, 3)}) > 3


def test_rgb_thumbnail_and_errors() -> None:
    location = open_location(FIXTURES / "simple_zarr_dataset")
    source = scan_dataset(location)
    assert _png(layer_thumbnail(location, source, "color")).size == (24, 24)
    with pytest.raises(VolumeError):
        layer_thumbnail(location, source, "missing")


def test_segment_colors_are_stable() -> None:
    colors = segment_colors(np.array([0, 1, 2, 1], dtype=np.uint32))
    assert colors[0].tolist() == [0, 0, 0] and colors[1].tolist() == colors[3].tolist()
    assert colors[1].tolist() != colors[2].tolist()
