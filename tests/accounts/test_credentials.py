"""Credentials end when they should: an admin's password reset and a deactivation end every session and API
token of the user (a reactivation revives none); a user's own password change needs the old password, is
limited like logins and ends their other sessions; API tokens are revoked, rotated, named and stored hashed."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import PASSWORD, build_world, logged_in_client, token_client
from voxelhub.accounts.models import ApiToken
from voxelhub.ids import token_digest

NEW_PASSWORD = "a brand new password"


def _user_id(app, email: str) -> str:  # type: ignore[no-untyped-def]
    return str(logged_in_client(app, email).get("/api/user").json()["id"])


def _credentials(app, email: str) -> list[TestClient]:  # type: ignore[no-untyped-def]
    """Two browser sessions, the default API token and a named one, all working."""
    first, second = logged_in_client(app, email), logged_in_client(app, email)
    default = first.get("/api/auth/token").json()["token"]
    named = first.post("/api/auth/tokens", json={"name": "cluster"}).json()["token"]
    clients = [first, second, token_client(app, default), token_client(app, named)]
    assert [c.get("/api/user").status_code for c in clients] == [200] * 4
    return clients


def test_an_admins_password_reset_ends_every_session_and_token(app, session_factory) -> None:
    build_world(session_factory)
    admin = logged_in_client(app, "admin@a.org")
    member_id = _user_id(app, "member@a.org")
    clients = _credentials(app, "member@a.org")
    assert admin.patch(f"/api/users/{member_id}", json={"password": NEW_PASSWORD}).status_code == 200
    assert [c.get("/api/user").status_code for c in clients] == [401] * 4
    assert logged_in_client(app, "member@a.org", NEW_PASSWORD).get("/api/user").status_code == 200
    assert admin.get("/api/user").status_code == 200  # the admin's own session is another user's


def test_a_reactivated_user_gets_no_old_credential_back(app, session_factory) -> None:
    build_world(session_factory)
    admin = logged_in_client(app, "admin@a.org")
    member_id = _user_id(app, "member@a.org")
    clients = _credentials(app, "member@a.org")
    assert admin.patch(f"/api/users/{member_id}", json={"isActive": False}).status_code == 200
    assert [c.get("/api/user").status_code for c in clients] == [401] * 4
    assert admin.patch(f"/api/users/{member_id}", json={"isActive": True}).status_code == 200
    assert [c.get("/api/user").status_code for c in clients] == [401] * 4
    assert logged_in_client(app, "member@a.org").get("/api/user").status_code == 200


def test_own_password_change_ends_the_other_sessions_and_keeps_this_one(app, session_factory) -> None:
    build_world(session_factory)
    current, other, default_script, named_script = _credentials(app, "member@a.org")
    changed = current.put("/api/auth/password", json={"oldPassword": PASSWORD, "newPassword": NEW_PASSWORD})
    assert changed.status_code == 204, changed.text
    assert current.get("/api/user").status_code == 200
    assert other.get("/api/user").status_code == 401
    # Scripts keep running: the user ends tokens on their own (/api/auth/tokens).
    assert (
        default_script.get("/api/user").status_code == 200
        and named_script.get("/api/user").status_code == 200
    )
    fresh = TestClient(app, base_url="http://127.0.0.1")
    assert (
        fresh.post("/api/auth/login", json={"email": "member@a.org", "password": PASSWORD}).status_code == 401
    )
    assert logged_in_client(app, "member@a.org", NEW_PASSWORD).get("/api/user").status_code == 200


def test_own_password_change_needs_the_old_password_and_a_good_new_one(app, session_factory) -> None:
    build_world(session_factory)
    member = logged_in_client(app, "member@a.org")
    other = logged_in_client(app, "member@a.org")
    wrong = member.put(
        "/api/auth/password", json={"oldPassword": "not the password", "newPassword": NEW_PASSWORD}
    )
    assert wrong.status_code == 403 and wrong.json() == {"error": "the current password is wrong"}
    short = member.put("/api/auth/password", json={"oldPassword": PASSWORD, "newPassword": "short"})
    assert short.status_code == 400 and "password" in short.json()["error"]
    missing = member.put("/api/auth/password", json={"newPassword": NEW_PASSWORD})
    assert missing.status_code == 422
    assert other.get("/api/user").status_code == 200  # nothing changed, nobody logged out
    assert logged_in_client(app, "member@a.org").get("/api/user").status_code == 200
    anonymous = TestClient(app, base_url="http://127.0.0.1")
    assert (
        anonymous.put(
            "/api/auth/password", json={"oldPassword": PASSWORD, "newPassword": NEW_PASSWORD}
        ).status_code
        == 401
    )
    no_csrf = logged_in_client(app, "member@a.org")
    no_csrf.headers.pop("X-CSRF-Token")
    refused = no_csrf.put("/api/auth/password", json={"oldPassword": PASSWORD, "newPassword": NEW_PASSWORD})
    assert refused.status_code == 403
    assert logged_in_client(app, "member@a.org").get("/api/user").status_code == 200


def test_wrong_old_passwords_count_as_failed_logins(app, session_factory) -> None:
    """A stolen session must not become a password-guessing oracle: the per-account login limit applies."""
    build_world(session_factory)
    member = logged_in_client(app, "member@a.org")
    for _ in range(5):
        guess = member.put(
            "/api/auth/password", json={"oldPassword": "guess-guess", "newPassword": NEW_PASSWORD}
        )
        assert guess.status_code == 403
    blocked = member.put("/api/auth/password", json={"oldPassword": PASSWORD, "newPassword": NEW_PASSWORD})
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers
    login = TestClient(app, base_url="http://127.0.0.1").post(
        "/api/auth/login", json={"email": "member@a.org", "password": PASSWORD}
    )
    assert login.status_code == 429


def test_the_default_token_is_shown_again_rotated_and_revoked(app, session_factory) -> None:
    build_world(session_factory)
    member = logged_in_client(app, "member@a.org")
    first = member.get("/api/auth/token").json()["token"]
    assert member.get("/api/auth/token").json()["token"] == first  # as webKnossos: shown again, not remade
    rotated = member.post("/api/auth/token")
    assert rotated.status_code == 200
    second = rotated.json()["token"]
    assert second != first
    assert token_client(app, first).get("/api/user").status_code == 401
    assert token_client(app, second).get("/api/user").status_code == 200
    assert member.get("/api/auth/token").json()["token"] == second
    assert member.delete("/api/auth/token").status_code == 204
    assert token_client(app, second).get("/api/user").status_code == 401
    third = member.get("/api/auth/token").json()["token"]
    assert third not in (first, second) and token_client(app, third).get("/api/user").status_code == 200


def test_a_script_rotates_its_own_token_without_csrf(app, session_factory) -> None:
    build_world(session_factory)
    token = logged_in_client(app, "member@a.org").get("/api/auth/token").json()["token"]
    script = token_client(app, token)
    new = script.post("/api/auth/token").json()["token"]
    assert script.get("/api/user").status_code == 401
    assert token_client(app, new).get("/api/user").json()["email"] == "member@a.org"


def test_named_tokens_are_listed_without_their_secret_and_end_alone(app, session_factory) -> None:
    build_world(session_factory)
    member = logged_in_client(app, "member@a.org")
    default = member.get("/api/auth/token").json()["token"]
    made = member.post("/api/auth/tokens", json={"name": "  laptop  "})
    assert made.status_code == 201
    body = made.json()
    assert body["name"] == "laptop" and len(body["token"]) >= 32 and body["lastUsedAt"] is None
    assert made.headers["cache-control"] == "no-store"
    cluster = member.post("/api/auth/tokens", json={"name": "cluster"}).json()
    assert token_client(app, cluster["token"]).get("/api/user").status_code == 200

    listed = member.get("/api/auth/tokens")
    assert listed.status_code == 200
    assert [(t["name"], t["isDefault"]) for t in listed.json()] == [
        ("default", True),
        ("laptop", False),
        ("cluster", False),
    ]
    assert all(set(t) == {"id", "name", "isDefault", "createdAt", "lastUsedAt"} for t in listed.json())
    assert not any(secret in listed.text for secret in (default, body["token"], cluster["token"]))
    assert {t["name"]: t["lastUsedAt"] is not None for t in listed.json()}["cluster"] is True

    assert member.delete(f"/api/auth/tokens/{body['id']}").status_code == 204
    assert token_client(app, body["token"]).get("/api/user").status_code == 401
    assert token_client(app, cluster["token"]).get("/api/user").status_code == 200
    assert token_client(app, default).get("/api/user").status_code == 200
    assert [t["name"] for t in member.get("/api/auth/tokens").json()] == ["default", "cluster"]


def test_nobody_else_lists_or_ends_a_users_tokens(app, session_factory) -> None:
    build_world(session_factory)
    member = logged_in_client(app, "member@a.org")
    made = member.post("/api/auth/tokens", json={"name": "mine"}).json()
    anonymous = TestClient(app, base_url="http://127.0.0.1")
    assert anonymous.get("/api/auth/tokens").status_code == 401
    assert anonymous.post("/api/auth/tokens", json={"name": "x"}).status_code == 401
    assert anonymous.delete(f"/api/auth/tokens/{made['id']}").status_code == 401
    assert anonymous.delete("/api/auth/token").status_code == 401
    assert anonymous.post("/api/auth/token").status_code == 401
    for email in (
        "tm@a.org",
        "admin@a.org",
        "admin@b.org",
    ):  # another user, the own admin, another org's admin
        other = logged_in_client(app, email)
        refused = other.delete(f"/api/auth/tokens/{made['id']}")
        assert refused.status_code == 404 and refused.json() == {"error": "Not found."}
        assert made["id"] not in other.get("/api/auth/tokens").text
        assert other.delete("/api/auth/token").status_code == 204  # ends their own default token only
    assert token_client(app, made["token"]).get("/api/user").status_code == 200


def test_bad_token_names_are_refused_and_change_nothing(app, session_factory) -> None:
    build_world(session_factory)
    member = logged_in_client(app, "member@a.org")
    for name, status in (("", 400), ("   ", 400), ("tab\there", 400), ("x" * 101, 422)):
        answer = member.post("/api/auth/tokens", json={"name": name})
        assert answer.status_code == status, (name, answer.text)
        assert "error" in answer.json() or "detail" in answer.json()
    assert member.post("/api/auth/tokens", json={"name": "x", "extra": 1}).status_code == 422
    assert member.get("/api/auth/tokens").json() == []


def test_only_a_digest_of_each_token_is_stored(app, session_factory) -> None:
    build_world(session_factory)
    member = logged_in_client(app, "member@a.org")
    secrets = [
        member.get("/api/auth/token").json()["token"],
        member.post("/api/auth/tokens", json={"name": "n"}).json()["token"],
    ]
    with session_factory() as session:
        rows = session.execute(select(ApiToken.__table__)).all()
    stored = " ".join(str(value) for row in rows for value in row)
    assert not any(secret in stored for secret in secrets)
    assert sorted(row.token_digest for row in rows) == sorted(token_digest(s) for s in secrets)


def test_last_use_is_written_at_most_once_a_minute(app, session_factory) -> None:
    build_world(session_factory)
    member = logged_in_client(app, "member@a.org")
    made = member.post("/api/auth/tokens", json={"name": "script"}).json()
    script = token_client(app, made["token"])
    assert script.get("/api/user").status_code == 200
    app.state.token_use.flush()
    with session_factory() as session:
        first_use = session.get(ApiToken, made["id"]).last_used_at
    assert first_use is not None
    for _ in range(3):
        assert script.get("/api/user").status_code == 200
    app.state.token_use.flush()
    with session_factory() as session:
        assert session.get(ApiToken, made["id"]).last_used_at == first_use
