"""Login, sessions, logout, CSRF, API tokens and the login rate limit."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import PASSWORD, build_world, logged_in_client, login, token_client


def test_login_sets_httponly_lax_cookie_and_user_route_answers(app, session_factory) -> None:
    build_world(session_factory)
    client = TestClient(app, base_url="http://127.0.0.1")
    answer = client.post("/api/auth/login", json={"email": "tm@a.org", "password": PASSWORD})
    assert answer.status_code == 200
    cookie_header = ";".join(answer.headers.get_list("set-cookie"))
    assert "voxelhub_session=" in cookie_header and "HttpOnly" in cookie_header
    assert "SameSite=lax" in cookie_header or "samesite=lax" in cookie_header.lower()
    me = client.get("/api/user").json()
    assert me["email"] == "tm@a.org" and me["organization"] == "org-a"
    assert me["teams"] == [{"id": me["teams"][0]["id"], "name": "team a1", "isTeamManager": True}]
    assert me["isAdmin"] is False and me["isDatasetManager"] is False


def test_anonymous_user_route_is_401(client) -> None:
    assert client.get("/api/user").status_code == 401


def test_wrong_password_and_unknown_email_get_the_same_answer(app, session_factory) -> None:
    build_world(session_factory)
    client = TestClient(app, base_url="http://127.0.0.1")
    wrong = client.post("/api/auth/login", json={"email": "tm@a.org", "password": "not the password"})
    unknown = client.post("/api/auth/login", json={"email": "nobody@a.org", "password": "not the password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert "set-cookie" not in wrong.headers and "set-cookie" not in unknown.headers


def test_logout_ends_the_session_on_the_server(app, session_factory) -> None:
    build_world(session_factory)
    client = logged_in_client(app, "member@a.org")
    stolen_cookie = client.cookies.get("voxelhub_session")
    assert client.post("/api/auth/logout").status_code == 204
    assert client.get("/api/user").status_code == 401
    # Replaying the old cookie after logout must not work either: the server-side row is gone.
    replay = TestClient(app, base_url="http://127.0.0.1", cookies={"voxelhub_session": stolen_cookie})
    assert replay.get("/api/user").status_code == 401


def test_cookie_post_without_csrf_proof_is_refused(app, session_factory) -> None:
    build_world(session_factory)
    client = logged_in_client(app, "admin@a.org")
    csrf = client.headers.pop("X-CSRF-Token")
    refused = client.post("/api/teams", json={"name": "sneaky"})
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
    wrong = client.post("/api/teams", json={"name": "sneaky"}, headers={"X-CSRF-Token": "x" * 32})
    assert wrong.status_code == 403
    assert all(t["name"] != "sneaky" for t in client.get("/api/teams").json())
    allowed = client.post("/api/teams", json={"name": "fine"}, headers={"X-CSRF-Token": csrf})
    assert allowed.status_code == 201


def test_api_token_works_in_x_auth_token_without_csrf(app, session_factory) -> None:
    build_world(session_factory)
    browser = logged_in_client(app, "admin@a.org")
    token = browser.get("/api/auth/token").json()["token"]
    assert browser.get("/api/auth/token").json()["token"] == token  # created once, then the same
    assert len(token) >= 22
    script = token_client(app, token)
    assert script.get("/api/user").json()["email"] == "admin@a.org"
    assert script.post("/api/teams", json={"name": "from a script"}).status_code == 201
    assert token_client(app, token[:-2] + "xx").get("/api/user").status_code == 401


def test_login_rate_limit_per_account_bites_even_with_the_right_password(app, session_factory) -> None:
    build_world(session_factory)
    client = TestClient(app, base_url="http://127.0.0.1")
    for _ in range(5):
        assert (
            client.post(
                "/api/auth/login", json={"email": "member@a.org", "password": "wrong-guess"}
            ).status_code
            == 401
        )
    blocked = client.post("/api/auth/login", json={"email": "member@a.org", "password": PASSWORD})
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers
    # Another account from the same address still logs in: the per-account limit is per account.
    login(client, "tm@a.org")


def test_login_rate_limit_per_address_stops_the_sprayer_but_not_a_correct_password(
    app, session_factory
) -> None:
    """Past the address limit a wrong guess is refused (429, like an unknown email), but someone sharing the
    address who types their own password still logs in (see `accounts.auth.check_rate_limit`)."""
    build_world(session_factory)
    client = TestClient(app, base_url="http://127.0.0.1")
    for i in range(20):
        client.post("/api/auth/login", json={"email": f"spray{i}@a.org", "password": "wrong-guess"})
    for email in ("spray99@a.org", "member@a.org"):
        assert (
            client.post("/api/auth/login", json={"email": email, "password": "wrong-guess"}).status_code
            == 429
        )
    # Having guessed wrong for member@ past the limit, this address gets no second verified guess for it.
    assert (
        client.post("/api/auth/login", json={"email": "member@a.org", "password": PASSWORD}).status_code
        == 429
    )
    assert (
        client.post("/api/auth/login", json={"email": "admin@a.org", "password": PASSWORD}).status_code == 200
    )


def test_malformed_login_body_is_422_and_sets_nothing(client) -> None:
    answer = client.post("/api/auth/login", json={"email": "x@y.org"})
    assert answer.status_code == 422
    assert "set-cookie" not in answer.headers


def test_security_headers_are_sent(client) -> None:
    answer = client.get("/api/openapi.json")
    assert answer.status_code == 200
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in answer.headers["content-security-policy"]
