"""Two `voxelhub serve` processes on one database: a revocation and a public->private switch made through
one are in force in the other on its very next request (no state lives in a process), on the API and the
data routes alike."""

from __future__ import annotations

import httpx2 as httpx

from tests.factories import PASSWORD
from tests.server import running_server
from tests.sharing.world import build_dataset_world


def login(base: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=10)
    answer = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200
    client.headers["X-CSRF-Token"] = answer.json()["csrfToken"]
    return client


def test_revocation_and_unpublishing_reach_the_other_process_at_once(settings, session_factory) -> None:
    world = build_dataset_world(session_factory)
    ds = f"/api/datasets/{world.dataset_id}"
    with running_server(settings) as first, running_server(settings) as second:
        editor = login(first, "admin@a.org")
        token = editor.get(f"{ds}/sharingToken").json()["sharingToken"]
        reviewer = httpx.Client(base_url=second, timeout=10)
        assert reviewer.get(ds, params={"token": token}).status_code == 200
        assert editor.delete(f"{ds}/sharingToken").status_code == 204
        assert reviewer.get(ds, params={"token": token}).status_code == 404

        assert editor.patch(ds, json={"isPublic": True}).status_code == 200
        assert reviewer.get(ds).status_code == 200
        assert world.dataset_id in [d["id"] for d in reviewer.get("/api/spotlight").json()]
        assert editor.patch(ds, json={"isPublic": False}).status_code == 200
        assert reviewer.get(ds).status_code == 404
        assert reviewer.get("/api/spotlight").json() == []


def test_the_data_routes_of_the_other_process_follow_at_once(settings, session_factory) -> None:
    """Revoking a link, unpublishing and removing a team bite on the other process's very next chunk
    request, although that process keeps the answers of its access reads while the database is unchanged
    (each route is asked twice first, so that the second answer comes from that memo)."""
    world = build_dataset_world(session_factory)
    ds = f"/api/datasets/{world.dataset_id}"
    key = f"zarr/{world.dataset_id}/datasource-properties.json"
    with running_server(settings) as first, running_server(settings) as second:
        editor = login(first, "admin@a.org")
        token = editor.get(f"{ds}/sharingToken").json()["sharingToken"]
        reviewer = httpx.Client(base_url=second, timeout=10)
        assert [reviewer.get(f"/data/s/{token}/{key}").status_code for _ in range(2)] == [200, 200]
        assert editor.delete(f"{ds}/sharingToken").status_code == 204
        assert reviewer.get(f"/data/s/{token}/{key}").status_code == 404

        assert editor.patch(ds, json={"isPublic": True}).status_code == 200
        assert [reviewer.get(f"/data/{key}").status_code for _ in range(2)] == [200, 200]
        assert editor.patch(ds, json={"isPublic": False}).status_code == 200
        assert reviewer.get(f"/data/{key}").status_code == 404

        team_member = login(second, "team@a.org")
        assert [team_member.get(f"/data/{key}").status_code for _ in range(2)] == [200, 200]
        assert editor.patch(f"{ds}/teams", json=[]).status_code == 200
        assert team_member.get(f"/data/{key}").status_code == 404


def test_logins_on_the_data_routes_of_the_other_process_follow_at_once(settings, session_factory) -> None:
    """What an API token and a session cookie stand for is remembered by the serving process between commits:
    taking the user out of the dataset's team, and logging out, bite on its very next chunk request."""
    world = build_dataset_world(session_factory)
    key = f"zarr/{world.dataset_id}/datasource-properties.json"
    with session_factory() as session:
        member_id = world.accounts.user_id(session, "team_a")
    with running_server(settings) as first, running_server(settings) as second:
        admin = login(first, "admin@a.org")
        member = login(second, "team@a.org")
        api_token = member.get("/api/auth/token").json()["token"]
        script = httpx.Client(base_url=second, headers={"X-Auth-Token": api_token}, timeout=10)
        for caller in (script, member):
            assert [caller.get(f"/data/{key}").status_code for _ in range(2)] == [200, 200]
        assert admin.patch(f"/api/users/{member_id}", json={"teams": []}).status_code == 200
        assert script.get(f"/data/{key}").status_code == 404
        assert member.get(f"/data/{key}").status_code == 404

        team = [{"id": world.accounts.team_ids["a1"], "isTeamManager": False}]
        assert admin.patch(f"/api/users/{member_id}", json={"teams": team}).status_code == 200
        assert [member.get(f"/data/{key}").status_code for _ in range(2)] == [200, 200]
        elsewhere = httpx.Client(base_url=first, cookies=member.cookies, headers=member.headers, timeout=10)
        assert elsewhere.post("/api/auth/logout").status_code == 204
        assert member.get(f"/data/{key}").status_code == 404
