"""zarr-python reads the zarr view over real HTTP (a small http.server on loopback) voxel-exactly."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
from zarr.storage import FsspecStore

from tests.fixture_files import FIXTURES
from voxelhub.datasets.c_order_view import c_order_view_get
from voxelhub.datasets.layout import DataSource
from voxelhub.datasets.scan import scan_dataset
from voxelhub.datasets.zarr_view import resolve_view_key, zarr_view_chunk, zarr_view_document, zarr_view_get
from voxelhub.storage import InvalidKey, Location, open_location

_SERVED: dict[str, tuple[Location, DataSource]] = {}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        name, _, key = self.path.lstrip("/").partition("/")
        name, folded, _ = name.partition("+c")  # `{name}+c/…`: the view with transposes folded
        location, source = _SERVED[name]
        try:
            body = (c_order_view_get if folded else zarr_view_get)(location, source, key)
        except InvalidKey:
            self.send_error(400)
            return
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def http_base() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _serve(name: str, root: Path) -> tuple[Location, DataSource]:
    location = open_location(root)
    _SERVED[name] = (location, DataSource.from_wk_json(scan_dataset(location).to_wk_json()))
    return _SERVED[name]


def _open_remote(url: str) -> zarr.Group:
    store = FsspecStore.from_url(url, read_only=True)
    return zarr.open_group(store=store, mode="r")


@pytest.mark.parametrize(
    "name", ["simple_zarr_dataset", "simple_zarr3_dataset", "synthetic", "ome04", "ome05"]
)
def test_zarr_python_reads_view_over_http(request: pytest.FixtureRequest, http_base: str, name: str) -> None:
    roots = {"synthetic": "synthetic_dataset", "ome04": "ome04_dataset", "ome05": "ome05_dataset"}
    root = Path(request.getfixturevalue(roots[name])) if name in roots else FIXTURES / name
    location, source = _serve(name, root)
    props = json.loads(zarr_view_document(location, source, "datasource-properties.json") or b"")
    for layer, raw in zip(source.layers, props["dataLayers"], strict=True):
        group = _open_remote(f"{http_base}/{name}/{layer.name}")
        multiscale = group.attrs.get("multiscales") or group.attrs["ome"]["multiscales"]
        for mag, dataset, raw_mag in zip(layer.mags, multiscale[0]["datasets"], raw["mags"], strict=True):
            assert raw_mag["path"] == f"./{layer.name}/{dataset['path']}"
            remote = group[dataset["path"]]
            local = zarr.open_array(str(root / mag.path), mode="r")
            assert remote.shape == local.shape and remote.dtype == local.dtype
            np.testing.assert_array_equal(remote[...], local[...])


def test_view_keys(synthetic_dataset: Path) -> None:
    location, source = _serve("synthetic", synthetic_dataset)
    assert resolve_view_key(source, "color/2/c/0/0/0/0") == "color/2/c/0/0/0/0"
    assert (
        zarr_view_chunk(location, source, "color/1/c/0/0/0/0")
        == (synthetic_dataset / "color/1/c/0/0/0/0").read_bytes()
    )
    assert zarr_view_chunk(location, source, "color/1/c/0/99/0/0") is None
    assert zarr_view_chunk(location, source, "nope/1/c/0/0/0/0") is None
    assert zarr_view_chunk(location, source, "color/3/c/0/0/0/0") is None
    assert zarr_view_document(location, source, ".zgroup") is None  # zarr v3 dataset
    assert (
        zarr_view_document(location, source, "color/1/zarr.json")
        == (synthetic_dataset / "color/1/zarr.json").read_bytes()
    )
    for key in ("../x", "color/../../etc/passwd", "/etc/passwd", "color//1", "color\\1"):
        with pytest.raises(InvalidKey):
            zarr_view_get(location, source, key)


def test_ome_view_uses_mag_literals(ome05_dataset: Path) -> None:
    location, source = _serve("ome05", ome05_dataset)
    assert resolve_view_key(source, "cells/2-2-1/c/0/0/0") == "labels/cells/1/c/0/0/0"
    doc = json.loads(zarr_view_document(location, source, "cells/zarr.json") or b"")
    ms = doc["attributes"]["ome"]["multiscales"][0]
    assert [a["name"] for a in ms["axes"]] == ["z", "y", "x"]
    assert ms["datasets"][1]["coordinateTransformations"][0]["scale"] == [40.0, 16.0, 16.0]
