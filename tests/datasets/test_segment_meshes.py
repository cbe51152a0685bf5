"""Meshes of single segments over HTTP: a known cube segment gives a closed, outward-wound mesh inside the cube
at each mag; bounds answer 4xx naming a coarser mag; only those who may read the dataset get one."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest
import zarr
from fastapi.testclient import TestClient

from tests.datasets.helpers import register_folder
from tests.factories import build_world, logged_in_client
from tests.sharing.world import add_link
from voxelhub.datasets import meshes
from voxelhub.datasets.demo_data import build_synthetic
from voxelhub.datasets.surface import voxel_surface
from voxelhub.db import transaction

CUBE_ID = 77
CUBE = ((16, 32), (20, 36), (8, 24))  # mag-1 voxels [lo, hi) along x, y, z


def _with_cube(tmp_path: Path) -> Path:
    """A small synthetic dataset whose segmentation is all 0 but one 16³ cube of segment 77, at every mag."""
    folder = build_synthetic(tmp_path / "cube", size=(64, 64, 32), seed=3)
    for mag in (1, 2, 4, 8):
        array = zarr.open_array(str(folder / "segmentation" / str(mag)), mode="r+")
        data = np.zeros(array.shape, array.dtype)
        (x0, x1), (y0, y1), (z0, z1) = CUBE
        data[0, x0 // mag : x1 // mag, y0 // mag : y1 // mag, z0 // mag : z1 // mag] = CUBE_ID
        array[...] = data
    return folder


@pytest.fixture
def cube_world(session_factory, tmp_path):  # type: ignore[no-untyped-def]
    world = build_world(session_factory)
    dataset_id = register_folder(session_factory, world.org_ids["a"], _with_cube(tmp_path), name="cube")
    with transaction(session_factory) as session:
        token = add_link(session, dataset_id, world.org_ids["a"], "valid")
    return world, dataset_id, token


def _mesh(answer) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    count_v = int(answer.headers["X-Mesh-Vertices"])
    count_t = int(answer.headers["X-Mesh-Triangles"])
    assert len(answer.content) == 12 * count_v + 12 * count_t
    vertices = np.frombuffer(answer.content[: 12 * count_v], "<f4").reshape(-1, 3)
    triangles = np.frombuffer(answer.content[12 * count_v :], "<u4").reshape(-1, 3)
    return vertices, triangles


def _check_closed_cube(vertices: np.ndarray, triangles: np.ndarray, side: int) -> None:
    # A cube of `side` voxels: (side+1)³ - (side-1)³ surface corners, two triangles per face square.
    assert len(vertices) == 6 * side**2 + 2
    assert len(triangles) == 12 * side**2
    assert triangles.max() < len(vertices)
    edges = np.sort(
        np.concatenate([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [2, 0]]]), axis=1
    )
    _, uses = np.unique(edges, axis=0, return_counts=True)
    assert set(uses.tolist()) == {2}  # closed: every edge between exactly two triangles
    lo = np.array([c[0] for c in CUBE], np.float32)
    hi = np.array([c[1] for c in CUBE], np.float32)
    assert (vertices >= lo - 1e-3).all() and (vertices <= hi + 1e-3).all()
    assert np.allclose(vertices.min(axis=0), lo, atol=2) and np.allclose(vertices.max(axis=0), hi, atol=2)
    a, b, c = (vertices[triangles[:, i]].astype(np.float64) for i in range(3))
    volume = np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6
    assert 0.6 * 16**3 < volume <= 16**3  # wound outwards; smoothing shaves the corners a little


def test_cube_segment_gives_a_closed_mesh_at_each_mag(app, cube_world) -> None:
    world, dataset_id, _ = cube_world
    admin = logged_in_client(app, world.users["admin_a"])
    url = f"/data/datasets/{dataset_id}/layers/segmentation/segments/{CUBE_ID}/mesh"
    answer = admin.get(url)  # no mag: the finest of at most 8 Mi voxels, here mag 1
    assert answer.status_code == 200, answer.text
    assert answer.headers["X-Mesh-Mag"] == "1-1-1"
    _check_closed_cube(*_mesh(answer), side=16)
    coarse = admin.get(url, params={"mag": "2"})
    assert coarse.status_code == 200 and coarse.headers["X-Mesh-Mag"] == "2-2-2"
    _check_closed_cube(*_mesh(coarse), side=8)  # same place in mag-1 voxels, a quarter of the faces


@pytest.mark.parametrize(
    "layer, segment, params, status, words",
    [
        ("color", CUBE_ID, {}, 400, "not a segmentation layer"),
        ("nope", CUBE_ID, {}, 404, ""),
        ("segmentation", 78, {}, 404, ""),
        ("segmentation", 2**40, {}, 404, ""),  # beyond uint32
        ("segmentation", 0, {}, 422, ""),
        ("segmentation", 2**64, {}, 422, ""),
        ("segmentation", CUBE_ID, {"mag": "3"}, 400, "has no mag"),
        ("segmentation", CUBE_ID, {"mag": "../x"}, 400, "bad mag"),
        ("segmentation", CUBE_ID, {"mag": "1" * 41}, 422, ""),
    ],
)
def test_bad_requests_are_clear_4xx(app, cube_world, layer, segment, params, status, words) -> None:  # type: ignore[no-untyped-def]
    world, dataset_id, _ = cube_world
    admin = logged_in_client(app, world.users["admin_a"])
    answer = admin.get(f"/data/datasets/{dataset_id}/layers/{layer}/segments/{segment}/mesh", params=params)
    assert answer.status_code == status, answer.text
    assert words in answer.text


def test_bounds_on_voxels_triangles_and_time(app, cube_world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    world, dataset_id, _ = cube_world
    admin = logged_in_client(app, world.users["admin_a"])
    url = f"/data/datasets/{dataset_id}/layers/segmentation/segments/{CUBE_ID}/mesh"
    monkeypatch.setattr(meshes, "MAX_VOXELS", 64 * 64 * 32 // 8)  # mag 2's 16 Ki voxels at most
    too_many = admin.get(url, params={"mag": "1"})
    assert too_many.status_code == 422 and "ask for mag 2" in too_many.text
    assert admin.get(url, params={"mag": "2"}).status_code == 200
    assert admin.get(url).headers["X-Mesh-Mag"] == "2-2-2"  # no mag: the finest within the bound
    monkeypatch.setattr(meshes, "MAX_TRIANGLES", 100)
    faces = admin.get(url, params={"mag": "2"})
    assert faces.status_code == 422 and "768 triangles" in faces.text and "ask for mag 4" in faces.text
    monkeypatch.setattr(meshes, "MAX_TRIANGLES", 10**6)
    monkeypatch.setattr(meshes, "DEADLINE_SECONDS", 0.0)
    slow = admin.get(url, params={"mag": "2"})
    assert slow.status_code == 422 and "took longer than" in slow.text


def test_who_may_not_get_a_mesh(app, cube_world) -> None:
    world, dataset_id, token = cube_world
    url = f"/data/datasets/{dataset_id}/layers/segmentation/segments/{CUBE_ID}/mesh"
    anonymous = TestClient(app, base_url="http://127.0.0.1")
    assert anonymous.get(url).status_code == 404  # a private dataset: not even its existence
    assert anonymous.get(url, params={"token": "not-a-token"}).status_code == 404
    outsider = logged_in_client(app, world.users["member_b"])  # another organisation
    assert outsider.get(url).status_code == 404
    member = logged_in_client(app, world.users["member_a"])  # same organisation, not in an allowed team
    assert member.get(url).status_code == 404
    shared = anonymous.get(url, params={"token": token})
    assert shared.status_code == 200 and len(_mesh(shared)[1]) == 12 * 16**2


def test_surface_of_two_touching_cubes_is_closed_and_outward() -> None:
    mask = np.zeros((6, 6, 6), bool)
    mask[1:3, 1:3, 1:3] = True
    mask[3:5, 3:5, 3:5] = True  # touches the first at one corner only
    vertices, triangles = voxel_surface(mask, smoothing=0)
    directed = np.concatenate([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [2, 0]]])
    assert len(np.unique(directed, axis=0)) == len(directed)  # consistently wound: no edge twice one way
    a, b, c = (vertices[triangles[:, i]].astype(np.float64) for i in range(3))
    assert np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6 == pytest.approx(16)


def test_annotation_volume_layer_mesh_as_painted(app, cube_world) -> None:
    world, dataset_id, token = cube_world
    owner = logged_in_client(app, world.users["admin_a"])
    created = owner.post("/api/annotations", json={"datasetId": dataset_id, "name": "painted"})
    assert created.status_code == 201, created.text
    annotation_id = created.json()["id"]
    assert owner.post(f"/api/annotations/{annotation_id}/volumes", json={"name": "Volume"}).status_code == 201
    version = owner.get(f"/api/annotations/{annotation_id}/info").json()["version"]
    voxels = np.zeros((32, 32, 32), "<u4")
    voxels[4:12, 4:12, 4:12] = 900  # mag-1 voxels 36..44 in x and y, 4..12 in z: away from the cube
    bucket = {
        "mag": [1, 1, 1],
        "position": [1, 1, 0],
        "data": base64.b64encode(voxels.tobytes(order="F")).decode(),
    }
    painted = owner.post(
        f"/api/annotations/{annotation_id}/layers/Volume/buckets",
        json={"version": version, "buckets": [bucket]},
    )
    assert painted.status_code == 200, painted.text
    url = f"/data/annotations/{annotation_id}/layers/Volume/segments/{{}}/mesh"
    answer = owner.get(url.format(900), params={"mag": "1"})
    assert answer.status_code == 200, answer.text
    vertices, triangles = _mesh(answer)
    assert len(vertices) == 6 * 8**2 + 2 and len(triangles) == 12 * 8**2
    assert vertices.min(axis=0).tolist() == [36, 36, 4] and vertices.max(axis=0).tolist() == [44, 44, 12]
    # Unpainted, the layer is its fallback: the dataset's cube.
    fallback = owner.get(url.format(CUBE_ID), params={"mag": "1"})
    assert fallback.status_code == 200 and len(_mesh(fallback)[1]) == 12 * 16**2
    assert owner.get(url.format(901)).status_code == 404
    # Who may not: nobody without the annotation (a private one by default) and its dataset.
    anonymous = TestClient(app, base_url="http://127.0.0.1")
    assert anonymous.get(url.format(900)).status_code == 404
    assert anonymous.get(url.format(900), params={"token": token}).status_code == 404
    assert logged_in_client(app, world.users["member_b"]).get(url.format(900)).status_code == 404
