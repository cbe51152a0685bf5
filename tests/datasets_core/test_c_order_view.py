"""The folded view (`voxelhub.datasets.c_order_view`): arrays whose zarr3 codecs start with a transpose are
presented with permuted axes and no transpose, and zarr-python reading both views over HTTP sees the same
voxels (one the transpose of the other), from byte-identical chunk files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import zarr
from zarr.codecs import TransposeCodec
from zarr.storage import FsspecStore

from tests.datasets_core.test_zarr_view import _serve, http_base  # noqa: F401 - the fixture is used by name
from tests.fixture_files import FIXTURES
from voxelhub.datasets.c_order_view import fold_metadata, leading_transpose, stored_chunk_key
from voxelhub.datasets.zarr_view import zarr_view_get

ORDER = (0, 3, 2, 1)  # what the demo data and webknossos-libs write: x fastest on disk


def _remote(url: str) -> zarr.Array:
    return zarr.open_array(FsspecStore.from_url(url, read_only=True), mode="r")


def _doc(location, source, key: str) -> dict:  # type: ignore[no-untyped-def]
    from voxelhub.datasets.c_order_view import c_order_view_get

    return json.loads(c_order_view_get(location, source, key) or b"null")


def test_zarr_python_reads_the_folded_view_as_the_transpose(synthetic_dataset: Path, http_base: str) -> None:  # noqa: F811
    location, source = _serve("synthetic", synthetic_dataset)
    for layer in source.layers:
        for mag in layer.mags:
            local = zarr.open_array(str(synthetic_dataset / mag.path), mode="r")
            assert any(isinstance(c, TransposeCodec) for c in local.filters), "fixture must use a transpose"
            plain = _remote(f"{http_base}/synthetic/{mag.path}")
            folded = _remote(f"{http_base}/synthetic+c/{mag.path}")
            assert not any(isinstance(c, TransposeCodec) for c in folded.filters)
            assert folded.shape == tuple(local.shape[i] for i in ORDER)
            assert folded.metadata.dimension_names == ("c", "z", "y", "x")
            np.testing.assert_array_equal(plain[...], local[...])
            np.testing.assert_array_equal(folded[...], np.transpose(local[...], ORDER))


def test_chunk_files_are_served_byte_for_byte(synthetic_dataset: Path) -> None:
    location, source = _serve("synthetic", synthetic_dataset)
    from voxelhub.datasets.c_order_view import c_order_view_get

    stored = (synthetic_dataset / "color/1/c/0/3/1/2").read_bytes()
    # presented (c, z, y, x) = (0, 2, 1, 3) is stored (c, x, y, z) = (0, 3, 1, 2)
    assert c_order_view_get(location, source, "color/1/c/0/2/1/3") == stored
    assert c_order_view_get(location, source, "color/1/c/0/3/1/2") != stored
    assert c_order_view_get(location, source, "color/1/c/0/2/1") is None  # wrong rank
    assert c_order_view_get(location, source, "color/1/c/0/2/1/x") is None
    assert c_order_view_get(location, source, "color/1/.zarray") is None


def test_metadata_of_the_folded_view_is_permuted_consistently(synthetic_dataset: Path) -> None:
    location, source = _serve("synthetic", synthetic_dataset)
    props = _doc(location, source, "datasource-properties.json")
    for layer in props["dataLayers"]:
        assert [m["axisOrder"] for m in layer["mags"]] == [{"c": 0, "z": 1, "y": 2, "x": 3}] * 4
    plain_props = json.loads(zarr_view_get(location, source, "datasource-properties.json") or b"")
    assert plain_props["dataLayers"][0]["mags"][0]["axisOrder"] == {"c": 0, "x": 1, "y": 2, "z": 3}
    group = _doc(location, source, "color/zarr.json")
    multiscale = group["attributes"]["ome"]["multiscales"][0]
    assert [a["name"] for a in multiscale["axes"]] == ["c", "z", "y", "x"]
    # synthetic voxels are 8 nm; mag 2 is 2-2-2; the channel axis keeps scale 1
    assert multiscale["datasets"][1]["coordinateTransformations"][0]["scale"] == [1.0, 16.0, 16.0, 16.0]
    array = _doc(location, source, "color/1/zarr.json")
    assert array["shape"] == [1, 72, 128, 160]  # the fixture is 160 × 128 × 72
    assert array["chunk_grid"]["configuration"]["chunk_shape"] == [1, 32, 32, 32]
    assert [c["name"] for c in array["codecs"]] == ["bytes", "blosc"]


@pytest.mark.parametrize("name", ["simple_zarr3_dataset", "simple_zarr_dataset"])
def test_arrays_without_transpose_are_served_as_in_the_plain_view(name: str) -> None:
    from voxelhub.datasets.c_order_view import c_order_view_get

    location, source = _serve(name, FIXTURES / name)
    for key in ("datasource-properties.json", "color/zarr.json", "color/.zattrs"):
        assert c_order_view_get(location, source, key) == zarr_view_get(location, source, key)
    mag = source.layers[0].mags[0]
    meta = "zarr.json" if mag.zarr_format == 3 else ".zarray"
    view_mag = mag.path.rsplit("/", 1)[-1]
    key = f"{source.layers[0].name}/{view_mag}/{meta}"
    assert c_order_view_get(location, source, key) == zarr_view_get(location, source, key)


def _meta(codecs: list, *, separator: str = "/", name: str = "default") -> dict:  # type: ignore[type-arg]
    return {
        "zarr_format": 3,
        "shape": [1, 70, 50, 36],
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [1, 32, 16, 8]}},
        "chunk_key_encoding": {"name": name, "configuration": {"separator": separator}},
        "dimension_names": ["c", "x", "y", "z"],
        "codecs": codecs,
    }


def _transpose(order: list[int]) -> dict:  # type: ignore[type-arg]
    return {"name": "transpose", "configuration": {"order": order}}


def test_fold_math() -> None:
    meta = _meta([_transpose([0, 3, 2, 1]), {"name": "bytes"}])
    folded = fold_metadata(meta)
    assert folded["shape"] == [1, 36, 50, 70]
    assert folded["chunk_grid"]["configuration"]["chunk_shape"] == [1, 8, 16, 32]
    assert folded["dimension_names"] == ["c", "z", "y", "x"]
    assert folded["codecs"] == [{"name": "bytes"}]
    assert meta["shape"] == [1, 70, 50, 36]  # the stored document is not changed in place
    # a cyclic order, where p and its inverse differ: presented axis k is stored axis p[k]
    cyclic = _meta([_transpose([3, 1, 0, 2])])
    assert fold_metadata(cyclic)["dimension_names"] == ["z", "x", "c", "y"]
    assert stored_chunk_key("c/5/6/7/8", cyclic, (3, 1, 0, 2)) == "c/7/6/8/5"
    # two transposes compose: [1,0,2,3] then [0,1,3,2] is [1,0,3,2]
    two = _meta([_transpose([1, 0, 2, 3]), _transpose([0, 1, 3, 2]), {"name": "bytes"}])
    assert leading_transpose(two) == ((1, 0, 3, 2), 2)
    # other key encodings
    assert stored_chunk_key("c.1.2.3.4", _meta([], separator="."), (0, 3, 2, 1)) == "c.1.4.3.2"
    assert stored_chunk_key("1.2.3.4", _meta([], name="v2", separator="."), (0, 3, 2, 1)) == "1.4.3.2"
    assert stored_chunk_key("d/1/2/3/4", _meta([]), (0, 3, 2, 1)) is None
    # nothing to fold: no leading transpose, a storage transformer, an irregular grid
    assert leading_transpose(_meta([{"name": "bytes"}, _transpose([0, 3, 2, 1])])) is None
    assert leading_transpose({**meta, "storage_transformers": [{"name": "x"}]}) is None
    assert leading_transpose({**meta, "chunk_grid": {"name": "rectilinear"}}) is None
    assert leading_transpose(_meta([_transpose([0, 0, 1, 2])])) is None  # not a permutation


def test_zarr_python_agrees_with_the_cyclic_fold(tmp_path: Path) -> None:
    """The direction of the key mapping, checked by zarr-python itself on a non-involutive order."""
    order = (2, 0, 1)
    data = np.arange(5 * 6 * 7, dtype=np.uint16).reshape(5, 6, 7)
    stored = zarr.create_array(
        store=str(tmp_path / "a"),
        shape=data.shape,
        dtype=data.dtype,
        chunks=(2, 4, 3),
        filters=[TransposeCodec(order=order)],
        compressors=None,
        fill_value=0,
        zarr_format=3,
    )
    stored[...] = data
    meta = json.loads((tmp_path / "a" / "zarr.json").read_text())
    out = tmp_path / "b"
    out.mkdir()
    (out / "zarr.json").write_text(json.dumps(fold_metadata(meta)))
    for chunk in (tmp_path / "a" / "c").rglob("*"):
        if chunk.is_file():
            coords = [int(p) for p in chunk.relative_to(tmp_path / "a" / "c").parts]
            presented = [coords[i] for i in order]
            key = "c/" + "/".join(str(v) for v in presented)
            assert stored_chunk_key(key, meta, order) == "c/" + "/".join(map(str, coords))
            target = out.joinpath(*key.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(chunk.read_bytes())
    folded = zarr.open_array(str(out), mode="r")
    np.testing.assert_array_equal(folded[...], np.transpose(data, order))
