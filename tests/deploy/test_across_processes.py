"""A change made through one process holds on the very next request through another, directly and through
nginx: a revoked share link, a logout, a team change; and share-link usage counted by several processes adds up
in the owner's view within seconds."""

from __future__ import annotations

import time

import httpx2 as httpx

from tests.deploy.conftest import ADMIN, Stack

# usage.FLUSH_SECONDS is 2: every process writes its counts within 2 s of a use. Generous for a busy CI machine,
# and still "within a few seconds" as the issue asks.
USAGE_DEADLINE_SECONDS = 15


def _targets(s: Stack) -> list[str]:
    """Process B and C directly, then nginx (which may pick any process): every place the next request may land."""
    return [s.processes[1].url, s.processes[2].url, s.nginx.url]


def _new_link(s: Stack, name: str) -> tuple[str, str]:
    with s.admin(s.processes[0].url) as admin:
        answer = admin.post(f"/api/datasets/{s.dataset_id}/shareLinks", json={"name": name})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"], answer.json()["token"]


def test_a_share_link_revoked_through_one_process_fails_on_the_next_request_through_every_other(deploy_stack):
    s = deploy_stack
    link_id, token = _new_link(s, "revoked")
    path = f"{s.data_path()}&token={token}"
    for base in _targets(s):  # every process has now seen (and may remember) the valid link
        assert httpx.get(base + path).status_code == 200
    with s.admin(s.processes[0].url) as admin:
        assert admin.delete(f"/api/datasets/{s.dataset_id}/shareLinks/{link_id}").status_code == 204
    for base in _targets(s):
        assert httpx.get(base + path).status_code == 404, base


def test_a_logout_through_one_process_ends_the_session_on_the_next_request_through_every_other(deploy_stack):
    s = deploy_stack
    with httpx.Client(base_url=s.processes[0].url, timeout=30) as browser:
        login = browser.post("/api/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]})
        assert login.status_code == 200
        csrf, cookies = login.json()["csrfToken"], dict(browser.cookies)
        for base in _targets(s):
            assert httpx.get(f"{base}/api/user", cookies=cookies).status_code == 200
            assert httpx.get(base + s.data_path(), cookies=cookies).status_code == 200
        assert browser.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    for base in _targets(s):
        assert httpx.get(f"{base}/api/user", cookies=cookies).status_code == 401, base
        assert httpx.get(base + s.data_path(), cookies=cookies).status_code == 404, base


def test_a_team_change_through_one_process_holds_on_the_next_request_through_every_other(deploy_stack):
    s = deploy_stack
    for base in _targets(s):
        with s.member(base) as member:
            assert member.get(s.data_path()).status_code == 200
    try:
        with s.admin(s.processes[0].url) as admin:
            assert admin.patch(f"/api/users/{s.member_id}", json={"teams": []}).status_code == 200
        for base in _targets(s):
            with s.member(base) as member:
                assert member.get(s.data_path()).status_code == 404, base
    finally:
        with s.admin(s.processes[0].url) as admin:
            assert (
                admin.patch(f"/api/users/{s.member_id}", json={"teams": [{"id": s.team_id}]}).status_code
                == 200
            )
    for base in _targets(s):
        with s.member(base) as member:
            assert member.get(s.data_path()).status_code == 200, base


def test_usage_of_a_link_through_several_processes_adds_up_in_the_owners_view(deploy_stack):
    s = deploy_stack
    link_id, token = _new_link(s, "counted")
    uses = {s.processes[1].url: 3, s.processes[2].url: 4, s.nginx.url: 5}
    for base, count in uses.items():
        for _ in range(count):
            assert httpx.get(f"{base}{s.data_path()}&token={token}").status_code == 200
    deadline = time.monotonic() + USAGE_DEADLINE_SECONDS
    with s.admin(s.processes[0].url) as admin:  # the owner's view, through a process that served none of them
        while True:
            links = admin.get(f"/api/datasets/{s.dataset_id}/shareLinks").json()
            count = next(link["useCount"] for link in links if link["id"] == link_id)
            if count >= sum(uses.values()) or time.monotonic() > deadline:
                break
            time.sleep(0.25)
    assert count == sum(uses.values())
