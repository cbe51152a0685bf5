"""Two `voxelhub serve` processes on one database: a password reset, a deactivation, an own password change and
a token revocation made through one end the credentials in the other on its very next request, on the API and
on the data routes (which remember what a credential stands for between commits: each is asked twice first)."""

from __future__ import annotations

import httpx2 as httpx

from tests.factories import PASSWORD
from tests.server import running_server
from tests.sharing.test_two_processes import login
from tests.sharing.world import build_dataset_world

NEW_PASSWORD = "a brand new password"


def _works(client: httpx.Client, key: str) -> bool:
    answers = [client.get(f"/data/{key}").status_code for _ in range(2)] + [
        client.get("/api/user").status_code
    ]
    assert answers in ([200, 200, 200], [404, 404, 401]), answers
    return answers[0] == 200


def test_a_reset_and_a_deactivation_end_credentials_in_the_other_process(settings, session_factory) -> None:
    world = build_dataset_world(session_factory)
    key = f"zarr/{world.dataset_id}/datasource-properties.json"
    with session_factory() as session:
        member_id = world.accounts.user_id(session, "team_a")
    with running_server(settings) as first, running_server(settings) as second:
        admin = login(first, "admin@a.org")
        member = login(second, "team@a.org")
        token = member.get("/api/auth/token").json()["token"]
        script = httpx.Client(base_url=second, headers={"X-Auth-Token": token}, timeout=10)
        assert _works(member, key) and _works(script, key)
        assert admin.patch(f"/api/users/{member_id}", json={"password": NEW_PASSWORD}).status_code == 200
        assert not _works(member, key) and not _works(script, key)

        member = _login(second, "team@a.org", NEW_PASSWORD)
        token = member.get("/api/auth/token").json()["token"]
        script = httpx.Client(base_url=second, headers={"X-Auth-Token": token}, timeout=10)
        assert _works(member, key) and _works(script, key)
        assert admin.patch(f"/api/users/{member_id}", json={"isActive": False}).status_code == 200
        assert not _works(member, key) and not _works(script, key)
        assert admin.patch(f"/api/users/{member_id}", json={"isActive": True}).status_code == 200
        assert not _works(member, key) and not _works(script, key)


def test_token_revocation_and_own_password_change_reach_the_other_process(settings, session_factory) -> None:
    world = build_dataset_world(session_factory)
    key = f"zarr/{world.dataset_id}/datasource-properties.json"
    with running_server(settings) as first, running_server(settings) as second:
        here = login(first, "team@a.org")
        default = here.get("/api/auth/token").json()["token"]
        named = here.post("/api/auth/tokens", json={"name": "cluster"}).json()
        scripts = [
            httpx.Client(base_url=second, headers={"X-Auth-Token": t}, timeout=10)
            for t in (default, named["token"])
        ]
        assert all(_works(s, key) for s in scripts)
        assert here.delete("/api/auth/token").status_code == 204
        assert not _works(scripts[0], key) and _works(scripts[1], key)
        assert here.delete(f"/api/auth/tokens/{named['id']}").status_code == 204
        assert not _works(scripts[1], key)

        there = login(second, "team@a.org")
        assert _works(there, key)
        changed = here.put("/api/auth/password", json={"oldPassword": PASSWORD, "newPassword": NEW_PASSWORD})
        assert changed.status_code == 204
        assert not _works(there, key)
        assert _works(
            httpx.Client(base_url=second, cookies=here.cookies, headers=here.headers, timeout=10), key
        )


def _login(base: str, email: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=10)
    answer = client.post("/api/auth/login", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    client.headers["X-CSRF-Token"] = answer.json()["csrfToken"]
    return client
