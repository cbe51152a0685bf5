"""The annotation page's actions (docs/permissions.md, "Annotations"): Share and Rename for the owner only,
Download for whoever may read the annotation, keeping the page's share token."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.annotations.world import AnnotationWorld, build_annotation_world
from tests.factories import logged_in_client
from tests.sharing.world import add_link
from voxelhub.db import transaction

OWNER_ONLY = (
    'id="share-button"',
    'id="share-dialog"',
    'id="rename-button"',
    'id="rename-form"',
    "/viewer/annotation_actions.js",
)
# Who reads which annotation, by visibility (the owner is team_a, a member of team a1).
READERS = {
    "owner": ("Private", "Internal", "Public"),
    "admin": ("Private", "Internal", "Public"),
    "team_manager": ("Private", "Internal", "Public"),
    "member": ("Internal", "Public"),
    "outsider": ("Public",),
    "anonymous": ("Public",),
}
USER = {
    "owner": "team_a",
    "admin": "admin_a",
    "team_manager": "tm_a",
    "member": "member_a",
    "outsider": "admin_b",
}


def _client(app, world: AnnotationWorld, name: str) -> TestClient:  # type: ignore[no-untyped-def]
    if name == "anonymous":
        return TestClient(app, base_url="http://127.0.0.1")
    return logged_in_client(app, world.accounts.users[USER[name]])


@pytest.mark.parametrize("dataset_public", [False, True])
@pytest.mark.parametrize("name", list(READERS))
def test_share_and_rename_for_the_owner_only_download_for_every_reader(
    app, session_factory, name: str, dataset_public: bool
) -> None:
    world = build_annotation_world(session_factory, dataset_public=dataset_public)
    client = _client(app, world, name)
    for visibility in READERS[name]:
        annotation_id = world.annotation_ids[visibility]
        page = client.get(f"/annotations/{annotation_id}")
        assert page.status_code == 200, (name, visibility)
        for control in OWNER_ONLY:
            assert (control in page.text) == (name == "owner"), (name, visibility, control)
        assert (
            f'id="download-annotation" href="/api/annotations/{annotation_id}/download" download' in page.text
        )
        assert re.search(r'id="visibility-badge">\s*' + visibility, page.text)


def test_owners_share_dialog_shows_the_state_and_the_orgs_teams(app, session_factory) -> None:
    world = build_annotation_world(session_factory)
    owner = _client(app, world, "owner")
    page = owner.get(f"/annotations/{world.annotation_ids['Internal']}").text
    assert re.search(r'value="Internal" checked', page) and not re.search(
        r'value="(Private|Public)" checked', page
    )
    teams = dict(re.findall(r'name="team" value="([0-9a-f]+)"( checked)?', page))
    ids = world.accounts.team_ids
    assert teams == {ids["a1"]: "", ids["a2"]: " checked"}  # the owner's organization's teams only; a2 shared
    for explanation in ("Only you", "Every logged-in member of your organization", "Anyone with the link"):
        assert explanation in page
    private = owner.get(f"/annotations/{world.annotation_ids['Private']}").text
    assert re.search(r'value="Private" checked', private) and " checked> team" not in private
    # The name and description are in the rename form, escaped like all page text.
    assert 'id="rename-name" name="name" type="text" maxlength="300" required value="Internal"' in page


def test_download_keeps_the_pages_token(app, session_factory) -> None:
    world = build_annotation_world(session_factory)
    with transaction(session_factory) as session:
        token = add_link(session, world.dataset_id, world.accounts.org_ids["a"], "valid")
    annotation_id = world.annotation_ids["Public"]
    page = TestClient(app, base_url="http://127.0.0.1").get(f"/annotations/{annotation_id}?token={token}")
    assert page.status_code == 200 and "data-dataset-id" in page.text
    assert f'href="/api/annotations/{annotation_id}/download?token={token}" download' in page.text
    for control in OWNER_ONLY:
        assert control not in page.text
