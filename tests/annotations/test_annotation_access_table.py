"""Every cell of the annotation part of docs/permissions.md, through `policy.can`, the listing filters and HTTP."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.annotations.world import AnnotationWorld, build_annotation_world, load
from tests.factories import logged_in_client
from voxelhub.annotations.models import Annotation
from voxelhub.db import transaction
from voxelhub.policy import ANONYMOUS, Action, can, readable_annotations, shared_with_user

T, F = True, False
# Actors: the owner is "team_a" (member of team a1). "tm_a" manages team a1 (a team of the owner).
# "member_b" in team... none: "member" roles are in no team. Shared team is a2: "shared_member" is added below.
READERS = {
    #               Private Internal Public
    "anonymous": (F, F, T),
    "owner": (T, T, T),
    "team_manager": (T, T, T),  # manager of one of the owner's teams
    "admin": (T, T, T),
    "dataset_manager": (F, T, T),  # no special annotation rights
    "member": (F, T, T),
    "outsider": (F, F, T),
    "outsider_admin": (F, F, T),
}
USER = {
    "owner": "team_a",
    "team_manager": "tm_a",
    "admin": "admin_a",
    "dataset_manager": "dsm_a",
    "member": "member_a",
    "outsider": "member_b",
    "outsider_admin": "admin_b",
}
VISIBILITIES = ("Private", "Internal", "Public")


def actor_of(session, world: AnnotationWorld, name: str):  # type: ignore[no-untyped-def]
    return ANONYMOUS if name == "anonymous" else world.accounts.actor(session, USER[name])


def test_policy_table(session_factory) -> None:
    world = build_annotation_world(session_factory)
    with transaction(session_factory) as session:
        for name, row in READERS.items():
            actor = actor_of(session, world, name)
            for visibility, may_read in zip(VISIBILITIES, row, strict=True):
                annotation = load(session, world.annotation_ids[visibility])
                is_owner = name == "owner"
                expected = {
                    Action.READ: may_read,
                    Action.DOWNLOAD: may_read,
                    Action.WRITE: is_owner,
                    Action.CHANGE_VISIBILITY: is_owner,
                    Action.SHARE_WITH_TEAMS: is_owner,
                    Action.FORK: may_read and name != "anonymous",
                    Action.DELETE: name in ("owner", "admin"),
                }
                got = {action: can(actor, action, annotation) for action in expected}
                assert got == expected, (name, visibility)
                listed = (
                    annotation.id in session.scalars(readable_annotations(select(Annotation.id), actor)).all()
                )
                assert listed == may_read, (name, visibility)


def test_shared_annotations_listing(session_factory) -> None:
    world = build_annotation_world(session_factory)
    with transaction(session_factory) as session:
        from voxelhub.accounts.service import TeamAssignment, update_user
        from voxelhub.policy import SYSTEM

        member_id = world.accounts.user_id(session, "member_a")
        update_user(
            session=session,
            actor=SYSTEM,
            user_id=member_id,
            teams=[TeamAssignment(world.accounts.team_ids["a2"])],
        )
    with transaction(session_factory) as session:
        member = world.accounts.actor(session, "member_a")
        assert member.user is not None
        shared = set(session.scalars(shared_with_user(select(Annotation.id), member.user)).all())
        assert shared == {world.annotation_ids["Internal"], world.annotation_ids["Public"]}
        owner = world.accounts.actor(session, "team_a")
        assert owner.user is not None
        assert set(session.scalars(shared_with_user(select(Annotation.id), owner.user)).all()) == set()


@pytest.fixture
def world(session_factory) -> AnnotationWorld:
    return build_annotation_world(session_factory)


def client_of(app, world: AnnotationWorld, name: str) -> TestClient:  # type: ignore[no-untyped-def]
    if name == "anonymous":
        return TestClient(app, base_url="http://127.0.0.1")
    return logged_in_client(app, world.accounts.users[USER[name]])


@pytest.mark.parametrize("name", list(READERS))
def test_http_table(app, world: AnnotationWorld, name: str) -> None:
    client = client_of(app, world, name)
    for visibility, may_read in zip(VISIBILITIES, READERS[name], strict=True):
        annotation_id = world.annotation_ids[visibility]
        base = f"/api/annotations/{annotation_id}"
        info = client.get(f"{base}/info")
        assert info.status_code == (200 if may_read else 404), (name, visibility)
        if may_read:
            body = info.json()
            assert body["restrictions"]["allowUpdate"] is (name == "owner")
            assert body["restrictions"]["allowDownload"] is True
        not_owner = 404 if not may_read else (401 if name == "anonymous" else 403)
        expected_owner_only = 200 if name == "owner" else not_owner
        assert client.patch(base, json={"name": "renamed"}).status_code == expected_owner_only
        assert client.patch(base, json={"visibility": visibility}).status_code == expected_owner_only
        assert client.get(f"{base}/sharedTeams").status_code == expected_owner_only
        if visibility != "Private":
            teams = [world.accounts.team_ids["a2"]]
            assert client.patch(f"{base}/sharedTeams", json=teams).status_code == expected_owner_only


@pytest.mark.parametrize("name", ["anonymous", "member", "team_manager", "dataset_manager", "outsider_admin"])
def test_who_may_not_delete(app, world: AnnotationWorld, name: str) -> None:
    client = client_of(app, world, name)
    for visibility, may_read in zip(VISIBILITIES, READERS[name], strict=True):
        status = client.delete(f"/api/annotations/{world.annotation_ids[visibility]}").status_code
        assert status == (404 if not may_read else (401 if name == "anonymous" else 403)), (name, visibility)


def test_owner_and_admin_may_delete(app, world: AnnotationWorld) -> None:
    assert (
        client_of(app, world, "admin")
        .delete(f"/api/annotations/{world.annotation_ids['Private']}")
        .status_code
        == 204
    )
    owner = client_of(app, world, "owner")
    assert owner.delete(f"/api/annotations/{world.annotation_ids['Public']}").status_code == 204
    assert owner.get(f"/api/annotations/{world.annotation_ids['Public']}/info").status_code == 404


def test_making_private_clears_teams_and_private_cannot_be_shared(app, world: AnnotationWorld) -> None:
    owner = client_of(app, world, "owner")
    base = f"/api/annotations/{world.annotation_ids['Internal']}"
    assert [t["name"] for t in owner.get(f"{base}/sharedTeams").json()] == ["team a2"]
    assert owner.patch(base, json={"visibility": "Private"}).json()["teams"] == []
    assert owner.patch(f"{base}/sharedTeams", json=[world.accounts.team_ids["a2"]]).status_code == 400
    owner.patch(base, json={"visibility": "Internal"})
    assert owner.patch(f"{base}/sharedTeams", json=[world.accounts.team_ids["b1"]]).status_code == 400
    assert owner.patch(base, json={"visibility": "Secret"}).status_code == 422


def test_shared_tab_over_http(app, world: AnnotationWorld, session_factory) -> None:
    with transaction(session_factory) as session:
        from voxelhub.accounts.service import TeamAssignment, update_user
        from voxelhub.policy import SYSTEM

        update_user(
            session=session,
            actor=SYSTEM,
            user_id=world.accounts.user_id(session, "member_a"),
            teams=[TeamAssignment(world.accounts.team_ids["a2"])],
        )
    member = client_of(app, world, "member")
    listed = {a["id"] for a in member.get("/api/annotations/readable", params={"scope": "shared"}).json()}
    assert listed == {world.annotation_ids["Internal"], world.annotation_ids["Public"]}
    owner = client_of(app, world, "owner")
    assert owner.get("/api/annotations/readable", params={"scope": "shared"}).json() == []
    assert len(owner.get("/api/annotations/readable", params={"scope": "own"}).json()) == 3
    assert client_of(app, world, "anonymous").get("/api/annotations/readable").status_code == 401
