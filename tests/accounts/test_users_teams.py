"""Users and teams: admins manage their own organization and nothing in another."""

from __future__ import annotations

import pytest

from tests.factories import build_world, logged_in_client
from voxelhub.accounts import service
from voxelhub.accounts.models import Organization, Team, User
from voxelhub.db import transaction
from voxelhub.errors import NotFound
from voxelhub.policy import Action, can


def test_admin_creates_user_with_teams_who_can_then_log_in(app, session_factory) -> None:
    world = build_world(session_factory)
    admin = logged_in_client(app, "admin@a.org")
    created = admin.post(
        "/api/users",
        json={
            "email": "New.Person@A.org",
            "firstName": "New",
            "lastName": "Person",
            "password": "long enough pw",
            "isAdmin": False,
            "isDatasetManager": True,
            "teams": [{"id": world.team_ids["a2"], "isTeamManager": True}],
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["email"] == "new.person@a.org" and body["isDatasetManager"] is True
    assert body["teams"] == [{"id": world.team_ids["a2"], "name": "team a2", "isTeamManager": True}]
    new_client = logged_in_client(app, "new.person@a.org", "long enough pw")
    assert new_client.get("/api/user").json()["id"] == body["id"]
    assert any(u["email"] == "new.person@a.org" for u in admin.get("/api/users").json())


def test_admin_patches_user_roles_and_teams(app, session_factory) -> None:
    world = build_world(session_factory)
    admin = logged_in_client(app, "admin@a.org")
    member_id = logged_in_client(app, "member@a.org").get("/api/user").json()["id"]
    patched = admin.patch(
        f"/api/users/{member_id}",
        json={
            "isAdmin": True,
            "teams": [{"id": world.team_ids["a1"]}],
        },
    )
    assert patched.status_code == 200
    assert patched.json()["isAdmin"] is True and [t["name"] for t in patched.json()["teams"]] == ["team a1"]


@pytest.mark.parametrize("role", ["member_a", "tm_a", "dsm_a", "team_a"])
def test_non_admins_cannot_create_or_list_users_or_create_or_delete_teams(app, session_factory, role) -> None:
    world = build_world(session_factory)
    client = logged_in_client(app, world.users[role])
    before = client.get("/api/teams").json()
    assert (
        client.post("/api/users", json={"email": "x@a.org", "password": "long enough pw"}).status_code == 403
    )
    assert client.get("/api/users").status_code == 403
    assert client.post("/api/teams", json={"name": "mine"}).status_code == 403
    assert client.delete(f"/api/teams/{world.team_ids['a1']}").status_code == 403
    other_id = logged_in_client(app, "admin@a.org").get("/api/user").json()["id"]
    own_id = client.get("/api/user").json()["id"]
    assert client.patch(f"/api/users/{own_id}", json={"isAdmin": True}).status_code == 403
    # Another user's profile is not even readable for a non-admin: 404, never a hint it exists.
    assert client.patch(f"/api/users/{other_id}", json={"isAdmin": True}).status_code == 404
    assert client.get("/api/teams").json() == before


def test_admin_of_a_can_do_nothing_in_b(app, session_factory) -> None:
    world = build_world(session_factory)
    admin_a = logged_in_client(app, "admin@a.org")
    member_b = logged_in_client(app, "member@b.org").get("/api/user").json()["id"]
    assert admin_a.patch(f"/api/users/{member_b}", json={"isAdmin": True}).status_code == 404
    assert admin_a.get(f"/api/users/{member_b}").status_code == 404
    assert admin_a.delete(f"/api/teams/{world.team_ids['b1']}").status_code == 404
    assigned = admin_a.post(
        "/api/users",
        json={
            "email": "spy@a.org",
            "password": "long enough pw",
            "teams": [{"id": world.team_ids["b1"]}],
        },
    )
    assert assigned.status_code == 400
    team_names = {t["name"] for t in admin_a.get("/api/teams").json()}
    assert team_names == {"team a1", "team a2"}
    assert all(u["email"].endswith("@a.org") for u in admin_a.get("/api/users").json())
    with transaction(session_factory) as session:
        actor = world.actor(session, "admin_a")
        org_b = session.get(Organization, world.org_ids["b"])
        team_b = session.get(Team, world.team_ids["b1"])
        user_b = session.get(User, member_b)
        for action, obj in [
            (Action.MANAGE_USERS, org_b),
            (Action.MANAGE_TEAMS, org_b),
            (Action.READ, org_b),
            (Action.DELETE, team_b),
            (Action.READ, team_b),
            (Action.UPDATE, user_b),
        ]:
            assert not can(actor, action, obj)
        with pytest.raises(NotFound):
            service.create_team(session=session, actor=actor, organization_id=org_b.id, name="x")
        assert session.get(User, member_b).is_admin is False


def test_admin_deletes_team_of_own_org(app, session_factory) -> None:
    world = build_world(session_factory)
    admin = logged_in_client(app, "admin@a.org")
    assert admin.delete(f"/api/teams/{world.team_ids['a2']}").status_code == 204
    assert {t["name"] for t in admin.get("/api/teams").json()} == {"team a1"}


@pytest.mark.parametrize(
    "body, status",
    [
        ({"email": "not-an-email", "password": "long enough pw"}, 400),
        ({"email": "ok@a.org", "password": "short"}, 400),
        ({"email": "admin@a.org", "password": "long enough pw"}, 409),
        ({"email": "ok@a.org", "password": "long enough pw", "teams": [{"id": "0" * 24}]}, 400),
        ({"email": "ok@a.org", "password": "long enough pw", "bogus": 1}, 422),
    ],
)
def test_bad_user_input_is_4xx_and_creates_nothing(app, session_factory, body, status) -> None:
    build_world(session_factory)
    admin = logged_in_client(app, "admin@a.org")
    before = len(admin.get("/api/users").json())
    answer = admin.post("/api/users", json=body)
    assert answer.status_code == status, answer.text
    assert "error" in answer.json() or "detail" in answer.json()
    assert len(admin.get("/api/users").json()) == before


def test_duplicate_or_bad_team_names_are_refused(app, session_factory) -> None:
    build_world(session_factory)
    admin = logged_in_client(app, "admin@a.org")
    assert admin.post("/api/teams", json={"name": "team a1"}).status_code == 409
    assert admin.post("/api/teams", json={"name": "../etc"}).status_code == 400
    assert admin.post("/api/teams", json={"name": ""}).status_code == 400


def test_unknown_action_is_denied_even_for_admin(session_factory) -> None:
    world = build_world(session_factory)
    with transaction(session_factory) as session:
        org = session.get(Organization, world.org_ids["a"])
        assert not can(world.actor(session, "admin_a"), "launch_missiles", org)
        assert can(world.actor(session, "admin_a"), Action.MANAGE_USERS, org)
