"""Behind nginx: limits count the forwarded client address, health answers through the proxy, every worker's
metrics are counted, and a process killed outright takes nothing else down."""

from __future__ import annotations

import secrets
import signal

import httpx2 as httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.deploy import stack
from tests.deploy.conftest import ADMIN, Stack


def _client_at(address: str, base: str) -> httpx.Client:
    """A client whose connections come from `address` (any 127.x.y.z is this machine's loopback): nginx sees it
    as $remote_addr and forwards it in X-Forwarded-For; the voxelhub processes only ever see nginx's 127.0.0.1."""
    return httpx.Client(base_url=base, transport=httpx.HTTPTransport(local_address=address), timeout=30)


def test_token_guess_limit_is_kept_per_forwarded_client_address(deploy_stack):
    s = deploy_stack
    guess = f"{s.data_path()}&token="
    limit = 30  # Settings.token_guess_max_per_address
    with _client_at("127.0.0.2", s.nginx.url) as guesser, _client_at("127.0.0.3", s.nginx.url) as reviewer:
        statuses = [guesser.get(guess + secrets.token_urlsafe(24)).status_code for _ in range(limit + 2)]
        assert statuses[:limit] == [404] * limit
        assert statuses[-1] == 429
        # The guesser cannot step out of the limit by naming another address: nginx sends $remote_addr.
        forged = guesser.get(guess + secrets.token_urlsafe(24), headers={"X-Forwarded-For": "127.0.0.9"})
        assert forged.status_code == 429
        # Another client behind the same proxy is not locked out. Every request reached voxelhub from nginx's
        # own 127.0.0.1, so this holds only because the limit counts the forwarded address.
        assert reviewer.get(guess + secrets.token_urlsafe(24)).status_code == 404
        # And a valid credential is honoured even from the guesser's address.
        with s.member(s.nginx.url) as member:
            member.headers["X-Forwarded-For"] = "127.0.0.2"  # ignored: nginx overwrites it
            assert member.get(s.data_path()).status_code == 200
        guesser.headers["X-Auth-Token"] = s.member_token
        assert guesser.get(s.data_path()).status_code == 200


def _health_counts(s: Stack) -> float:
    """`GET /api/health` answered 200, summed over every process's metrics port (each already sums its workers)."""
    total = 0.0
    for process in s.processes:
        text = httpx.get(f"http://127.0.0.1:{process.metrics_port}/metrics", timeout=10).text
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "voxelhub_requests_total" and sample.labels == {
                    "family": "/api/health",
                    "method": "GET",
                    "status": "200",
                }:
                    total += sample.value
    return total


def test_health_answers_through_nginx_and_every_workers_requests_are_counted(deploy_stack):
    s = deploy_stack
    before = _health_counts(s)
    served_by = set()
    for _ in range(12):
        answer = httpx.get(f"{s.nginx.url}/api/health", timeout=30)
        assert answer.status_code == 200, answer.text
        assert set(answer.json()["checks"].values()) == {"ok"}
        served_by.add(answer.headers["X-Upstream"].split(", ")[-1])
    assert served_by == {
        p.address for p in s.processes
    }  # nginx spread them (C with its two workers among them)
    assert _health_counts(s) - before == 12


def test_a_killed_process_takes_nothing_else_down(deploy_stack):
    s = deploy_stack
    victim = stack.start_process(s.deployment, "victim", port=s.spare_port, metrics=False)
    try:
        stack.wait_until_up(victim)
        upstreams = [httpx.get(f"{s.nginx.url}/api/buildinfo").headers["X-Upstream"] for _ in range(8)]
        assert victim.address in upstreams  # it was in nginx's rotation
        victim.popen.send_signal(signal.SIGKILL)
        victim.popen.wait(timeout=10)
        for _ in range(8):  # nginx routes around it: a request sent to it is tried on the next process
            with s.member(s.nginx.url) as member:
                answer = member.get(s.data_path())
            assert answer.status_code == 200
            assert answer.headers["X-Upstream"].split(", ")[-1] != victim.address
        for process in s.processes:  # and the survivors answer directly, data and database work included
            with s.member(process.url) as member:
                assert member.get(s.data_path()).status_code == 200
                assert member.get("/api/user").status_code == 200
    finally:
        victim.stop()


def test_failed_login_limit_is_kept_per_forwarded_client_address(deploy_stack):
    s = deploy_stack
    limit = 20  # Settings.login_max_failures_per_address
    with _client_at("127.0.0.4", s.nginx.url) as guesser, _client_at("127.0.0.5", s.nginx.url) as colleague:
        # A new unknown email each time, so that only the per-address limit can be met (not the per-account one).
        statuses = [
            guesser.post(
                "/api/auth/login", json={"email": f"nobody{i}@lab.test", "password": "wrong"}
            ).status_code
            for i in range(limit + 2)
        ]
        assert 429 not in statuses[:limit] and statuses[-1] == 429, statuses
        # Through the same nginx, another client's failure is its own first one.
        other = colleague.post("/api/auth/login", json={"email": "nobody@lab.test", "password": "wrong"})
        assert other.status_code == statuses[0] != 429
        # And a correct password still logs in from the limited address (the limit only bounds failures).
        assert (
            guesser.post("/api/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]}).status_code == 200
        )
