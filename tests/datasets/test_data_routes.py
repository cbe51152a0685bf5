"""Raw boxes and bucket batches over HTTP, voxel-exact against zarr-python; bad coordinates are 4xx."""

from __future__ import annotations

import numcodecs
import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.datasets.helpers import SIMPLE_ZARR, SIMPLE_ZARR3, decode, register_folder, truth_cxyz
from tests.factories import build_world, logged_in_client
from voxelhub.api.answer_encoding import accepted_encoding, encode_answer


@pytest.fixture
def fixture_datasets(session_factory):  # type: ignore[no-untyped-def]
    world = build_world(session_factory)
    ids = {
        "zarr": register_folder(session_factory, world.org_ids["a"], SIMPLE_ZARR),
        "zarr3": register_folder(session_factory, world.org_ids["a"], SIMPLE_ZARR3),
    }
    return world, ids


def mag_path(folder) -> str:  # type: ignore[no-untyped-def]
    return "1-1-1" if (folder / "color" / "1-1-1").exists() else "1"


@pytest.mark.parametrize("kind, folder", [("zarr", SIMPLE_ZARR), ("zarr3", SIMPLE_ZARR3)])
def test_raw_box_is_voxel_exact(app, fixture_datasets, kind, folder) -> None:
    world, ids = fixture_datasets
    admin = logged_in_client(app, world.users["admin_a"])
    truth = truth_cxyz(folder, "color", mag_path(folder))
    box = {"x": 3, "y": 5, "z": 7, "width": 17, "height": 11, "depth": 9}
    answer = admin.get(f"/data/datasets/{ids[kind]}/layers/color/data", params={**box, "mag": "1-1-1"})
    assert answer.status_code == 200, answer.text
    got = decode(answer.content, "uint8", (3, 17, 11, 9))
    assert np.array_equal(got, truth[:, 3:20, 5:16, 7:16])
    # Outside the bounding box is zero-filled, not an error.
    edge = admin.get(
        f"/data/datasets/{ids[kind]}/layers/color/data",
        params={"x": 20, "y": 0, "z": 0, "width": 8, "height": 2, "depth": 2},
    )
    got = decode(edge.content, "uint8", (3, 8, 2, 2))
    assert np.array_equal(got[:, :4], truth[:, 20:24, 0:2, 0:2]) and not got[:, 4:].any()


def test_bucket_batch_is_voxel_exact(app, fixture_datasets) -> None:
    world, ids = fixture_datasets
    admin = logged_in_client(app, world.users["admin_a"])
    truth = truth_cxyz(SIMPLE_ZARR3, "color", "1")
    answer = admin.post(
        f"/data/datasets/{ids['zarr3']}/layers/color/buckets",
        json={"mag": [1, 1, 1], "buckets": [[0, 0, 0], [1, 0, 0]]},
    )
    assert answer.status_code == 200
    assert len(answer.content) == 2 * 3 * 32**3
    first = decode(answer.content[: 3 * 32**3], "uint8", (3, 32, 32, 32))
    assert np.array_equal(first[:, :24, :24, :24], truth)
    assert not decode(answer.content[3 * 32**3 :], "uint8", (3, 32, 32, 32)).any()


@pytest.mark.parametrize(
    "params, status",
    [
        ({"x": -1, "y": 0, "z": 0, "width": 1, "height": 1, "depth": 1}, 422),
        ({"x": "a", "y": 0, "z": 0, "width": 1, "height": 1, "depth": 1}, 422),
        ({"x": 0, "y": 0, "z": 0, "width": 0, "height": 1, "depth": 1}, 422),
        ({"x": 0, "y": 0, "z": 0, "width": 4096, "height": 4096, "depth": 4096}, 400),
        ({"x": 0, "y": 0, "z": 0, "width": 1, "height": 1, "depth": 1, "mag": "3-3-3"}, 400),
        ({"x": 0, "y": 0, "z": 0, "width": 1, "height": 1, "depth": 1, "mag": "../../etc"}, 400),
        ({"x": 0, "y": 0, "z": 0}, 422),
    ],
)
def test_malformed_coordinates_are_4xx(app, fixture_datasets, params, status) -> None:
    world, ids = fixture_datasets
    admin = logged_in_client(app, world.users["admin_a"])
    assert admin.get(f"/data/datasets/{ids['zarr']}/layers/color/data", params=params).status_code == status


def test_unknown_layer_and_traversal_layer_are_refused(app, fixture_datasets) -> None:
    world, ids = fixture_datasets
    admin = logged_in_client(app, world.users["admin_a"])
    box = {"x": 0, "y": 0, "z": 0, "width": 1, "height": 1, "depth": 1}
    for layer in ("nope", "..", "%2e%2e%2f%2e%2e%2fetc"):
        assert admin.get(f"/data/datasets/{ids['zarr']}/layers/{layer}/data", params=box).status_code in (
            400,
            404,
        )


def test_who_may_not_read_data(app, fixture_datasets) -> None:
    world, ids = fixture_datasets
    box = {"x": 0, "y": 0, "z": 0, "width": 4, "height": 4, "depth": 4}
    url = f"/data/datasets/{ids['zarr']}/layers/color/data"
    assert TestClient(app).get(url, params=box).status_code == 404
    for role in ("member_a", "team_a", "admin_b"):
        assert logged_in_client(app, world.users[role]).get(url, params=box).status_code == 404
    batch = {"mag": [1, 1, 1], "buckets": [[0, 0, 0]]}
    assert (
        TestClient(app).post(f"/data/datasets/{ids['zarr']}/layers/color/buckets", json=batch).status_code
        == 404
    )


@pytest.mark.parametrize(
    "accept, encoding", [("gzip, deflate, br, zstd", "zstd"), ("gzip", "gzip"), ("", None)]
)
def test_bucket_batch_is_compressed_when_the_client_accepts_it(
    app, fixture_datasets, accept, encoding
) -> None:
    world, ids = fixture_datasets
    admin = logged_in_client(app, world.users["admin_a"])
    url = f"/data/datasets/{ids['zarr3']}/layers/color/buckets"
    batch = {"mag": [1, 1, 1], "buckets": [[0, 0, 0], [1, 0, 0]]}
    plain = admin.post(url, json=batch, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and len(plain.content) == 2 * 3 * 32**3
    answer = admin.post(url, json=batch, headers={"Accept-Encoding": accept})
    assert answer.status_code == 200 and answer.headers["vary"] == "Accept-Encoding"
    assert answer.headers.get("content-encoding") == encoding
    if encoding == "zstd":  # the test client does not decode zstd itself; browsers do
        sent = int(answer.headers["content-length"])
        body = bytes(numcodecs.Zstd().decode(answer.content))
    else:  # gzip is decoded by the client; what went over the wire is smaller
        sent, body = answer.num_bytes_downloaded, answer.content
    assert body == plain.content
    assert (sent < len(plain.content) / 2) == (encoding is not None)


def test_incompressible_answers_go_out_plain() -> None:
    noise = np.random.default_rng(1).integers(0, 256, 256 * 1024, dtype=np.uint8).tobytes()
    assert encode_answer(noise, "gzip") == (noise, None)
    zeros = bytes(256 * 1024)
    body, used = encode_answer(zeros, "zstd")
    assert used == "zstd" and bytes(numcodecs.Zstd().decode(body)) == zeros
    assert accepted_encoding("gzip;q=0, zstd;q=0.5") == "zstd"
    assert accepted_encoding("zstd;q=0, gzip") == "gzip"
    assert accepted_encoding("br, deflate") is None
    assert accepted_encoding("*") == "zstd" and accepted_encoding("*, zstd;q=0") == "gzip"


def test_a_server_told_not_to_compress_answers_plain(app, fixture_datasets) -> None:
    world, ids = fixture_datasets
    admin = logged_in_client(app, world.users["admin_a"])
    app.state.settings = app.state.settings.with_overrides(compress_buckets=False)
    answer = admin.post(
        f"/data/datasets/{ids['zarr3']}/layers/color/buckets",
        json={"mag": [1, 1, 1], "buckets": [[0, 0, 0], [1, 0, 0]]},
        headers={"Accept-Encoding": "zstd, gzip"},
    )
    assert answer.status_code == 200 and "content-encoding" not in answer.headers
    assert answer.num_bytes_downloaded == 2 * 3 * 32**3
