"""The real `webknossos` Python client (4.3.x, in its own venv) against a live voxelhub server.

Each scenario runs the client in a subprocess (tests/interop/wk_client.py) and compares what it got with what
voxelhub holds. docs/webknossos-client.md lists the requests behind each scenario.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import httpx2 as httpx
import numpy as np
import pytest
import zarr
from zarr.storage import FsspecStore

from tests.interop.conftest import MAGS, SHAPE, InteropWorld, read_truth

pytestmark = pytest.mark.interop

LAYERS = {"color": "uint8", "segmentation": "uint32"}


def _assert_voxel_exact(world: InteropWorld, result: dict) -> None:
    """The client's reads (saved as .npy by the script) equal the arrays on disk, at mag 1 and mag 2."""
    assert set(result["layers"]) == set(LAYERS)
    for name, dtype in LAYERS.items():
        layer = result["layers"][name]
        assert layer["category"] == name
        assert layer["dtype"] == dtype
        assert layer["topLeft"] == [0, 0, 0] and layer["size"] == list(SHAPE)
        assert set(layer["mags"]) == {str(m) for m in MAGS}
        for mag in MAGS:
            got = np.load(layer["mags"][str(mag)]["file"])
            truth = read_truth(world.folder, name, mag)
            assert got.dtype == truth.dtype, (name, mag)
            assert got.shape == truth.shape, (name, mag)
            assert np.array_equal(got, truth), f"{name} mag {mag}: voxels differ"


# ---------------------------------------------------------------- 1. RemoteDataset.open(sharing link)


def test_remote_dataset_open_with_sharing_link_reads_voxel_exact_and_revocation_refuses(
    interop_world: InteropWorld, run_client, tmp_path: Path
) -> None:
    world = interop_world
    token = world.sharing_token("em")
    url = world.view_url("em", token)

    # Logged out, no WK_TOKEN: the token in the link is all the client has.
    opened = run_client("open_dataset", url, str(tmp_path / "read-1"), url=world.base)
    result = opened.result
    assert result["datasetId"] == world.datasets["em"]
    assert result["voxelSize"] == pytest.approx([11.24, 11.24, 28.0])
    _assert_voxel_exact(world, result)

    # The same dataset without the token is refused (it is private).
    refused = run_client(
        "open_dataset",
        f"{world.base}/datasets/{world.names['em']}-{world.datasets['em']}/view",
        str(tmp_path / "no-token"),
        url=world.base,
    )
    assert refused.returncode != 0

    world.revoke("em")
    after = run_client("open_dataset", url, str(tmp_path / "read-2"), url=world.base)
    assert after.returncode != 0, "a revoked sharing link still opened the dataset"
    assert "404" in after.stderr or "UnexpectedStatusError" in after.stderr, after.stderr[-2000:]
    # and the datastore refuses the revoked token too, on the client's own zarr route
    chunk = httpx.get(
        f"{world.base}/data/v15/zarr/{world.datasets['em']}/datasource-properties.json",
        headers={"X-Auth-Token": token},
        timeout=30,
    )
    assert chunk.status_code in (401, 403, 404)


def test_remote_dataset_open_through_a_short_link(
    interop_world: InteropWorld, run_client, tmp_path: Path
) -> None:
    world = interop_world
    token = world.sharing_token("em")
    with world.login("admin_a") as client:
        answer = client.post("/api/shortLinks", json={"longLink": world.view_url("em", token)})
        assert answer.status_code in (200, 201), answer.text
        key = answer.json()["key"]
    result = run_client(
        "open_dataset", f"{world.base}/links/{key}", str(tmp_path / "short"), url=world.base
    ).result
    assert result["datasetId"] == world.datasets["em"]
    _assert_voxel_exact(world, result)


# ---------------------------------------------------------------- 2. RemoteDataset.list() with an API token


@pytest.mark.parametrize("role", ["team_a", "member_a", "dsm_a", "admin_b"])
def test_remote_dataset_list_is_exactly_what_the_user_may_read(
    interop_world: InteropWorld, run_client, role: str
) -> None:
    """list() filters by the user's own organization (the client sends organizationId=<user.organization>),
    so the expectation is: readable by the user AND owned by the user's organization."""
    world = interop_world
    api_token = world.api_token(role)
    own_org = role.rsplit("_", 1)[1]
    listed = run_client("list_datasets", url=world.base, token=api_token).result["ids"]
    expected = sorted(world.datasets[k] for k in world.readable[role] if world.org_of[k] == own_org)
    assert listed == expected


def test_remote_dataset_list_of_another_organization_shows_only_its_public_datasets(
    interop_world: InteropWorld, run_client
) -> None:
    world = interop_world
    public_b = httpx.get(f"{world.base}/api/datasets/{world.datasets['public_b']}", timeout=30)
    assert public_b.status_code == 200, public_b.text
    org_b = public_b.json()["owningOrganization"]
    listed = run_client("list_datasets", org_b, url=world.base, token=world.api_token("team_a")).result["ids"]
    assert listed == [world.datasets["public_b"]]


# ---------------------------------------------------------------- 3. Annotation.download, logged out

TREES = [
    {"name": "axon", "nodes": [[10, 20, 5], [12, 22, 6], [15, 25, 7]], "edges": [[0, 1], [1, 2]]},
    {"name": "dendrite", "nodes": [[40, 30, 20], [41, 33, 21]], "edges": [[0, 1]]},
]


def _create_annotation(world: InteropWorld, role: str, visibility: str) -> tuple[str, list[dict]]:
    """An annotation with TREES made through voxelhub's own API as `role`; returns its id and the trees as
    voxelhub's skeleton route reports them."""
    with world.login(role) as client:
        created = client.post(
            "/api/annotations",
            json={"datasetId": world.datasets["em"], "name": "interop", "layers": ["skeleton"]},
        )
        assert created.status_code in (200, 201), created.text
        annotation_id = created.json()["id"]
        actions: list[dict] = []
        node_id = 1
        for tree_id, tree in enumerate(TREES, start=1):
            actions.append(
                {
                    "name": "createTree",
                    "value": {
                        "id": tree_id,
                        "name": tree["name"],
                        "color": [1.0, 0.0, 0.0, 1.0],
                        "comments": [],
                        "branchPoints": [],
                    },
                }
            )
            ids = []
            for position in tree["nodes"]:
                actions.append(
                    {
                        "name": "createNode",
                        "value": {"id": node_id, "treeId": tree_id, "position": position, "radius": 1.0},
                    }
                )
                ids.append(node_id)
                node_id += 1
            for i, j in tree["edges"]:
                actions.append(
                    {"name": "createEdge", "value": {"treeId": tree_id, "source": ids[i], "target": ids[j]}}
                )
        version = client.get(f"/api/annotations/{annotation_id}/info").json()["version"]
        saved = client.post(
            f"/api/annotations/{annotation_id}/updates", json={"version": version, "actions": actions}
        )
        assert saved.status_code == 200, saved.text
        patched = client.patch(f"/api/annotations/{annotation_id}", json={"visibility": visibility})
        assert patched.status_code == 200, patched.text
        skeleton = client.get(f"/api/annotations/{annotation_id}/skeleton").json()
    return annotation_id, skeleton["trees"]


def _normalized_voxelhub_trees(trees: list[dict]) -> list[dict]:
    return sorted(
        (
            {
                "id": t["id"],
                "name": t["name"],
                "nodes": sorted([n["id"], [float(v) for v in n["position"]]] for n in t["nodes"]),
                "edges": sorted(sorted([e["source"], e["target"]]) for e in t["edges"]),
            }
            for t in trees
        ),
        key=lambda t: t["id"],
    )


def test_annotation_download_of_a_public_annotation_logged_out(
    interop_world: InteropWorld, run_client
) -> None:
    world = interop_world
    annotation_id, trees = _create_annotation(world, "team_a", "Public")
    result = run_client(
        "download_annotation", f"{world.base}/annotations/{annotation_id}", url=world.base
    ).result
    assert result["trees"] == _normalized_voxelhub_trees(trees)
    assert [t["name"] for t in result["trees"]] == ["axon", "dendrite"]
    positions = sorted(p for t in result["trees"] for _, p in t["nodes"])
    assert positions == sorted([float(v) for v in p] for t in TREES for p in t["nodes"])
    assert result["datasetId"] == world.datasets["em"]


def test_annotation_download_of_a_private_annotation_logged_out_is_refused(
    interop_world: InteropWorld, run_client
) -> None:
    world = interop_world
    annotation_id, _ = _create_annotation(world, "team_a", "Private")
    refused = run_client("download_annotation", f"{world.base}/annotations/{annotation_id}", url=world.base)
    assert refused.returncode != 0


# ---------------------------------------------------------------- 4. Annotation.upload() with an API token


def test_annotation_upload_creates_an_annotation_owned_by_the_token_user(
    interop_world: InteropWorld, run_client
) -> None:
    world = interop_world
    token = world.api_token("team_a")
    spec = {
        "name": "uploaded_by_client",
        "datasetId": world.datasets["em"],
        "datasetName": world.names["em"],
        "voxelSize": [11.24, 11.24, 28.0],
        "trees": TREES,
    }
    result = run_client("upload_annotation", json.dumps(spec), url=world.base, token=token).result
    assert result["url"] == f"{world.base}/annotations/{result['annotationId']}"
    annotation_id = result["annotationId"]
    with world.login("team_a") as client:
        me = client.get("/api/user").json()
        info = client.get(f"/api/annotations/{annotation_id}/info")
        assert info.status_code == 200, info.text
        assert info.json()["owner"]["id"] == me["id"]
        assert info.json()["datasetId"] == world.datasets["em"]
        trees = client.get(f"/api/annotations/{annotation_id}/skeleton").json()["trees"]
    got = sorted(
        (t["name"], sorted(tuple(float(v) for v in n["position"]) for n in t["nodes"]), len(t["edges"]))
        for t in trees
    )
    want = sorted(
        (t["name"], sorted(tuple(float(v) for v in p) for p in t["nodes"]), len(t["edges"])) for t in TREES
    )
    assert got == want
    # the uploaded one is the token user's: another member of the organization cannot change it
    with world.login("member_a") as other:
        assert other.patch(f"/api/annotations/{annotation_id}", json={"name": "x"}).status_code in (403, 404)


# ---------------------------------------------------------------- 5. plain zarr readers on /data/s/{token}/zarr


def _mag_paths(world: InteropWorld, root: str) -> dict[tuple[str, int], str]:
    answer = httpx.get(f"{root}/datasource-properties.json", timeout=30)
    assert answer.status_code == 200, answer.text
    paths = {}
    for layer in answer.json()["dataLayers"]:
        for mag in layer["mags"]:
            paths[(layer["name"], mag["mag"][0])] = mag["path"].removeprefix("./").strip("/")
    return paths


def test_zarr_python_and_tensorstore_read_the_sharing_path_voxel_exact(
    interop_world: InteropWorld, run_client, tmp_path: Path
) -> None:
    world = interop_world
    token = world.sharing_token("em")
    root = f"{world.base}/data/s/{token}/zarr/{world.datasets['em']}"
    paths = _mag_paths(world, root)
    assert set(paths) == {(name, mag) for name in LAYERS for mag in MAGS}
    for (name, mag), path in paths.items():
        truth = read_truth(world.folder, name, mag)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            store = FsspecStore.from_url(f"{root}/{path}", read_only=True)
            array = zarr.open_array(store=store, mode="r")
            got = np.asarray(array[...])
            zarr_format = array.metadata.zarr_format
        assert got.dtype == truth.dtype and np.array_equal(got, truth), f"zarr-python: {name} mag {mag}"
        out = tmp_path / f"ts-{name}-{mag}.npy"
        ts_result = run_client(
            "tensorstore_read", f"{root}/{path}", str(out), str(zarr_format), url=world.base
        ).result
        assert ts_result["dtype"] == str(truth.dtype)
        assert np.array_equal(np.load(out), truth), f"tensorstore: {name} mag {mag}"

    world.revoke("em")
    gone = httpx.get(f"{root}/datasource-properties.json", timeout=30)
    assert gone.status_code == 404


# ---------------------------------------------------------------- volume data in annotation zips

VOLUME_ZIPS = [
    "l4_sample__explorational__suser__94b271.zip",  # zarr3 volume data
    "l4dense_motta_et_al_demo_v2__explorational.zip",
]  # WKW volume data


def _boxes(archive_zip: Path, tmp_path: Path) -> dict[str, list[dict]]:
    """Per volume layer name, one 32³ box per mag around a block that holds data (from voxelhub's reading of
    the archive's file names only; the voxels themselves are compared client against client)."""
    import zipfile

    from tests.annotations.test_volume_exchange import volumes_of_fixture
    from voxelhub.annotations.nml.reader import read_nml

    with zipfile.ZipFile(archive_zip) as zf:
        skeleton = read_nml(zf.read(next(n for n in zf.namelist() if n.endswith(".nml"))))
    names = {v.id: v.name or "Volume" for v in skeleton.volumes}
    boxes: dict[str, list[dict]] = {}
    for volume_id, archive in volumes_of_fixture(archive_zip, tmp_path).items():
        for mag_name, mag in archive.mags.items():
            block = next(iter(archive.blocks(mag_name)), None)
            if block is not None:
                boxes.setdefault(names[volume_id], []).append(
                    {
                        "mag": mag_name,
                        "offset": [o * f for o, f in zip(block.offset, mag, strict=True)],
                        "size": [32 * f for f in mag],
                    }
                )
    return boxes


def _fitting_dataset(session_factory, world: InteropWorld, original: Path, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    """A dataset with the mags and extent of the fixture's volume data (an upload may bring no other mags),
    shared with team a1 like "em"."""
    from tests.annotations.volume_datasets import archives_of, write_fitting_dataset
    from tests.datasets.helpers import register_folder
    from voxelhub.datasets import service as datasets
    from voxelhub.db import transaction
    from voxelhub.policy import SYSTEM

    folder = tmp_path / "fitting-dataset"
    folder.mkdir()
    write_fitting_dataset(folder, archives_of(original, tmp_path))
    dataset_id = register_folder(session_factory, world.accounts.org_ids["a"], folder, name="interop-fitting")
    with transaction(session_factory) as session:
        datasets.set_allowed_teams(
            session=session, actor=SYSTEM, dataset_id=dataset_id, team_ids=[world.accounts.team_ids["a1"]]
        )
    return dataset_id


@pytest.mark.parametrize("name", VOLUME_ZIPS)
def test_volume_data_voxelhub_exports_reads_in_the_client_like_the_original(
    interop_world: InteropWorld,
    run_client,
    tmp_path: Path,
    name: str,
    session_factory,
) -> None:
    """Upload a webKnossos annotation zip (zarr3 or WKW volume data), download it from voxelhub (zarr3 volume
    data written by voxelhub), and have the client read the same boxes of every mag from both zips."""
    from tests.fixture_files import FIXTURES

    original = FIXTURES / "annotations" / name
    boxes = _boxes(original, tmp_path)
    assert boxes, "the fixture holds volume data"
    dataset_id = _fitting_dataset(session_factory, interop_world, original, tmp_path)
    with interop_world.login("team_a") as client:
        uploaded = client.post(
            "/api/annotations/upload",
            files={"file": (name, original.read_bytes())},
            data={"datasetId": dataset_id},
        )
        assert uploaded.status_code == 200, uploaded.text
        annotation_id = uploaded.json()["annotation"]["id"]
        download = client.get(f"/api/annotations/{annotation_id}/download")
        assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    exported = tmp_path / "exported.zip"
    exported.write_bytes(download.content)

    theirs = run_client(
        "read_annotation_volumes", str(original), json.dumps(boxes), str(tmp_path / "a")
    ).result
    ours = run_client("read_annotation_volumes", str(exported), json.dumps(boxes), str(tmp_path / "b")).result
    assert [layer["name"] for layer in ours["layers"]] == [layer["name"] for layer in theirs["layers"]]
    for mine, reference in zip(ours["layers"], theirs["layers"], strict=True):
        assert mine["segments"] == reference["segments"]
        assert set(reference["mags"]) <= set(mine["mags"])
        assert len(mine["files"]) == len(boxes[mine["name"]]) > 0
        for got_file, want_file in zip(mine["files"], reference["files"], strict=True):
            got, want = np.load(got_file), np.load(want_file)
            assert got.shape == want.shape and got.dtype == want.dtype
            assert np.array_equal(got, want), f"{mine['name']}: voxels differ from the client's reading"
        assert any(np.load(f).any() for f in reference["files"]), "the boxes hold painted voxels"
