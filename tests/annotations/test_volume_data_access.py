"""Issue 11, hole 1: an annotation's voxel data is derived from its dataset (unpainted buckets are the dataset's
segmentation, and the coarse mags computed after a paint carry its segment ids), so reading it needs read
access to the dataset too. A public annotation on a private dataset, painted once, seen by: its owner, a team
member with access to the dataset, a logged-in member and an anonymous visitor without it, and an anonymous
visitor holding the dataset's sharing token. Those without dataset access get the skeleton NML alone and a
403 naming the reason on the voxel routes; the annotation's metadata does not show them the dataset's
bounding box or its largest segment id."""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.datasets.helpers import register_folder
from tests.factories import build_world, logged_in_client
from voxelhub.annotations.models import Annotation
from voxelhub.datasets.demo_data import build_synthetic
from voxelhub.datasets.models import Dataset
from voxelhub.db import transaction, utcnow
from voxelhub.policy import (
    ANONYMOUS,
    Action,
    AnnotationOnDataset,
    ShareGrant,
    can,
    can_read_volume_data,
)

WITH_ACCESS = ("owner", "team_member", "anonymous_with_token")
WITHOUT_ACCESS = ("member", "anonymous")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    return build_synthetic(tmp_path_factory.mktemp("synthetic") / "synthetic-em", size=(64, 64, 64))


def painted(value: int) -> str:
    return base64.b64encode(np.full((32, 32, 32), value, dtype="<u4").tobytes(order="F")).decode()


@pytest.fixture
def public_on_private(app, session_factory, synthetic):  # type: ignore[no-untyped-def]
    """A public annotation with a volume layer over the private dataset's segmentation, painted once."""
    world = build_world(session_factory)
    dataset_id = register_folder(session_factory, world.org_ids["a"], synthetic)
    admin = logged_in_client(app, world.users["admin_a"])
    assert admin.patch(f"/api/datasets/{dataset_id}/teams", json=[world.team_ids["a1"]]).status_code == 200
    token = admin.get(f"/api/datasets/{dataset_id}/sharingToken").json()["sharingToken"]
    owner = logged_in_client(app, world.users["team_a"])
    info = owner.post(
        "/api/annotations", json={"datasetId": dataset_id, "layers": ["skeleton", "volume"]}
    ).json()
    base = f"/api/annotations/{info['id']}"
    saved = owner.post(
        f"{base}/layers/Volume/buckets",
        json={"version": 0, "buckets": [{"mag": [1, 1, 1], "position": [0, 0, 0], "data": painted(777)}]},
    )
    assert saved.status_code == 200, saved.text
    assert owner.patch(base, json={"visibility": "Public"}).status_code == 200
    clients = {
        "owner": owner,
        "team_member": logged_in_client(app, world.users["tm_a"]),
        "member": logged_in_client(app, world.users["member_a"]),
        "anonymous": TestClient(app, base_url="http://127.0.0.1"),
        "anonymous_with_token": TestClient(app, base_url="http://127.0.0.1"),
    }
    clients["anonymous_with_token"].params = {"token": token}
    return world, dataset_id, info["id"], clients


@pytest.mark.parametrize("who", WITH_ACCESS + WITHOUT_ACCESS)
@pytest.mark.parametrize("mag", [[1, 1, 1], [2, 2, 2], [4, 4, 4]])
def test_bucket_reads_need_the_dataset(public_on_private, who: str, mag: list[int]) -> None:
    _, _, annotation_id, clients = public_on_private
    answer = clients[who].post(
        f"/data/annotations/{annotation_id}/layers/Volume/buckets",
        json={"mag": mag, "buckets": [[0, 0, 0], [1, 1, 1]]},
    )
    if who in WITH_ACCESS:
        assert answer.status_code == 200, answer.text
        assert len(answer.content) == 2 * 32**3 * 4
    else:
        assert answer.status_code == 403, answer.text
        assert "dataset" in answer.json()["error"]
        assert answer.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("who", WITH_ACCESS + WITHOUT_ACCESS)
def test_download_holds_volume_data_only_with_dataset_access(public_on_private, who: str) -> None:
    _, _, annotation_id, clients = public_on_private
    answer = clients[who].get(f"/api/annotations/{annotation_id}/download")
    assert answer.status_code == 200, answer.text
    if who in WITH_ACCESS:
        assert answer.headers["content-type"] == "application/zip"
        names = zipfile.ZipFile(io.BytesIO(answer.content)).namelist()
        assert any(n.startswith("data_") and n.endswith(".zip") for n in names), names
        assert "X-Voxelhub-Volume-Data" not in answer.headers
        return
    # The skeleton NML alone, saying why, as a webKnossos client expects it (an .nml attachment).
    assert answer.headers["content-type"].startswith("application/xml")
    assert answer.headers["content-disposition"].endswith('.nml"')
    assert answer.headers["X-Voxelhub-Volume-Data"].startswith("omitted")
    assert not answer.content.startswith(b"PK")
    text = answer.content.decode()
    assert "<!-- Volume data omitted:" in text and "read access to that dataset" in text
    assert "<volume" not in text and "largestSegmentId" not in text
    assert "<things>" in text and "</things>" in text


@pytest.mark.parametrize("who", WITH_ACCESS + WITHOUT_ACCESS)
def test_info_hides_the_datasets_extent_and_largest_segment_id(public_on_private, who: str) -> None:
    _, dataset_id, annotation_id, clients = public_on_private
    info = clients[who].get(f"/api/annotations/{annotation_id}/info").json()
    assert info["datasetId"] == dataset_id and info["datasetName"]
    assert [layer["name"] for layer in info["volumeLayers"]] == ["Volume"]
    if who in WITH_ACCESS:
        assert info["volumeLayers"][0]["boundingBox"] and info["volumeLayers"][0]["largestSegmentId"] >= 777
    else:
        assert info["volumeLayers"] == [{"name": "Volume"}]
        assert info["datasetReadable"] is False


def test_the_page_shows_no_dataset_detail_without_access(public_on_private) -> None:
    _, dataset_id, annotation_id, clients = public_on_private
    page = clients["anonymous"].get(f"/annotations/{annotation_id}")
    assert page.status_code == 200
    assert 'id="no-dataset-access"' in page.text and 'id="volume-data-needs-dataset"' in page.text
    assert "boundingBox" not in page.text and "largestSegmentId" not in page.text
    assert f'data-dataset-id="{dataset_id}"' not in page.text


def test_skeleton_json_drops_volume_descriptors_without_access(app, public_on_private) -> None:
    """An uploaded annotation zip keeps its NML's `<volume>` elements (with their largest segment id)."""
    world, _, annotation_id, clients = public_on_private
    owner = clients["owner"]
    exported = owner.get(f"/api/annotations/{annotation_id}/download")
    uploaded = owner.post("/api/annotations/upload", files={"file": ("again.zip", exported.content)})
    assert uploaded.status_code == 200, uploaded.text
    copy = f"/api/annotations/{uploaded.json()['annotation']['id']}"
    assert owner.patch(copy, json={"visibility": "Public"}).status_code == 200
    assert owner.get(f"{copy}/skeleton").json()["volumes"][0]["largestSegmentId"] >= 777
    assert clients["anonymous_with_token"].get(f"{copy}/skeleton").json()["volumes"]
    seen = clients["anonymous"].get(f"{copy}/skeleton")
    assert seen.status_code == 200 and seen.json()["volumes"] == []


def test_adding_a_volume_layer_needs_the_dataset(app, session_factory, public_on_private) -> None:
    """A new layer copies the dataset's bounding box, mags and largest segment id: an owner who lost access
    to the dataset may not add one (and learns nothing from the answer)."""
    world, dataset_id, annotation_id, clients = public_on_private
    admin = logged_in_client(app, world.users["admin_a"])
    assert admin.patch(f"/api/datasets/{dataset_id}/teams", json=[]).status_code == 200
    answer = clients["owner"].post(f"/api/annotations/{annotation_id}/volumes", json={"name": "Second"})
    assert answer.status_code == 403 and "dataset" in answer.json()["error"]
    assert "boundingBox" not in answer.text
    info = clients["owner"].get(f"/api/annotations/{annotation_id}/info").json()
    assert info["volumeLayers"] == [{"name": "Volume"}]


def test_policy_reads_volume_data_only_with_both(session_factory, public_on_private) -> None:
    world, dataset_id, annotation_id, _ = public_on_private
    with transaction(session_factory) as session:
        annotation = session.get(Annotation, annotation_id)
        dataset = session.get(Dataset, dataset_id)
        other = Dataset(id="f" * 24, organization_id=dataset.organization_id, name="other", is_public=True)
        grant = ShareGrant(object_kind="dataset", object_id=dataset_id, link_id="x")
        revoked = ShareGrant(object_kind="dataset", object_id=dataset_id, link_id="x", revoked_at=utcnow())
        assert can(
            world.actor(session, "team_a"), Action.READ_VOLUME_DATA, AnnotationOnDataset(annotation, dataset)
        )
        assert not can_read_volume_data(ANONYMOUS, annotation, dataset)
        assert can_read_volume_data(ANONYMOUS.with_grants((grant,)), annotation, dataset)
        assert not can_read_volume_data(ANONYMOUS.with_grants((revoked,)), annotation, dataset)
        assert not can_read_volume_data(world.actor(session, "member_a"), annotation, dataset)
        assert not can_read_volume_data(world.actor(session, "team_a"), annotation, other)  # not its dataset
        assert not can(world.actor(session, "team_a"), Action.READ_VOLUME_DATA, annotation)  # needs the pair
        annotation.visibility = "Private"
        assert not can_read_volume_data(ANONYMOUS.with_grants((grant,)), annotation, dataset)
        session.rollback()
