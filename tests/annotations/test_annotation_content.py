"""Skeleton saves over HTTP (versions, 409, atomic 400 with the action index, history), copy to my account,
NML download and upload, a hostile NML corpus, and a public annotation on a private dataset."""

from __future__ import annotations

import io
import threading
import zipfile
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.datasets.helpers import SIMPLE_ZARR3, register_folder
from tests.factories import build_world, logged_in_client
from tests.fixture_files import FIXTURES
from voxelhub.annotations.models import Annotation
from voxelhub.annotations.nml.reader import read_nml
from voxelhub.db import transaction

TREE = {
    "name": "createTree",
    "value": {"id": 1, "name": "axon", "color": [1, 0, 0, 1], "comments": [], "branchPoints": []},
}


def node(node_id: int, x: int) -> dict:
    return {
        "name": "createNode",
        "value": {"id": node_id, "treeId": 1, "position": [x, 20, 30], "radius": 2.0},
    }


def team_member_on_dataset(app, session_factory):  # type: ignore[no-untyped-def]
    """A world with a small private dataset allowed to team a1, and a client of a member of a1 (who reads it)."""
    world = build_world(session_factory)
    dataset_id = register_folder(session_factory, world.org_ids["a"], SIMPLE_ZARR3)
    admin = logged_in_client(app, world.users["admin_a"])
    admin.patch(f"/api/datasets/{dataset_id}/teams", json=[world.team_ids["a1"]])
    return world, dataset_id, logged_in_client(app, world.users["team_a"])


@pytest.fixture
def setup(app, session_factory):  # type: ignore[no-untyped-def]
    world, dataset_id, owner = team_member_on_dataset(app, session_factory)
    created = owner.post("/api/annotations", json={"datasetId": dataset_id, "name": "axons"})
    assert created.status_code == 201, created.text
    return world, dataset_id, owner, created.json()["id"]


def annotation_count(session_factory) -> int:  # type: ignore[no-untyped-def]
    with transaction(session_factory) as session:
        return session.scalar(select(func.count()).select_from(Annotation)) or 0


def test_saves_are_versioned_and_any_version_loads(setup) -> None:
    _, _, owner, annotation_id = setup
    base = f"/api/annotations/{annotation_id}"
    assert owner.post(f"{base}/updates", json={"version": 0, "actions": [TREE, node(1, 10)]}).json() == {
        "version": 1
    }
    edge = {"name": "createEdge", "value": {"treeId": 1, "source": 1, "target": 2}}
    assert owner.post(f"{base}/updates", json={"version": 1, "actions": [node(2, 11), edge]}).json() == {
        "version": 2
    }
    now = owner.get(f"{base}/skeleton").json()
    assert now["version"] == 2
    tree = now["trees"][0]
    assert [n["id"] for n in tree["nodes"]] == [1, 2] and tree["edges"] == [{"source": 1, "target": 2}]
    assert tree["nodes"][0]["position"] == [10, 20, 30]
    earlier = owner.get(f"{base}/skeleton", params={"version": 1}).json()
    assert [n["id"] for n in earlier["trees"][0]["nodes"]] == [1]
    assert owner.get(f"{base}/skeleton", params={"version": 9}).status_code == 404
    assert [h["version"] for h in owner.get(f"{base}/history").json()] == [2, 1, 0]


def test_stale_save_gets_409_and_loses_nothing(setup) -> None:
    _, _, owner, annotation_id = setup
    base = f"/api/annotations/{annotation_id}"
    owner.post(f"{base}/updates", json={"version": 0, "actions": [TREE]})
    stale = owner.post(f"{base}/updates", json={"version": 0, "actions": [node(5, 1)]})
    assert stale.status_code == 409 and stale.json()["currentVersion"] == 1
    assert owner.get(f"{base}/skeleton").json()["trees"][0]["nodes"] == []


def test_an_invalid_action_rejects_the_whole_batch_with_its_index(setup) -> None:
    _, _, owner, annotation_id = setup
    base = f"/api/annotations/{annotation_id}"
    bad = owner.post(
        f"{base}/updates",
        json={
            "version": 0,
            "actions": [
                TREE,
                node(1, 1),
                {"name": "createEdge", "value": {"treeId": 1, "source": 1, "target": 99}},
            ],
        },
    )
    assert bad.status_code == 400 and bad.json()["actionIndex"] == 2
    assert owner.get(f"{base}/info").json()["version"] == 0
    assert owner.get(f"{base}/skeleton").json()["trees"] == []
    unknown = owner.post(f"{base}/updates", json={"version": 0, "actions": [{"name": "launch", "value": {}}]})
    assert unknown.status_code == 400


def test_two_clients_saving_concurrently_one_wins_one_gets_409(app, setup) -> None:
    world, _, owner, annotation_id = setup
    base = f"/api/annotations/{annotation_id}"
    owner.post(f"{base}/updates", json={"version": 0, "actions": [TREE]})
    second = logged_in_client(app, world.users["team_a"])
    results: list[int] = []
    barrier = threading.Barrier(2)

    def save(client: TestClient, node_id: int) -> None:
        barrier.wait()
        results.append(
            client.post(
                f"{base}/updates", json={"version": 1, "actions": [node(node_id, node_id)]}
            ).status_code
        )

    threads = [threading.Thread(target=save, args=(c, i)) for i, c in ((10, owner), (20, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409]
    skeleton = owner.get(f"{base}/skeleton").json()
    assert skeleton["version"] == 2 and len(skeleton["trees"][0]["nodes"]) == 1


def test_non_owners_get_read_only_even_admins(app, setup) -> None:
    world, _, _, annotation_id = setup
    admin = logged_in_client(app, world.users["admin_a"])
    base = f"/api/annotations/{annotation_id}"
    assert admin.get(f"{base}/info").json()["restrictions"]["allowUpdate"] is False
    assert admin.post(f"{base}/updates", json={"version": 0, "actions": [TREE]}).status_code == 403
    assert TestClient(app).post(f"{base}/updates", json={"version": 0, "actions": [TREE]}).status_code == 404


def test_copy_to_my_account(app, setup, session_factory) -> None:
    world, dataset_id, owner, annotation_id = setup
    base = f"/api/annotations/{annotation_id}"
    owner.post(f"{base}/updates", json={"version": 0, "actions": [TREE, node(1, 5)]})
    colleague = logged_in_client(app, world.users["tm_a"])  # reads the dataset (team a1) and the annotation
    copy = colleague.post(f"{base}/duplicate")
    assert copy.status_code == 201, copy.text
    fork = copy.json()
    assert fork["forkedFrom"] == annotation_id and fork["visibility"] == "Internal"
    assert fork["owner"]["firstName"] == "tm" and fork["restrictions"]["allowUpdate"] is True
    fork_base = f"/api/annotations/{fork['id']}"
    assert (
        colleague.post(f"{fork_base}/updates", json={"version": 0, "actions": [node(2, 6)]}).status_code
        == 200
    )
    # Not synced: the original is unchanged, and later changes to it do not reach the copy.
    assert len(owner.get(f"{base}/skeleton").json()["trees"][0]["nodes"]) == 1
    owner.post(f"{base}/updates", json={"version": 1, "actions": [node(3, 7)]})
    assert [n["id"] for n in colleague.get(f"{fork_base}/skeleton").json()["trees"][0]["nodes"]] == [1, 2]
    # A member who reads the annotation but not its dataset may not copy it; anonymous neither.
    member = logged_in_client(app, world.users["member_a"])
    assert member.get(f"{base}/info").status_code == 200
    before = annotation_count(session_factory)
    assert member.post(f"{base}/duplicate").status_code == 404
    assert TestClient(app).post(f"{base}/duplicate").status_code == 404
    assert annotation_count(session_factory) == before


def test_public_annotation_on_private_dataset(app, setup) -> None:
    world, dataset_id, owner, annotation_id = setup
    base = f"/api/annotations/{annotation_id}"
    info = owner.patch(base, json={"visibility": "Public"}).json()
    # No link yet, and the info does not make one (the Share dialog's Save asks for it explicitly).
    assert "?token=" not in info["sharingUrl"] and info["datasetLinkMissing"] is True
    assert owner.post(f"/api/datasets/{dataset_id}/sharingToken").status_code == 200
    info = owner.get(f"{base}/info").json()
    assert "?token=" in info["sharingUrl"] and info["datasetLinkMissing"] is False
    token = info["sharingUrl"].split("?token=")[1]
    anonymous = TestClient(app)
    seen = anonymous.get(f"{base}/info").json()
    assert seen["datasetReadable"] is False and seen["restrictions"]["allowUpdate"] is False
    assert anonymous.get(f"/api/datasets/{dataset_id}").status_code == 404
    with_token = anonymous.get(f"{base}/info", params={"token": token}).json()
    assert with_token["datasetReadable"] is True
    assert anonymous.get(f"/api/datasets/{dataset_id}", params={"token": token}).status_code == 200


def test_download_and_upload_round_trip(app, setup, session_factory) -> None:
    world, dataset_id, owner, annotation_id = setup
    base = f"/api/annotations/{annotation_id}"
    owner.post(f"{base}/updates", json={"version": 0, "actions": [TREE, node(1, 5), node(2, 6)]})
    answer = owner.get(f"{base}/download")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == 'attachment; filename="axons.nml"'
    nml = answer.content
    assert f'datasetId="{dataset_id}"'.encode() in nml and b"annotationId" in nml
    uploaded = owner.post(
        "/api/annotations/upload", files={"again.nml": ("again.nml", nml, "application/xml")}
    )
    assert uploaded.status_code == 200, uploaded.text
    new_id = uploaded.json()["annotation"]["id"]
    assert uploaded.json()["messages"] == []
    trees = owner.get(f"/api/annotations/{new_id}/skeleton").json()["trees"]
    assert [n["position"] for n in trees[0]["nodes"]] == [[5, 20, 30], [6, 20, 30]]
    assert owner.get(f"/api/annotations/{new_id}/info").json()["owner"]["firstName"] == "team"


FIXTURE_NMLS = sorted(FIXTURES.glob("**/*.nml"))


@pytest.mark.parametrize("path", FIXTURE_NMLS, ids=[p.name for p in FIXTURE_NMLS])
def test_fixture_nmls_upload_and_download_lose_nothing(app, setup, path) -> None:
    """Every fixture NML uploads; its download holds the same trees (nodes with every attribute, edges,
    comments, branchpoints), groups, bounding boxes, active node and volume descriptors. Only what names the
    annotation's new home changes: `<experiment>`, `<meta>`, and the scale (the dataset's)."""
    _, dataset_id, owner, _ = setup
    data = path.read_bytes()
    answer = owner.post(
        "/api/annotations/upload", files={"file": (path.name, data)}, data={"datasetId": dataset_id}
    )
    assert answer.status_code == 200, answer.text
    download = owner.get(f"/api/annotations/{answer.json()['annotation']['id']}/download")
    assert download.status_code == 200
    before, after = read_nml(data), read_nml(download.content)
    assert list(after.trees) == list(before.trees)
    assert all(after.trees[i].equals(before.trees[i]) for i in before.trees)
    assert after.tree_groups == before.tree_groups
    assert after.bounding_boxes == before.bounding_boxes
    assert after.active_node_id == before.active_node_id
    assert [replace(v, location=None) for v in after.volumes] == [
        replace(v, location=None) for v in before.volumes
    ]
    assert replace(after.parameters, experiment=(), scale=None, unit=None) == replace(
        before.parameters, experiment=(), scale=None, unit=None
    )


def test_fixture_zip_uploads(app, setup, session_factory, tmp_path) -> None:
    from tests.annotations.volume_datasets import fitting_dataset

    world, _, owner, _ = setup
    path = FIXTURES / "annotations" / "l4_sample__explorational__suser__94b271.zip"
    admin = logged_in_client(app, world.users["admin_a"])
    dataset_id = fitting_dataset(
        session_factory, admin, world.org_ids["a"], world.team_ids["a1"], path, tmp_path
    )
    data = path.read_bytes()
    answer = owner.post(
        "/api/annotations/upload", files={"file": ("l4.zip", data)}, data={"datasetId": dataset_id}
    )
    assert answer.status_code == 200, answer.text


BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><things><parameters><experiment name="&lol3;"/></parameters></things>"""
EXTERNAL = b"""<?xml version="1.0"?><!DOCTYPE things [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<things><parameters><experiment name="&xxe;"/></parameters></things>"""
TRUNCATED = b"""<things><parameters><experiment name="x"/></parameters><thing id="1"><nodes><node id="1" x="1" y="2" z="3"/>"""
UNKNOWN_NODE = b"""<things><thing id="1"><nodes><node id="1" x="1" y="2" z="3"/></nodes>
<edges><edge source="1" target="7"/></edges></thing></things>"""
NON_NUMERIC = (
    b"""<things><thing id="1"><nodes><node id="1" x="one" y="2" z="3"/></nodes><edges/></thing></things>"""
)


@pytest.mark.parametrize(
    "body, needle",
    [
        (BILLION_LAUGHS, ""),
        (EXTERNAL, ""),
        (TRUNCATED, ""),
        (UNKNOWN_NODE, "line"),
        (NON_NUMERIC, "line"),
        (b"\x00\xff garbage" * 100, ""),
        (bytes(range(256)) * (50 * 1024 * 4), ""),  # 50 MB of garbage
    ],
)
def test_hostile_nml_is_refused_and_creates_nothing(app, setup, session_factory, body, needle) -> None:
    _, dataset_id, owner, _ = setup
    before = annotation_count(session_factory)
    answer = owner.post(
        "/api/annotations/upload", files={"file": ("bad.nml", body)}, data={"datasetId": dataset_id}
    )
    assert 400 <= answer.status_code < 500, answer.text
    assert needle in answer.json()["error"]
    assert b"root:" not in answer.content
    assert annotation_count(session_factory) == before


def test_bad_zip_and_missing_file_and_anonymous_upload_are_refused(app, setup, session_factory) -> None:
    _, dataset_id, owner, _ = setup
    before = annotation_count(session_factory)
    two = io.BytesIO()
    with zipfile.ZipFile(two, "w") as archive:
        archive.writestr("a.nml", "<things/>")
        archive.writestr("b.nml", "<things/>")
    assert (
        owner.post(
            "/api/annotations/upload",
            files={"f": ("two.zip", two.getvalue())},
            data={"datasetId": dataset_id},
        ).status_code
        == 400
    )
    assert (
        owner.post(
            "/api/annotations/upload",
            files={"f": ("x.zip", b"PK\x03\x04broken")},
            data={"datasetId": dataset_id},
        ).status_code
        == 400
    )
    assert owner.post("/api/annotations/upload", data={"datasetId": dataset_id}).status_code == 400
    anonymous = TestClient(app).post(
        "/api/annotations/upload", files={"f": ("a.nml", b"<things/>")}, data={"datasetId": dataset_id}
    )
    assert anonymous.status_code in (401, 404)
    assert annotation_count(session_factory) == before


def _statements_of(app, fn) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import event

    count = 0

    def counted(*_args: object) -> None:
        nonlocal count
        count += 1

    event.listen(app.state.engine, "before_cursor_execute", counted)
    try:
        fn()
    finally:
        event.remove(app.state.engine, "before_cursor_execute", counted)
    return count


def test_the_listing_reads_a_fixed_number_of_times_whatever_its_length(app, setup, session_factory) -> None:
    """The dashboard lists every annotation: its info (dataset, organization, shared teams, the dataset's
    sharing token) is read for all rows at once, not per row."""
    world, dataset_id, owner, _ = setup
    owner.post(f"/api/datasets/{dataset_id}/sharingToken")
    shared = logged_in_client(app, world.users["tm_a"])

    def add(count: int) -> None:
        for _ in range(count):
            made = owner.post("/api/annotations", json={"datasetId": dataset_id}).json()
            owner.patch(f"/api/annotations/{made['id']}", json={"visibility": "Public"})
            owner.patch(f"/api/annotations/{made['id']}/sharedTeams", json=[world.team_ids["a1"]])

    def listing(client: TestClient, scope: str) -> int:
        def read() -> None:
            answer = client.get("/api/annotations/readable", params={"scope": scope})
            assert answer.status_code == 200 and all(
                "?token=" in a["sharingUrl"]
                for a in answer.json()
                if a["visibility"] == "Public" and scope == "own"
            )

        return _statements_of(app, read)

    add(2)
    few = listing(owner, "own"), listing(shared, "shared")
    add(6)
    assert len(owner.get("/api/annotations/readable").json()) == 9
    assert (listing(owner, "own"), listing(shared, "shared")) == few
