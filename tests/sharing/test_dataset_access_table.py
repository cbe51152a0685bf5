"""Every cell of the dataset part of docs/permissions.md, through `policy.can` and through HTTP,
and the listing filter against `can`."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.sharing.world import ACTORS, USER_OF_ACTOR, DatasetWorld, build_dataset_world, client_for
from voxelhub.datasets.models import Dataset
from voxelhub.db import transaction
from voxelhub.policy import ANONYMOUS, Action, Actor, can, readable_datasets
from voxelhub.sharing.models import ShareLink
from voxelhub.sharing.tokens import grant_of

ACTIONS = ("read", "list", "get_link", "revoke", "edit", "change_teams")
T, F = True, False

# The contract, transcribed from docs/permissions.md for a PRIVATE dataset whose allowed team is "team a1".
PRIVATE = {
    #                 read list get_link revoke edit change_teams
    "anonymous": (F, F, F, F, F, F),
    "link_valid": (T, F, F, F, F, F),
    "link_revoked": (F, F, F, F, F, F),
    "link_expired": (F, F, F, F, F, F),
    "outsider": (F, F, F, F, F, F),
    "member": (F, F, F, F, F, F),
    "team_member": (T, T, T, F, F, F),
    "team_manager": (T, T, T, T, T, T),
    "dataset_manager": (T, T, T, T, T, T),
    "admin": (T, T, T, T, T, T),
}
# The same dataset once public: everyone reads and lists; the link only for members of its organization.
PUBLIC = {
    "anonymous": (T, T, F, F, F, F),
    "link_valid": (T, T, F, F, F, F),
    "link_revoked": (T, T, F, F, F, F),
    "link_expired": (T, T, F, F, F, F),
    "outsider": (T, T, F, F, F, F),
    "member": (T, T, T, F, F, F),
    "team_member": (T, T, T, F, F, F),
    "team_manager": (T, T, T, T, T, T),
    "dataset_manager": (T, T, T, T, T, T),
    "admin": (T, T, T, T, T, T),
}
POLICY_ACTION = {
    "read": Action.READ,
    "get_link": Action.GET_SHARING_LINK,
    "revoke": Action.REVOKE_SHARING_LINK,
    "edit": Action.EDIT,
    "change_teams": Action.CHANGE_TEAMS,
}


def actor_of(session, world: DatasetWorld, name: str) -> Actor:  # type: ignore[no-untyped-def]
    if name in USER_OF_ACTOR:
        return world.accounts.actor(session, USER_OF_ACTOR[name])
    if name.startswith("link_"):
        token = world.tokens[name.removeprefix("link_")]
        link = session.scalar(select(ShareLink).where(ShareLink.token == token))
        return ANONYMOUS.with_grants((grant_of(link),))
    return ANONYMOUS


def listed(session, actor: Actor, dataset_id: str) -> bool:  # type: ignore[no-untyped-def]
    return dataset_id in session.scalars(readable_datasets(select(Dataset.id), actor)).all()


@pytest.mark.parametrize("is_public, table", [(False, PRIVATE), (True, PUBLIC)], ids=["private", "public"])
def test_policy_table(session_factory, is_public: bool, table: dict) -> None:
    world = build_dataset_world(session_factory, is_public=is_public)
    with transaction(session_factory) as session:
        dataset = session.get(Dataset, world.dataset_id)
        for name in ACTORS:
            actor = actor_of(session, world, name)
            expected = dict(zip(ACTIONS, table[name], strict=True))
            got = {a: can(actor, POLICY_ACTION[a], dataset) for a in POLICY_ACTION}
            got["list"] = listed(session, actor, dataset.id)
            assert got == expected, name


def expected_status(table: dict, actor: str, action: str, ok: int) -> int:
    allowed = dict(zip(ACTIONS, table[actor], strict=True))
    if allowed[action]:
        return ok
    if not allowed["read"]:
        return 404
    return 401 if actor.startswith(("anonymous", "link_")) else 403


@pytest.mark.parametrize("is_public, table", [(False, PRIVATE), (True, PUBLIC)], ids=["private", "public"])
@pytest.mark.parametrize("actor", ACTORS)
def test_http_table(app, session_factory, actor: str, is_public: bool, table: dict) -> None:
    world = build_dataset_world(session_factory, is_public=is_public)
    client = client_for(app, world, actor)
    ds = f"/api/datasets/{world.dataset_id}"
    assert client.get(ds).status_code == expected_status(table, actor, "read", 200)
    listed_ids = [d["id"] for d in client.get("/api/datasets").json()]
    assert (world.dataset_id in listed_ids) == dict(zip(ACTIONS, table[actor], strict=True))["list"]
    assert client.get(f"{ds}/sharingToken").status_code == expected_status(table, actor, "get_link", 200)
    assert client.patch(ds, json={"description": "x"}).status_code == expected_status(
        table, actor, "edit", 200
    )
    teams = [world.accounts.team_ids["a1"]]
    assert client.patch(f"{ds}/teams", json=teams).status_code == expected_status(
        table, actor, "change_teams", 200
    )
    assert client.delete(f"{ds}/sharingToken").status_code == expected_status(table, actor, "revoke", 204)


def test_dataset_json_shape(app, session_factory) -> None:
    world = build_dataset_world(session_factory)
    body = client_for(app, world, "team_manager").get(f"/api/datasets/{world.dataset_id}").json()
    for key in (
        "id",
        "name",
        "displayName",
        "description",
        "owningOrganization",
        "isPublic",
        "allowedTeams",
        "isEditable",
        "dataSource",
        "dataStore",
    ):
        assert key in body
    assert body["allowedTeams"] == [
        {"id": world.accounts.team_ids["a1"], "name": "team a1", "organization": "org-a"}
    ]
    assert body["isEditable"] is True and body["owningOrganization"] == "org-a"
    assert body["dataStore"]["url"] == "http://127.0.0.1"
    assert (
        client_for(app, world, "team_member").get(f"/api/datasets/{world.dataset_id}").json()["isEditable"]
        is False
    )


def test_dataset_managers_and_admins_never_reach_into_another_organization(app, session_factory) -> None:
    world = build_dataset_world(session_factory)
    for role in ("admin_b", "dsm_b", "tm_b"):
        from tests.factories import logged_in_client

        client = logged_in_client(app, world.accounts.users[role])
        ds = f"/api/datasets/{world.dataset_id}"
        assert client.get(ds).status_code == 404
        assert client.patch(ds, json={"isPublic": True}).status_code == 404
        assert client.patch(f"{ds}/teams", json=[world.accounts.team_ids["b1"]]).status_code == 404
        assert world.dataset_id not in [d["id"] for d in client.get("/api/datasets").json()]


def test_teams_of_another_organization_cannot_be_allowed(app, session_factory) -> None:
    world = build_dataset_world(session_factory)
    admin = client_for(app, world, "admin")
    ds = f"/api/datasets/{world.dataset_id}"
    assert admin.patch(f"{ds}/teams", json=[world.accounts.team_ids["b1"]]).status_code == 400
    assert admin.patch(f"{ds}/teams", json=["../../etc"]).status_code == 400
    assert admin.patch(f"{ds}/teams", json="nope").status_code == 422
    assert [t["name"] for t in admin.get(ds).json()["allowedTeams"]] == ["team a1"]


def test_unknown_dataset_ids_are_404_for_everyone(app, session_factory) -> None:
    world = build_dataset_world(session_factory)
    admin = client_for(app, world, "admin")
    for bad in ("0" * 24, "not-an-id", "..%2F..%2Fetc"):
        assert admin.get(f"/api/datasets/{bad}").status_code == 404
