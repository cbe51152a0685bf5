"""A paused object store (SIGSTOP: connections are accepted, nothing ever answers) costs only the requests that
need it: they are answered 503/504 within the store timeout, while the same process keeps answering everything
else at once (and its health check says the store timed out); after SIGCONT it reads from the store again
without a restart."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2 as httpx
import pytest

from tests.deploy import stack
from tests.deploy.conftest import ORG, Stack
from tests.storage.s3server import upload_dir
from voxelhub.datasets.demo_data import build_synthetic
from voxelhub.health import DEADLINE_SECONDS as HEALTH_DEADLINE_SECONDS

# More chunk reads in flight than the 40 threads Starlette runs sync work on: without isolation, the stuck store
# calls take every thread and the process answers nothing else (what issue 14 measured).
IN_FLIGHT = 48
SIZE = (160, 128, 64)  # 5 x 4 x 2 chunks of 32³ per layer, two layers: 80 distinct chunks, none cached
# The store-timeout settings of the process under test. Empty until object-store isolation lands: then set its
# timeout here to a few seconds, so that this test is quick and the bound below is well clear of it.
STORE_TIMEOUT_ENV: dict[str, str] = {}
# The answer must come "within the store timeout". Whatever that setting becomes, an answer later than this is a
# hang by any operator's measure (the issue measured ~110 s); it also bounds this test's run time.
STORE_ANSWER_SECONDS = 30
# The explicit bound for the other routes while the store is paused. An idle loopback answer takes a few
# milliseconds, so 1 s leaves room for a busy 2-core CI machine, yet a route queued behind the stuck store calls
# (which wait ~110 s) cannot meet it.
OTHER_ROUTES_SECONDS = 1.0


def _chunks() -> list[str]:
    return [
        f"/data/datasets/{{id}}/layers/{layer}/data?mag=1-1-1&x={x}&y={y}&z={z}&width=32&height=32&depth=32"
        for layer in ("color", "segmentation")
        for x in range(0, SIZE[0], 32)
        for y in range(0, SIZE[1], 32)
        for z in range(0, SIZE[2], 32)
    ]


def _s3_dataset(s: Stack, tmp_path: Any) -> str:
    folder = build_synthetic(tmp_path / "synthetic", size=SIZE, seed=5)
    url = upload_dir(s.deployment.s3.options, folder, "datasets/paused")
    s.deployment.cli("dataset", "add", url, "--org", ORG, "--name", "on-s3", "--storage-profile", "lab-s3")
    with s.admin(s.processes[0].url) as admin:
        found = admin.get("/api/datasets", params={"searchQuery": "on-s3"}).json()
    return str(next(d["id"] for d in found if d["name"] == "on-s3"))


def _timed_get(client: httpx.Client, path: str, timeout: float) -> tuple[int, float, str]:
    """One request on a connection of its own (the client's base URL and headers), timed."""
    started = time.monotonic()
    try:
        answer = httpx.get(f"{client.base_url}{path}", headers=dict(client.headers), timeout=timeout)
        return answer.status_code, time.monotonic() - started, answer.text
    except httpx.TimeoutException:
        return 0, time.monotonic() - started, "(no answer)"


@pytest.mark.xfail(reason="object-store isolation lands separately", strict=False)
def test_a_paused_store_costs_only_the_requests_that_need_it(deploy_stack, tmp_path):
    s = deploy_stack
    dataset_id = _s3_dataset(s, tmp_path)
    warm_up, *chunks = [c.format(id=dataset_id) for c in _chunks()]
    # A process of its own: it may get stuck.
    process = stack.start_process(s.deployment, "store", metrics=False, env=STORE_TIMEOUT_ENV)
    try:
        stack.wait_until_up(process)
        with s.admin(process.url) as client:
            assert client.get(warm_up).status_code == 200  # the store works, the dataset's metadata is read
            s.deployment.s3.pause()
            try:
                with ThreadPoolExecutor(IN_FLIGHT) as pool:
                    stuck = [
                        pool.submit(_timed_get, client, c, STORE_ANSWER_SECONDS) for c in chunks[:IN_FLIGHT]
                    ]
                    time.sleep(1.0)  # let them reach the store
                    with s.admin(process.url) as other:
                        buildinfo = _timed_get(other, "/api/buildinfo", 10)
                        local = _timed_get(other, s.data_path(), 10)
                        health = _timed_get(other, "/api/health", 10)
                    answers = [f.result() for f in stuck]
            finally:
                s.deployment.s3.resume()
            assert buildinfo[0] == 200 and buildinfo[1] < OTHER_ROUTES_SECONDS, buildinfo[:2]
            assert local[0] == 200 and local[1] < OTHER_ROUTES_SECONDS, local[:2]
            # For the load balancer: the volume store (the same paused server) is "timed out", within its deadline.
            assert health[0] == 503 and health[1] < HEALTH_DEADLINE_SECONDS + OTHER_ROUTES_SECONDS, health
            for status, seconds, body in answers:
                assert status in (503, 504) and seconds < STORE_ANSWER_SECONDS, (status, seconds, body[:200])
                assert "store" in json.loads(body)["error"].lower()
            _recovers(client, chunks[-1])
    finally:
        process.stop()


def _recovers(client: httpx.Client, path: str) -> None:
    """Without a restart, the store's chunks are served again once it answers."""
    deadline = time.monotonic() + STORE_ANSWER_SECONDS
    while True:
        status = _timed_get(client, path, STORE_ANSWER_SECONDS)[0]
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status == 200
