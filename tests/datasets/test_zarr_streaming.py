"""zarr-python opens /data/zarr/{id}/… and /data/s/{token}/zarr/{id}/… over real HTTP and reads voxel-exact;
CORS and Range work; private data needs a token or session; revocation bites at once."""

from __future__ import annotations

import httpx2 as httpx
import numpy as np
import pytest
import zarr
from zarr.storage import FsspecStore

from tests.datasets.helpers import SIMPLE_ZARR, SIMPLE_ZARR3, register_folder, truth_cxyz
from tests.factories import PASSWORD, build_world
from tests.server import running_server
from voxelhub.datasets.demo_data import build_synthetic


def open_http_array(url: str) -> zarr.Array:
    store = FsspecStore.from_url(url, read_only=True)
    return zarr.open_array(store, mode="r")


@pytest.fixture
def served(settings, session_factory, tmp_path):  # type: ignore[no-untyped-def]
    world = build_world(session_factory)
    # the demo's kind of data: zarr3 with a transpose codec [0, 3, 2, 1] (x fastest on disk)
    transposed = build_synthetic(tmp_path / "transposed", size=(64, 48, 40))
    ids = {
        "zarr": register_folder(session_factory, world.org_ids["a"], SIMPLE_ZARR),
        "zarr3": register_folder(session_factory, world.org_ids["a"], SIMPLE_ZARR3),
        "transposed": register_folder(session_factory, world.org_ids["a"], transposed),
    }
    with running_server(settings) as base:
        admin = httpx.Client(base_url=base, timeout=10)
        answer = admin.post("/api/auth/login", json={"email": "admin@a.org", "password": PASSWORD})
        admin.headers["X-CSRF-Token"] = answer.json()["csrfToken"]
        tokens = {
            k: admin.get(f"/api/datasets/{v}/sharingToken").json()["sharingToken"] for k, v in ids.items()
        }
        yield base, ids, tokens, admin


@pytest.mark.parametrize("kind, folder, mag", [("zarr", SIMPLE_ZARR, "1-1-1"), ("zarr3", SIMPLE_ZARR3, "1")])
def test_zarr_python_reads_voxel_exact_through_token_path(served, kind, folder, mag) -> None:
    base, ids, tokens, _ = served
    array = open_http_array(f"{base}/data/s/{tokens[kind]}/zarr/{ids[kind]}/color/{mag}")
    truth = truth_cxyz(folder, "color", mag)
    assert np.array_equal(array[...].reshape(truth.shape), truth)


def test_properties_and_group_metadata_are_served(served) -> None:
    base, ids, tokens, _ = served
    client = httpx.Client(base_url=base)
    props = client.get(f"/data/s/{tokens['zarr3']}/zarr/{ids['zarr3']}/datasource-properties.json")
    assert props.status_code == 200 and props.json()["dataLayers"][0]["name"] == "color"
    assert props.headers["access-control-allow-origin"] == "*"
    group = zarr.open_group(
        FsspecStore.from_url(f"{base}/data/s/{tokens['zarr3']}/zarr/{ids['zarr3']}/color", read_only=True),
        mode="r",
    )
    assert "multiscales" in str(dict(group.attrs))


def test_private_dataset_needs_token_or_session_and_revocation_bites(served) -> None:
    base, ids, tokens, admin = served
    key = f"{ids['zarr3']}/color/1/zarr.json"
    anonymous = httpx.Client(base_url=base)
    assert anonymous.get(f"/data/zarr/{key}").status_code == 404
    assert anonymous.get(f"/data/zarr/{key}", params={"token": tokens["zarr3"]}).status_code == 200
    assert anonymous.get(f"/data/zarr/{key}", headers={"X-Auth-Token": tokens["zarr3"]}).status_code == 200
    assert admin.get(f"/data/zarr/{key}").status_code == 200
    assert (
        anonymous.get(f"/data/s/{tokens['zarr']}/zarr/{key}").status_code == 404
    )  # token of another dataset
    assert admin.delete(f"/api/datasets/{ids['zarr3']}/sharingToken").status_code == 204
    assert anonymous.get(f"/data/s/{tokens['zarr3']}/zarr/{key}").status_code == 404


def test_range_and_cors_preflight(served) -> None:
    base, ids, tokens, _ = served
    client = httpx.Client(base_url=base)
    url = f"/data/s/{tokens['zarr3']}/zarr/{ids['zarr3']}/color/1/zarr.json"
    whole = client.get(url).content
    part = client.get(url, headers={"Range": "bytes=2-9"})
    assert part.status_code == 206 and part.content == whole[2:10]
    assert part.headers["content-range"] == f"bytes 2-9/{len(whole)}"
    suffix = client.get(url, headers={"Range": "bytes=-5"})
    assert suffix.status_code == 206 and suffix.content == whole[-5:]
    assert client.get(url, headers={"Range": f"bytes={len(whole) + 10}-"}).status_code == 416
    preflight = client.options(
        url,
        headers={
            "Origin": "http://viewer.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "range",
        },
    )
    assert preflight.status_code == 204 and "Range" in preflight.headers["access-control-allow-headers"]
    head = client.head(url)
    assert head.status_code == 200


@pytest.mark.parametrize(
    "key",
    [
        "../../../etc/passwd",
        "color/1/../../../../etc/passwd",
        "color/%2e%2e/%2e%2e/x",
        "color/1/c/0/0/0/../../../../../datasource-properties.json",
        "nope/1/zarr.json",
    ],
)
@pytest.mark.parametrize("view", ["zarr", "zarr-c"])
def test_traversal_and_missing_keys_are_404(served, key, view) -> None:
    base, ids, tokens, _ = served
    answer = httpx.get(f"{base}/data/s/{tokens['zarr3']}/{view}/{ids['zarr3']}/{key}")
    assert answer.status_code in (400, 404)
    assert b"root:" not in answer.content
    if not key.startswith(
        ("../", "color/1/../../../../")
    ):  # those leave /data/…/zarr before the server sees them
        assert (
            answer.headers["access-control-allow-origin"] == "*"
        )  # a browser sees the 404, not a CORS failure


def test_folded_view_reads_as_the_transpose_from_the_same_chunk_files(served) -> None:
    base, ids, tokens, _ = served
    root = f"{base}/data/s/{tokens['transposed']}"
    plain = open_http_array(f"{root}/zarr/{ids['transposed']}/color/1")
    folded = open_http_array(f"{root}/zarr-c/{ids['transposed']}/color/1")
    assert plain.shape == (1, 64, 48, 40) and folded.shape == (1, 40, 48, 64)
    assert [c.to_dict()["name"] for c in plain.filters] == ["transpose"] and not folded.filters
    np.testing.assert_array_equal(folded[...], np.transpose(plain[...], (0, 3, 2, 1)))
    stored = httpx.get(f"{root}/zarr/{ids['transposed']}/color/1/c/0/1/0/0")
    served_again = httpx.get(f"{root}/zarr-c/{ids['transposed']}/color/1/c/0/0/0/1")
    assert stored.status_code == served_again.status_code == 200 and stored.content == served_again.content
    assert served_again.headers["access-control-allow-origin"] == "*"
    group = httpx.get(f"{root}/zarr-c/{ids['transposed']}/color/zarr.json").json()
    axes = group["attributes"]["ome"]["multiscales"][0]["axes"]
    assert [a["name"] for a in axes] == ["c", "z", "y", "x"]


def test_folded_view_is_no_way_around_access(served) -> None:
    """Who may NOT read the folded view: anonymous callers and other datasets' tokens, and a revoked token at
    once; their 404 answers carry CORS too."""
    base, ids, tokens, admin = served
    key = f"{ids['transposed']}/color/1/zarr.json"
    anonymous = httpx.Client(base_url=base)
    assert anonymous.get(f"/data/zarr-c/{key}").status_code == 404
    assert anonymous.get(f"/data/s/{tokens['zarr3']}/zarr-c/{key}").status_code == 404
    assert anonymous.get(f"/data/s/{tokens['transposed']}/zarr-c/{key}").status_code == 200
    assert admin.get(f"/data/zarr-c/{key}").status_code == 200
    assert admin.delete(f"/api/datasets/{ids['transposed']}/sharingToken").status_code == 204
    gone = anonymous.get(f"/data/s/{tokens['transposed']}/zarr-c/{key}")
    assert gone.status_code == 404 and gone.headers["access-control-allow-origin"] == "*"
    assert gone.json() == anonymous.get(f"/data/zarr-c/{ids['zarr3']}/nope").json()
