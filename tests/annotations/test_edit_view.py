"""The annotation's stored view (issue 16): where the owner last worked. The owner's viewer sends it with
`PATCH /api/annotations/{id}` (no new version, no change to `modified`); the info answers it as webKnossos'
editPosition / editRotation / zoomLevel; `updateSkeletonTracing` saves and NML uploads set it; the NML
download and a copy carry it. Only the owner may set it, and only within bounds."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient

from tests.annotations.test_annotation_content import setup, team_member_on_dataset  # noqa: F401
from tests.factories import logged_in_client
from voxelhub.annotations.nml.reader import read_nml

VIEW = {"editPosition": [40.5, 50, 20], "editRotation": [0, 0, 90], "zoomLevel": 0.75}


def test_owner_stores_the_view_without_a_new_version(setup) -> None:  # noqa: F811
    _, _, owner, annotation_id = setup
    base = f"/api/annotations/{annotation_id}"
    before = owner.get(f"{base}/info").json()
    assert (before["editPosition"], before["editRotation"], before["zoomLevel"]) == (None, None, None)
    answer = owner.patch(base, json=VIEW)
    assert answer.status_code == 200, answer.text
    after = owner.get(f"{base}/info").json()
    assert after["editPosition"] == [40.5, 50, 20]
    assert after["editRotation"] == [0, 0, 90]
    assert after["zoomLevel"] == 0.75
    assert after["version"] == before["version"]
    assert after["modified"] == before["modified"]
    # Parts come one at a time too; the others stay.
    owner.patch(base, json={"zoomLevel": 2}).raise_for_status()
    info = owner.get(f"{base}/info").json()
    assert (info["editPosition"], info["zoomLevel"]) == ([40.5, 50, 20], 2)


@pytest.mark.parametrize(
    "body",
    [
        {"editPosition": [1, 2]},
        {"editPosition": [1, 2, 3, 4]},
        {"editPosition": [1, 2, 3e12]},
        {"editPosition": ["a", 2, 3]},
        {"editRotation": [0, 0, 720]},
        {"zoomLevel": 0},
        {"zoomLevel": -1},
        {"zoomLevel": 1e9},
        {"activeNode": 3},
    ],
)
def test_bad_views_are_refused(setup, body) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _, _, owner, annotation_id = setup
    answer = owner.patch(f"/api/annotations/{annotation_id}", json=body)
    assert answer.status_code == 422, (body, answer.text)
    assert owner.get(f"/api/annotations/{annotation_id}/info").json()["editPosition"] is None


def test_nobody_else_stores_a_view(app, setup) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    world, _, owner, annotation_id = setup
    base = f"/api/annotations/{annotation_id}"
    owner.patch(base, json={"visibility": "Public"}).raise_for_status()
    # A colleague who reads the (public) annotation, an admin of another organization, nobody logged in.
    colleague = logged_in_client(app, world.users["member_a"])
    stranger = logged_in_client(app, world.users["admin_b"])
    anonymous = TestClient(app)
    for client, statuses in ((colleague, {403}), (stranger, {403, 404}), (anonymous, {401, 403, 404})):
        answer = client.patch(base, json=VIEW)
        assert answer.status_code in statuses, answer.text
    assert owner.get(f"{base}/info").json()["editPosition"] is None


def test_skeleton_tracing_saves_nml_and_copies_carry_the_view(app, setup) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    world, _, owner, annotation_id = setup
    base = f"/api/annotations/{annotation_id}"
    action = {"name": "updateSkeletonTracing", "value": {"editPosition": [7, 8, 9], "zoomLevel": 1.5}}
    owner.post(f"{base}/updates", json={"version": 0, "actions": [action]}).raise_for_status()
    info = owner.get(f"{base}/info").json()
    assert (info["editPosition"], info["zoomLevel"]) == ([7, 8, 9], 1.5)

    # The viewer's later view wins in the download.
    owner.patch(base, json=VIEW).raise_for_status()
    nml = owner.get(f"{base}/download").content
    params = read_nml(io.BytesIO(nml)).parameters
    assert params.edit_position == (40.5, 50, 20)
    assert params.edit_rotation == (0, 0, 90)
    assert params.zoom_level == 0.75

    # Uploaded back, the new annotation opens there too.
    uploaded = owner.post("/api/annotations/upload", files={"file": ("back.nml", nml, "application/xml")})
    assert uploaded.status_code == 200, uploaded.text
    back = owner.get(f"/api/annotations/{uploaded.json()['annotation']['id']}/info").json()
    assert (back["editPosition"], back["editRotation"], back["zoomLevel"]) == (
        [40.5, 50, 20],
        [0, 0, 90],
        0.75,
    )

    # A copy starts where the original's owner worked.
    copy = owner.post(f"{base}/duplicate")
    assert copy.status_code == 201, copy.text
    assert copy.json()["editPosition"] == [40.5, 50, 20]
