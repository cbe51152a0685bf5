"""Volume annotation layers: fallback to the dataset segmentation, painting as versioned saves, and
copy-on-write forks that copy no chunk up front."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.datasets.helpers import decode, register_folder
from tests.factories import build_world, logged_in_client
from voxelhub.datasets.demo_data import build_synthetic


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    return build_synthetic(tmp_path_factory.mktemp("synthetic") / "synthetic-em", size=(64, 64, 64))


@pytest.fixture
def volume_setup(app, session_factory, synthetic):  # type: ignore[no-untyped-def]
    world = build_world(session_factory)
    dataset_id = register_folder(session_factory, world.org_ids["a"], synthetic)
    logged_in_client(app, world.users["admin_a"]).patch(
        f"/api/datasets/{dataset_id}/teams", json=[world.team_ids["a1"]]
    )
    owner = logged_in_client(app, world.users["team_a"])
    created = owner.post("/api/annotations", json={"datasetId": dataset_id, "layers": ["skeleton", "volume"]})
    assert created.status_code == 201, created.text
    return world, dataset_id, owner, created.json()


def read(client: TestClient, annotation_id: str, buckets: list[list[int]]) -> list[np.ndarray]:
    answer = client.post(
        f"/data/annotations/{annotation_id}/layers/Volume/buckets",
        json={"mag": [1, 1, 1], "buckets": buckets},
    )
    assert answer.status_code == 200, answer.text
    size = 32**3 * 4
    return [
        decode(answer.content[i * size : (i + 1) * size], "uint32", (32, 32, 32)) for i in range(len(buckets))
    ]


def painted(value: int) -> str:
    return base64.b64encode(np.full((32, 32, 32), value, dtype="<u4").tobytes(order="F")).decode()


def test_unpainted_buckets_show_the_fallback_segmentation(volume_setup) -> None:
    _, dataset_id, owner, info = volume_setup
    assert info["volumeLayers"][0]["fallbackLayer"] == "segmentation"
    truth = owner.post(
        f"/data/datasets/{dataset_id}/layers/segmentation/buckets",
        json={"mag": [1, 1, 1], "buckets": [[1, 0, 1]]},
    ).content
    assert np.array_equal(read(owner, info["id"], [[1, 0, 1]])[0], decode(truth, "uint32", (32, 32, 32)))


def test_volume_buckets_are_compressed_for_a_client_that_accepts_gzip(volume_setup) -> None:
    _, _, owner, info = volume_setup
    url = f"/data/annotations/{info['id']}/layers/Volume/buckets"
    batch = {"mag": [1, 1, 1], "buckets": [[0, 0, 0], [1, 0, 1]]}
    plain = owner.post(url, json=batch, headers={"Accept-Encoding": "identity"})
    packed = owner.post(url, json=batch, headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers and packed.headers["content-encoding"] == "gzip"
    assert packed.content == plain.content and packed.num_bytes_downloaded < len(plain.content) / 4


def test_painting_is_a_versioned_save(volume_setup) -> None:
    _, _, owner, info = volume_setup
    url = f"/api/annotations/{info['id']}/layers/Volume/buckets"
    saved = owner.post(
        url, json={"version": 0, "buckets": [{"mag": [1, 1, 1], "position": [0, 0, 0], "data": painted(777)}]}
    )
    assert saved.json() == {"version": 1}
    assert (read(owner, info["id"], [[0, 0, 0]])[0] == 777).all()
    stale = owner.post(
        url, json={"version": 0, "buckets": [{"mag": [1, 1, 1], "position": [1, 0, 0], "data": painted(5)}]}
    )
    assert stale.status_code == 409
    bad = owner.post(
        url, json={"version": 1, "buckets": [{"mag": [1, 1, 1], "position": [0, 0, 0], "data": "xx"}]}
    )
    assert bad.status_code == 400
    assert (
        owner.get(f"/api/annotations/{info['id']}/info").json()["volumeLayers"][0]["largestSegmentId"] >= 777
    )


def read_mag(client: TestClient, annotation_id: str, mag: list[int], bucket: list[int]) -> np.ndarray:
    answer = client.post(
        f"/data/annotations/{annotation_id}/layers/Volume/buckets", json={"mag": mag, "buckets": [bucket]}
    )
    assert answer.status_code == 200, answer.text
    return decode(answer.content, "uint32", (32, 32, 32))


def test_painting_updates_the_coarser_mags_and_keeps_the_fallback_around_the_paint(volume_setup) -> None:
    _, dataset_id, owner, info = volume_setup
    mags = info["volumeLayers"][0]["mags"]
    assert [2, 2, 2] in mags and [4, 4, 4] in mags
    before = {tuple(m): read_mag(owner, info["id"], m, [0, 0, 0]) for m in ([2, 2, 2], [4, 4, 4])}
    saved = owner.post(
        f"/api/annotations/{info['id']}/layers/Volume/buckets",
        json={"version": 0, "buckets": [{"mag": [1, 1, 1], "position": [1, 0, 0], "data": painted(4242)}]},
    )
    assert saved.status_code == 200, saved.text
    mag1_truth = decode(
        owner.post(
            f"/data/datasets/{dataset_id}/layers/segmentation/buckets",
            json={"mag": [1, 1, 1], "buckets": [[0, 0, 0]]},
        ).content,
        "uint32",
        (32, 32, 32),
    )
    mag2 = read_mag(owner, info["id"], [2, 2, 2], [0, 0, 0])
    # mag-1 bucket (1, 0, 0) covers x 32..63 = mag-2 x 16..31 of mag-2 bucket (0, 0, 0); y, z 0..15.
    assert (mag2[16:32, 0:16, 0:16] == 4242).all()
    # The rest of that mag-2 bucket comes from the (unpainted) fallback, sampled from mag 1.
    np.testing.assert_array_equal(mag2[0:16, 0:16, 0:16], mag1_truth[::2, ::2, ::2])
    assert not (mag2[0:16, 16:32, :] == 4242).any()
    mag4 = read_mag(owner, info["id"], [4, 4, 4], [0, 0, 0])
    assert (mag4[8:16, 0:8, 0:8] == 4242).all() and not (mag4[0:8] == 4242).any()
    assert not np.array_equal(mag4, before[(4, 4, 4)])


def test_who_may_not_paint_or_read(app, volume_setup) -> None:
    world, _, _, info = volume_setup
    url = f"/api/annotations/{info['id']}/layers/Volume/buckets"
    body = {"version": 0, "buckets": [{"mag": [1, 1, 1], "position": [0, 0, 0], "data": painted(1)}]}
    assert logged_in_client(app, world.users["admin_a"]).post(url, json=body).status_code == 403
    assert TestClient(app).post(url, json=body).status_code == 404
    member = logged_in_client(app, world.users["member_a"])  # reads the annotation, not the dataset
    answer = member.post(
        f"/data/annotations/{info['id']}/layers/Volume/buckets",
        json={"mag": [1, 1, 1], "buckets": [[0, 0, 0]]},
    )
    assert answer.status_code == 403 and "needs read access to that dataset" in answer.json()["error"]


def test_fork_reads_through_to_the_original_and_copies_no_chunk(app, volume_setup, settings) -> None:
    world, _, owner, info = volume_setup
    owner.post(
        f"/api/annotations/{info['id']}/layers/Volume/buckets",
        json={"version": 0, "buckets": [{"mag": [1, 1, 1], "position": [0, 0, 0], "data": painted(42)}]},
    )
    colleague = logged_in_client(app, world.users["tm_a"])
    fork = colleague.post(f"/api/annotations/{info['id']}/duplicate").json()
    own_dir = settings.volumes_dir / fork["id"]
    assert not [p for p in own_dir.rglob("*") if p.is_file()], "a fork must not copy chunks up front"
    assert (read(colleague, fork["id"], [[0, 0, 0]])[0] == 42).all()
    colleague.post(
        f"/api/annotations/{fork['id']}/layers/Volume/buckets",
        json={"version": 0, "buckets": [{"mag": [1, 1, 1], "position": [0, 0, 0], "data": painted(0)}]},
    )
    assert (read(colleague, fork["id"], [[0, 0, 0]])[0] == 0).all()
    assert (read(owner, info["id"], [[0, 0, 0]])[0] == 42).all()
