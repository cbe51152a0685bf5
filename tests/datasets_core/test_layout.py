"""Scanning dataset folders: webKnossos layout, OME-Zarr 0.4/0.5, and broken folders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.fixture_files import FIXTURES
from voxelhub.datasets.layout import DatasetFormatError, DataSource
from voxelhub.datasets.scan import scan_dataset
from voxelhub.storage import open_location


@pytest.mark.parametrize(
    "name, path, fmt", [("simple_zarr_dataset", "color/1-1-1", 2), ("simple_zarr3_dataset", "color/1", 3)]
)
def test_fixture_datasets_scan(name: str, path: str, fmt: int) -> None:
    source = scan_dataset(open_location(FIXTURES / name))
    (layer,) = source.layers
    assert (layer.name, layer.category, layer.element_class, layer.num_channels) == (
        "color",
        "color",
        "uint24",
        3,
    )
    assert layer.bounding_box.size == (24, 24, 24)
    assert [(m.mag, m.path, m.axes, m.zarr_format) for m in layer.mags] == [
        ((1, 1, 1), path, ("c", "x", "y", "z"), fmt)
    ]
    assert source.scale is not None and source.scale.factor == (1.0, 1.0, 1.0)


def test_wk_json_round_trip(synthetic_dataset: Path) -> None:
    source = scan_dataset(open_location(synthetic_dataset))
    data = json.loads(json.dumps(source.to_wk_json()))
    assert DataSource.from_wk_json(data) == source
    seg = next(layer for layer in data["dataLayers"] if layer["category"] == "segmentation")
    assert seg["largestSegmentId"] > 0 and seg["elementClass"] == "uint32"
    assert seg["boundingBox"] == {"topLeft": [0, 0, 0], "width": 160, "height": 128, "depth": 72}
    assert [m["mag"] for m in seg["mags"]] == [[1, 1, 1], [2, 2, 2], [4, 4, 4], [8, 8, 8]]
    assert data["scale"] == {"factor": [8.0, 8.0, 8.0], "unit": "nanometer"}


def test_temca2_demo_scans(temca2_dataset: Path) -> None:
    source = scan_dataset(open_location(temca2_dataset))
    (layer,) = source.layers
    assert layer.bounding_box.size == (2048, 2048, 3)
    assert [m.mag for m in layer.mags] == [(1, 1, 1), (2, 2, 1), (4, 4, 1), (8, 8, 1)]
    assert source.scale is not None and source.scale.factor == (4.0, 4.0, 40.0)


@pytest.mark.parametrize("fixture, fmt", [("ome04_dataset", 2), ("ome05_dataset", 3)])
def test_ome_zarr_scans(request: pytest.FixtureRequest, fixture: str, fmt: int) -> None:
    source = scan_dataset(open_location(request.getfixturevalue(fixture)))
    assert source.source_format == "ome-zarr"
    image, labels = source.layers
    assert (image.name, image.category, image.element_class) == ("color", "color", "uint16")
    assert (labels.name, labels.category, labels.element_class) == ("cells", "segmentation", "uint32")
    assert image.bounding_box.size == (90, 70, 20)
    assert [m.mag for m in image.mags] == [(1, 1, 1), (2, 2, 1), (4, 4, 2)]
    assert [m.path for m in labels.mags] == ["labels/cells/0", "labels/cells/1", "labels/cells/2"]
    assert source.scale is not None and source.scale.factor == (8.0, 8.0, 40.0)
    assert source.scale.unit == "nanometer"
    assert all(m.zarr_format == fmt for m in image.mags)
    assert DataSource.from_wk_json(source.to_wk_json()) == source


def test_ome_without_scale_says_so(tmp_path: Path, ome04_dataset: Path) -> None:
    root = tmp_path / "noscale.zarr"
    shutil.copytree(ome04_dataset, root)
    attrs = json.loads((root / ".zattrs").read_text())
    for dataset in attrs["multiscales"][0]["datasets"]:
        del dataset["coordinateTransformations"]
    (root / ".zattrs").write_text(json.dumps(attrs))
    source = scan_dataset(open_location(root))
    assert source.scale is None and any("voxel size" in n for n in source.notes)
    assert [m.mag for m in source.layers[0].mags] == [(1, 1, 1), (2, 2, 1), (4, 4, 2)]
    assert source.to_wk_json()["scale"] is None


def _broken_copy(tmp_path: Path) -> Path:
    root = tmp_path / "broken"
    shutil.copytree(FIXTURES / "simple_zarr3_dataset", root)
    (root / "datasource-properties.json").chmod(0o644)
    return root


def _edit_props(root: Path, edit: object) -> None:
    path = root / "datasource-properties.json"
    data = json.loads(path.read_text())
    edit(data)  # type: ignore[operator]
    path.write_text(json.dumps(data))


def test_missing_properties(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetFormatError, match="datasource-properties.json") as info:
        scan_dataset(open_location(tmp_path / "empty"))
    assert info.value.path == "datasource-properties.json"


def test_bad_json(tmp_path: Path) -> None:
    root = _broken_copy(tmp_path)
    (root / "datasource-properties.json").write_text("{not json")
    with pytest.raises(DatasetFormatError, match=r"datasource-properties.json: not valid JSON"):
        scan_dataset(open_location(root))


def test_unknown_element_class(tmp_path: Path) -> None:
    root = _broken_copy(tmp_path)
    _edit_props(root, lambda d: d["dataLayers"][0].update(elementClass="uint12"))
    with pytest.raises(
        DatasetFormatError, match=r"datasource-properties.json: .*unknown elementClass 'uint12'"
    ):
        scan_dataset(open_location(root))


def test_unknown_category_and_format(tmp_path: Path) -> None:
    root = _broken_copy(tmp_path)
    _edit_props(root, lambda d: d["dataLayers"][0].update(dataFormat="n5"))
    with pytest.raises(DatasetFormatError, match="unsupported dataFormat 'n5'"):
        scan_dataset(open_location(root))


def test_missing_mag_array(tmp_path: Path) -> None:
    root = _broken_copy(tmp_path)
    _edit_props(root, lambda d: d["dataLayers"][0]["mags"].append({"mag": [2, 2, 2], "path": "./color/2"}))
    with pytest.raises(DatasetFormatError, match=r"color/2/zarr.json: .*zarr array not found") as info:
        scan_dataset(open_location(root))
    assert info.value.path == "color/2/zarr.json"


def test_dtype_mismatch(tmp_path: Path) -> None:
    root = _broken_copy(tmp_path)
    _edit_props(root, lambda d: d["dataLayers"][0].update(elementClass="uint16"))
    with pytest.raises(DatasetFormatError, match=r"color/1/zarr.json: array dtype uint8"):
        scan_dataset(open_location(root))


def test_mag_path_traversal_refused(tmp_path: Path) -> None:
    root = _broken_copy(tmp_path)
    _edit_props(root, lambda d: d["dataLayers"][0]["mags"][0].update(path="../../etc"))
    with pytest.raises(DatasetFormatError, match="unsafe mag path"):
        scan_dataset(open_location(root))


def test_ome_broken_label(tmp_path: Path, ome05_dataset: Path) -> None:
    root = tmp_path / "broken05.zarr"
    shutil.copytree(ome05_dataset, root)
    shutil.rmtree(root / "labels" / "cells" / "1")
    with pytest.raises(DatasetFormatError, match=r"labels/cells/1/zarr.json"):
        scan_dataset(open_location(root))
