"""The zarr fast lane (`voxelhub.api.data_plane`) answers exactly as the whole middleware stack and router
would: same status, body and headers for every kind of zarr request and every kind of caller, including who
may NOT read; the access log redacts the token; other methods and paths still reach the router."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.datasets.helpers import SIMPLE_ZARR3, register_folder
from tests.factories import PASSWORD, build_world
from voxelhub.api import data_plane
from voxelhub.datasets.demo_data import build_synthetic


@pytest.fixture
def world(session_factory, tmp_path: Path, client: TestClient):  # type: ignore[no-untyped-def]
    accounts = build_world(session_factory)
    folded = build_synthetic(tmp_path / "transposed", size=(64, 48, 40))
    ids = {
        "private": register_folder(session_factory, accounts.org_ids["a"], SIMPLE_ZARR3),
        "public": register_folder(session_factory, accounts.org_ids["a"], folded, public=True),
    }
    answer = client.post("/api/auth/login", json={"email": "admin@a.org", "password": PASSWORD})
    csrf = answer.json()["csrfToken"]
    token = client.get(f"/api/datasets/{ids['private']}/sharingToken", headers={"X-CSRF-Token": csrf}).json()
    client.cookies.clear()
    return ids, token["sharingToken"]


def _requests(ids: dict[str, str], token: str) -> list[tuple[str, str, dict[str, str]]]:
    private, public = ids["private"], ids["public"]
    return [
        ("GET", f"/data/zarr/{public}/color/1/c/0/0/0/0", {}),  # a chunk, anonymous, public dataset
        ("GET", f"/data/zarr-c/{public}/color/1/c/0/0/0/0", {}),
        ("GET", f"/data/zarr/{public}/color/1/zarr.json", {}),
        ("GET", f"/data/zarr-c/{public}/color/zarr.json", {}),
        ("GET", f"/data/zarr/{public}/datasource-properties.json", {}),
        ("HEAD", f"/data/zarr/{public}/color/1/c/0/0/0/0", {}),
        ("GET", f"/data/zarr/{public}/color/1/c/0/0/0/0", {"Range": "bytes=3-10"}),
        ("GET", f"/data/zarr/{public}/color/1/c/0/0/0/0", {"Range": "bytes=999999-"}),
        ("GET", f"/data/zarr/{public}/color/1/c/0/9/9/9", {}),  # missing chunk
        ("GET", f"/data/zarr/{public}/../../etc/passwd", {}),
        ("GET", f"/data/zarr/{public}/color/1/%2e%2e/%2e%2e/x", {}),
        ("GET", f"/data/zarr/{public}/", {}),
        ("GET", f"/data/zarr/{private}/color/1/zarr.json", {}),  # who may NOT: anonymous on a private dataset
        ("GET", f"/data/s/not-a-token/zarr/{private}/color/1/zarr.json", {}),  # nor a wrong token
        ("GET", f"/data/zarr/{private}/color/1/zarr.json", {"X-Auth-Token": "wrong"}),
        ("GET", f"/data/s/{token}/zarr/{private}/color/1/zarr.json", {}),  # the token in the path
        ("GET", f"/data/zarr/{private}/color/1/zarr.json?token={token}", {}),
        ("GET", f"/data/v15/zarr/{private}/color/1/zarr.json", {"X-Auth-Token": token}),  # webknossos client
        ("GET", f"/data/s/{token}/zarr-c/{private}/color/1/zarr.json", {}),
        ("GET", "/data/zarr/no-such-dataset/color/1/zarr.json", {}),
        ("OPTIONS", f"/data/zarr/{public}/color/1/zarr.json", {"Access-Control-Request-Method": "GET"}),
        ("OPTIONS", f"/data/s/{token}/zarr-c/x", {"Access-Control-Request-Method": "GET"}),
        ("POST", f"/data/zarr/{public}/color/1/zarr.json", {}),  # not the fast lane's: the router's 405
        ("GET", "/data/zarr", {}),
    ]


def _answer(client: TestClient, method: str, path: str, headers: dict[str, str]) -> tuple[int, bytes, dict]:  # type: ignore[type-arg]
    answer = client.request(method, path, headers=headers)
    kept = {k: v for k, v in answer.headers.items() if k not in ("date", "server")}
    return answer.status_code, answer.content, kept


def test_fast_lane_answers_as_the_stack_does(world, client: TestClient, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ids, token = world
    requests = _requests(ids, token)
    fast = [_answer(client, *r) for r in requests]
    statuses = [status for status, _, _ in fast]
    assert statuses[:6] == [200] * 6 and statuses[6:8] == [206, 416]
    assert statuses[12:15] == [404, 404, 404] and statuses[15:19] == [200] * 4
    assert all("x-frame-options" in headers for _, _, headers in fast)
    lacking = [
        r[1]
        for r, (_, _, h) in zip(requests, fast, strict=True)
        if h.get("access-control-allow-origin") != "*"
    ]
    # the client resolves `..` before sending (that request leaves /data/zarr); the last two are the router's
    assert lacking == [f"/data/zarr/{ids['public']}/../../etc/passwd", *(r[1] for r in requests[-2:])]
    with monkeypatch.context() as patched:
        patched.setattr(data_plane, "match_zarr", lambda path, method: None)  # everything through the stack
        slow = [_answer(client, *r) for r in requests]
    for request, got, want in zip(requests, fast, slow, strict=True):
        assert got == want, request


def test_fast_lane_is_taken_and_logs_without_the_token(
    world, client: TestClient, monkeypatch, caplog
) -> None:  # type: ignore[no-untyped-def]
    ids, token = world
    taken: list[str] = []
    real = data_plane._fast_lane

    async def spy(app, scope, *rest):  # type: ignore[no-untyped-def]
        taken.append(scope["path"])
        await real(app, scope, *rest)

    monkeypatch.setattr(data_plane, "_fast_lane", spy)
    path = f"/data/s/{token}/zarr/{ids['private']}/color/1/zarr.json"
    with caplog.at_level(logging.INFO, logger="voxelhub.access"):
        assert client.get(path).status_code == 200
    assert taken == [path]
    lines = [r.getMessage() for r in caplog.records if r.name == "voxelhub.access"]
    assert len(lines) == 1 and token not in lines[0] and '"GET /data/s/' in lines[0] and " 200 " in lines[0]
    assert client.post(path).status_code == 405 and taken == [path]  # POST went to the router


def test_unexpected_error_is_a_plain_500_with_security_headers(
    world, client: TestClient, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    ids, _ = world

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr("voxelhub.api.routes.zarr_streaming.zarr_view_get", broken)
    answer = client.get(f"/data/zarr/{ids['public']}/color/1/c/0/0/0/0")
    assert answer.status_code == 500 and answer.text == "Internal Server Error"
    assert answer.headers["x-content-type-options"] == "nosniff" and "boom" not in answer.text
